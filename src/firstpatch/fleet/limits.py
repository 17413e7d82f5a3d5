"""Per-task limits inside a Ray worker: how much heap a scan may add, and how long it may take.

Ray's `memory=` option only reserves memory when it places a task; `memory_limit` makes the
reservation a ceiling with RLIMIT_DATA, so a scan that grows past it gets a `MemoryError` in
its own task instead of pushing the node into its OOM killer. The limit is lifted again when the
task ends, because Ray reuses the worker for the next one.

`Deadline` kills what the task started (git, the prove sandbox, which runs in a session of its
own and would outlive a killed worker) once the time is up. Work that is stuck in the worker's
own Python code is stopped by the driver, which kills the worker a little later.
"""

from __future__ import annotations

import os
import resource
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

_SWEEP_SECONDS = 0.2  # after expiry, how often to look for processes the task starts anew


@contextmanager
def memory_limit(limit_bytes: int) -> Iterator[None]:
    """Let this process's data segment grow by at most `limit_bytes` during the block (Linux;
    elsewhere the block runs without a ceiling and only Ray's reservation applies)."""
    baseline = _data_bytes()
    if baseline is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    ceiling = baseline + limit_bytes
    for outer in (soft, hard):  # never loosen a limit someone else set
        if outer != resource.RLIM_INFINITY:
            ceiling = min(ceiling, outer)
    resource.setrlimit(resource.RLIMIT_DATA, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


class Deadline:
    """After `seconds`, `expired` turns true and every process this one started since the block
    began is killed, and so is any it starts afterwards until the block ends."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="firstpatch-deadline", daemon=True)
        self._before: set[int] = set()

    def __enter__(self) -> Deadline:
        self._before = set(descendants(os.getpid()))
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        while True:
            for pid in descendants(os.getpid()):
                if pid not in self._before:
                    _kill(pid)
            if self._done.wait(_SWEEP_SECONDS):
                return


def descendants(pid: int) -> list[int]:
    """Every living process below `pid`, parents before their children (Linux /proc; empty elsewhere).

    Found through each thread's `children` list, which still holds processes that started a session
    of their own."""
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in _children(stack.pop()):
            if child not in found:
                found.append(child)
                stack.append(child)
    return found


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for thread in Path(f"/proc/{pid}/task").iterdir():
            children.extend(int(word) for word in (thread / "children").read_text().split())
    except OSError:
        pass  # gone already, or no /proc
    return children


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.kill(pid, signal.SIGKILL)


def _data_bytes() -> int | None:
    """The size of this process's data segment, as RLIMIT_DATA counts it."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmData:"):
            return int(line.split()[1]) * 1024
    return None
