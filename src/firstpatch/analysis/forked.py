"""Work run in a forked child that already holds the parsed program in memory.

Syntax trees cost more to send between processes than to parse, so the second core gets work
by forking: the child inherits everything, and only its (small) result is sent back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_WORK: Callable[[], object] | None = None


def _run() -> object:
    assert _WORK is not None  # noqa: S101 - set by the parent before forking
    return _WORK()


@contextmanager
def in_child(work: Callable[[], T], enabled: bool = True) -> Iterator[Callable[[], T]]:
    """Start `work` in a forked child now; call what this yields for its result. Where forking
    is not available (or not `enabled`), the work runs here, when its result is asked for."""
    if not enabled or sys.platform != "linux":
        yield work
        return
    import multiprocessing

    global _WORK  # noqa: PLW0603 - how the child finds the work without pickling it
    _WORK = work
    try:
        pool = multiprocessing.get_context("fork").Pool(1)  # forks here, inheriting _WORK
    finally:
        _WORK = None
    finished = False
    try:
        pending = pool.apply_async(_run)
        yield pending.get  # type: ignore[misc]  # AsyncResult is not generic over its value
        finished = pending.ready()
    finally:
        # A child that delivered its result exits on its own; only one still at work (the caller
        # failed or did not wait) is killed.
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()
