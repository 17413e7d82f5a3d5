"""Run a job on a temporary copy of the target in a sandboxed child process.

The trusted parent copies the tree, and copies the child side of the sandbox (`CHILD_MODULES`:
standard library only) into a private package beside it, so that the child runs the same under
firstpatch's interpreter or the target's own (another Python version, a virtual environment
without firstpatch): `python -I -B -c BOOT LIB` appends only that package's folder to the path.
It starts the child in a new session with a scrubbed environment, sends the job on stdin and
reads JSON lines from a dedicated pipe. It enforces a wall clock by watching for progress: the
child must report within `startup_seconds` after it starts and within `step_seconds` of its
previous report, or its process group (and pids cgroup) is killed. Everything the child says is
data; failures come back as a `ChildError` with a kind, never as an exception.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firstpatch.prove._cgroup import PidsCgroup
from firstpatch.prove._protocol import Json
from firstpatch.prove.interface import ProveError

SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__")
# The modules the sandbox child runs (they import only the standard library and each other).
CHILD_MODULES = (
    "_child",
    "_isolate",
    "_guard",
    "_protocol",
    "_sinks",
    "_runner",
    "_flask_runner",
    "_django_runner",
    "_asgi_runner",
    "_aiohttp_runner",
    "_tornado_runner",
    "_cli_runner",
)
CHILD_PACKAGE = "_firstpatch_sandbox"  # its name in the child; unlikely to shadow a target module
_BOOT = (
    "import sys; sys.path.append(sys.argv.pop(1));"
    f" from {CHILD_PACKAGE}._child import run_and_exit; run_and_exit()"
)
MAX_OUTPUT = 32 * 1024 * 1024  # the most the parent reads from the result pipe
LOG_TAIL = 4000


@dataclass(frozen=True, slots=True)
class Limits:
    startup_seconds: float = 30.0  # until the child reports it is ready (or failed to start)
    step_seconds: float = 10.0  # the longest the child may go without reporting progress
    cpu_seconds: int = 300
    memory_bytes: int = 2 * 1024**3
    open_files: int = 256
    processes: int = 64
    file_bytes: int = 64 * 1024**2


class Failure(enum.StrEnum):
    TIMEOUT = "timeout"
    CRASH = "crash"
    IMPORT = "import"  # a module the target needs is missing
    START = "start"  # the target raised while starting
    MEMORY = "memory"
    PROTOCOL = "protocol"  # the child said something the parent cannot use
    COPY = "copy"  # the target tree could not be copied (unreadable files, ...)


@dataclass(frozen=True, slots=True)
class ChildError:
    kind: Failure
    message: str
    module: str | None = None  # for IMPORT
    exit_status: int | None = None  # for CRASH: the return code (negative: killed by that signal)
    item: str | None = None  # the work item in progress when it happened


@dataclass(frozen=True, slots=True)
class SandboxResult:
    messages: tuple[dict[str, Json], ...]
    error: ChildError | None
    root: str  # the real path the copy had (removed by now): what paths in records are under
    isolation: str  # what contained the child, for the log
    log: str  # the tail of the target's stdout and stderr
    seconds: float


def run(
    root: Path, job: dict[str, Json], limits: Limits = Limits(), python: str | None = None
) -> SandboxResult:
    """Run `job` (which names a runner) in a sandbox on a copy of `root`; `root` is not touched.

    `python` is another interpreter to run the child with (the target's own environment: a
    virtual environment holding its dependencies, or another Python version); it needs only its
    standard library, not firstpatch."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="firstpatch-sandbox-") as base:
        copy = Path(base) / "target"
        tmp = Path(base) / "tmp"
        lib = _child_package(Path(base) / "lib")
        try:
            shutil.copytree(root, copy, symlinks=True, ignore=SKIP)
        except OSError as exc:  # shutil.Error too: a target we cannot copy is untestable, not a crash
            failed = ChildError(Failure.COPY, f"could not copy the target: {str(exc)[:300]}")
            return SandboxResult((), failed, str(copy), "not started", "", time.monotonic() - started)
        tmp.mkdir()
        log_path = Path(base) / "output.log"
        messages, error, isolation = _supervise(copy, tmp, lib, log_path, job, limits, python)
        log = _tail(log_path)
        real = os.path.realpath(copy)
    return SandboxResult(tuple(messages), error, real, isolation, log, time.monotonic() - started)


def _child_package(lib: Path) -> Path:
    """A copy of the child side as the package `CHILD_PACKAGE` under `lib`; returns `lib`.

    A copy rather than firstpatch's own folder on the path: the target then sees no firstpatch
    module, and none of the packages installed beside firstpatch for another interpreter."""
    package = lib / CHILD_PACKAGE
    package.mkdir(parents=True)
    here = Path(__file__).resolve().parent
    for name in CHILD_MODULES:
        shutil.copyfile(here / f"{name}.py", package / f"{name}.py")
    (package / "__init__.py").write_text('"""The firstpatch sandbox child (a private copy)."""\n')
    return lib


