"""Work run in forked children that already hold the parsed program in memory.

Syntax trees cost more to send between processes than to parse, so the other cores get work by
forking: the children inherit everything, and only their (small) results are sent back. A child
that dies (the kernel's out-of-memory killer, a signal) costs time, not the scan: what it had not
sent is done here instead.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

_WORKS: Sequence[Callable[[], object]] = ()


@contextmanager
def in_children(
    works: Sequence[Callable[[], Any]], children: int = 1, enabled: bool = True
) -> Iterator[list[Callable[[], Any]]]:
    """Start `works` in up to `children` forked processes now (child k takes works k, k +
    children, ... in that order); yields one callable per work that returns its result (or
    raises its error), waiting for it. Where forking is not available (or not `enabled`),
    each work runs here, when its result is asked for."""
    if not enabled or sys.platform != "linux" or not works:
        yield list(works)
        return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    count = max(1, min(children, len(works)))
    global _WORKS  # noqa: PLW0603 - how the children find the works without pickling them
    _WORKS = works
    started = []
    try:
        for child in range(count):
            receiver, sender = context.Pipe(duplex=False)
            indices = list(range(child, len(works), count))
            process = context.Process(target=_child, args=(indices, sender), daemon=True)
            process.start()  # forks here, inheriting _WORKS
            sender.close()
            started.append((process, receiver, indices))
    finally:
        _WORKS = ()
    outcomes: dict[int, tuple[bool, Any]] = {}
    owner = {index: (receiver, indices) for _, receiver, indices in started for index in indices}

    def result(index: int) -> Any:
        receiver, indices = owner[index]
        while index not in outcomes:
            try:
                got, ok, value = receiver.recv()
            except (EOFError, OSError):  # the child died: what it had not sent is done here
                for lost in indices:
                    outcomes.setdefault(lost, (True, _Unsent))
                break
            outcomes[got] = (ok, value)
        ok, value = outcomes[index]
        if value is _Unsent:
            return works[index]()
        if not ok:
            raise value
        return value

    try:
        yield [functools.partial(result, index) for index in range(len(works))]
    finally:
        for process, receiver, _ in started:
            if process.is_alive():
                process.kill()  # still at work: the caller failed, or did not wait
            process.join()
            receiver.close()


class _Unsent:
    """Marks a work whose child died before sending its result."""


def _child(indices: list[int], sender: Connection) -> None:
    for index in indices:
        try:
            outcome: tuple[int, bool, object] = (index, True, _WORKS[index]())
        except Exception as exc:  # noqa: BLE001 - the error is the result: the parent raises it
            outcome = (index, False, exc)
        sender.send(outcome)
    sender.close()
