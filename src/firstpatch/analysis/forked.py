"""Work run in forked children that already hold the parsed program in memory.

Syntax trees cost more to send between processes than to parse, so the other cores get work by
forking: the children inherit everything, and only their (small) results are sent back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

_WORKS: Sequence[Callable[[], object]] = ()


def _run(index: int) -> object:
    return _WORKS[index]()


@contextmanager
def in_children(
    works: Sequence[Callable[[], Any]], children: int = 1, enabled: bool = True
) -> Iterator[list[Callable[[], Any]]]:
    """Start `works` in `children` forked processes now, in the order given (a child takes the
    next work when it is free); yields one callable per work that returns its result, waiting
    for it. Where forking is not available (or not `enabled`), each work runs here, when its
    result is asked for."""
    if not enabled or sys.platform != "linux" or not works:
        yield list(works)
        return
    import multiprocessing

    global _WORKS  # noqa: PLW0603 - how the children find the works without pickling them
    _WORKS = works
    try:
        pool = multiprocessing.get_context("fork").Pool(max(1, min(children, len(works))))  # forks here
    finally:
        _WORKS = ()
    pending = [pool.apply_async(_run, (index,)) for index in range(len(works))]
    try:
        yield [result.get for result in pending]
    finally:
        # Children that delivered every result exit on their own; ones still at work (the
        # caller failed, or did not wait) are killed.
        if all(result.ready() for result in pending):
            pool.close()
        else:
            pool.terminate()
        pool.join()
