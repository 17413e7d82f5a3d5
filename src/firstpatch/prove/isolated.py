"""Run a trusted command line over untrusted code with the sandbox's process isolation.

For work that is a whole program rather than a request to a running application — the
target's own test suite, which patch verification runs before and after a patch: a child in
its own session and pids cgroup, in an empty network namespace (loopback only) where the host
allows one, under the sandbox's rlimits, with the environment it is given and nothing else,
killed with everything it started when `timeout` runs out. No audit hook: a test suite
legitimately starts processes and writes files, and it runs on a copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from firstpatch.prove._cgroup import PidsCgroup
from firstpatch.prove.interface import ProveError
from firstpatch.prove.sandbox import Limits

_BOOT = Path(__file__).with_name("_exec_isolated.py")


@dataclass(frozen=True, slots=True)
class IsolatedRun:
    returncode: int | None  # None when it was killed at the timeout
    isolation: str  # what contained it, for the log: "network: ...; pids cgroup: yes|no"

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_isolated(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    output: BinaryIO,
    limits: Limits | None = None,
) -> IsolatedRun:
    """Run `command` in `cwd` with only `env`, its stdout and stderr into `output`."""
    limits = limits or Limits()
    cgroup = PidsCgroup.create(limits.processes)
    read_fd, write_fd = os.pipe()
    wanted = {
        "cpu_seconds": limits.cpu_seconds,
        "memory_bytes": limits.memory_bytes,
        "open_files": limits.open_files,
        "processes": limits.processes,
        "file_bytes": limits.file_bytes,
    }
    boot = [sys.executable, "-I", "-B", str(_BOOT), str(write_fd), json.dumps(wanted), *command]
    try:
        process = subprocess.Popen(
            boot,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            start_new_session=True,
        )
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        if cgroup:
            cgroup.destroy()
        raise ProveError(f"cannot start {command[0]}: {exc}") from exc
    os.close(write_fd)
    in_cgroup = cgroup.add(process.pid) if cgroup else False
    try:
        if process.stdin is not None:  # the go-ahead; then stdin is closed, as /dev/null would be
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write(b"\n")
                process.stdin.close()
        network = _isolation_report(read_fd, timeout)
        try:
            returncode: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = None
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if cgroup:
            cgroup.destroy()
    return IsolatedRun(returncode, f"network: {network}; pids cgroup: {'yes' if in_cgroup else 'no'}")


def _isolation_report(fd: int, timeout: float) -> str:
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return "unknown"
    data = os.read(fd, 4096)
    try:
        report = json.loads(data)
    except ValueError:
        return "unknown (the child did not report)"
    return str(report.get("network", "unknown")) if isinstance(report, dict) else "unknown"