def _command(python: str | None, lib: Path) -> list[str]:
    # Appended, not prepended: the target's environment decides its own packages.
    return [python or sys.executable, "-I", "-B", "-c", _BOOT, os.path.realpath(lib)]


def _supervise(
    copy: Path,
    tmp: Path,
    lib: Path,
    log_path: Path,
    job: dict[str, Json],
    limits: Limits,
    python: str | None,
) -> tuple[list[dict[str, Json]], ChildError | None, str]:
    cgroup = PidsCgroup.create(limits.processes)
    read_fd, write_fd = os.pipe()
    full_job = {
        **job,
        "fd": write_fd,
        "root": os.path.realpath(copy),
        "tmp": os.path.realpath(tmp),
        "limits": {
            "cpu_seconds": limits.cpu_seconds,
            "memory_bytes": limits.memory_bytes,
            "open_files": limits.open_files,
            "processes": limits.processes,
            "file_bytes": limits.file_bytes,
        },
    }
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(copy)}
    with log_path.open("wb") as log:
        try:
            process = subprocess.Popen(
                _command(python, lib),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=copy,
                env=env,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            if cgroup:
                cgroup.destroy()
            raise ProveError(f"cannot start the sandbox child {python or sys.executable}: {exc}") from exc
    os.close(write_fd)
    # The child blocks on stdin until here, so it is in the cgroup before it can fork.
    in_cgroup = cgroup.add(process.pid) if cgroup else False
    try:
        _send_job(process, full_job)
        messages, timed_out, item = _read(process, read_fd, limits)
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if cgroup:
            cgroup.destroy()
    told = next((m for m in messages if m.get("type") == "isolation"), {})
    isolation = (
        f"python {told.get('python', '?')}; network: {told.get('network', 'unknown')};"
        f" pids cgroup: {'yes' if in_cgroup else 'no'}"
    )
    return messages, _error(messages, process.returncode, timed_out, item, limits), isolation


def _send_job(process: subprocess.Popen[bytes], job: dict[str, Any]) -> None:
    stdin = process.stdin
    if stdin is None:  # Popen was given stdin=PIPE; this only narrows the type
        return
    with contextlib.suppress(BrokenPipeError):
        stdin.write(json.dumps(job).encode("utf-8"))
    with contextlib.suppress(BrokenPipeError):
        stdin.close()


def _read(
    process: subprocess.Popen[bytes], fd: int, limits: Limits
) -> tuple[list[dict[str, Json]], bool, str | None]:
    """Messages until the pipe closes; (messages, whether the watchdog fired, item in progress)."""
    messages: list[dict[str, Json]] = []
    buffer = b""
    received = 0
    item: str | None = None
    deadline = time.monotonic() + limits.startup_seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return messages, True, item
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.25))
        if not ready:
            if process.poll() is not None:  # exited; a stray descendant may still hold the pipe
                return messages, False, item
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return messages, False, item
        received += len(chunk)
        if received > MAX_OUTPUT:
            messages.append({"type": "error", "kind": "protocol", "message": "the child sent too much"})
            return messages, False, item
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            message = _parse(line)
            if message is None:
                continue
            messages.append(message)
            kind = message.get("type")
            if kind == "begin":
                item = str(message.get("item"))
            elif kind == "end":
                item = None
            if kind != "isolation":  # isolation is sent before the target is even imported
                deadline = time.monotonic() + limits.step_seconds


def _parse(line: bytes) -> dict[str, Json] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _error(
    messages: list[dict[str, Json]], status: int | None, timed_out: bool, item: str | None, limits: Limits
) -> ChildError | None:
    started = any(m.get("type") == "ready" for m in messages)
    if timed_out:
        seconds = limits.step_seconds if started else limits.startup_seconds
        what = "handling a request" if started else "starting the application"
        return ChildError(Failure.TIMEOUT, f"no progress for {seconds:g} s while {what}", item=item)
    for message in messages:
        if message.get("type") == "error":
            kind = str(message.get("kind"))
            module = message.get("module")
            return ChildError(
                Failure(kind) if kind in Failure._value2member_map_ else Failure.PROTOCOL,
                str(message.get("message", "")),
                module=module if isinstance(module, str) else None,
            )
    if any(m.get("type") == "done" for m in messages):
        return None
    return ChildError(Failure.CRASH, _exit_reason(status), exit_status=status, item=item)


def _exit_reason(status: int | None) -> str:
    if status is None:
        return "the child did not exit"
    if status < 0:
        number = -status
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        why = {"SIGXCPU": " (CPU time limit)", "SIGKILL": " (killed)", "SIGXFSZ": " (file size limit)"}
        return f"the child was killed by {name}{why.get(name, '')}"
    return f"the child exited with status {status} before finishing"


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - LOG_TAIL))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
