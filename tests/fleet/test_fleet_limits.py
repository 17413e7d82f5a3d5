"""Per-task limits: a heap ceiling that is lifted afterwards, and a deadline that kills what the task
started, sessions of their own included."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from firstpatch.fleet.limits import Deadline, memory_limit

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="limits read /proc")

MIB = 1024 * 1024


def test_the_memory_limit_stops_an_allocation_past_it_and_is_lifted_afterwards() -> None:
    before = resource.getrlimit(resource.RLIMIT_DATA)
    with memory_limit(64 * MIB):
        small = bytearray(8 * MIB)
        with pytest.raises(MemoryError):
            bytearray(256 * MIB)
    assert resource.getrlimit(resource.RLIMIT_DATA) == before
    assert len(bytearray(256 * MIB)) == 256 * MIB
    assert len(small) == 8 * MIB


def test_the_memory_limit_never_loosens_a_tighter_one() -> None:
    before = resource.getrlimit(resource.RLIMIT_DATA)
    soft = 8 * 1024 * MIB
    resource.setrlimit(resource.RLIMIT_DATA, (soft, before[1]))
    try:
        with memory_limit(64 * 1024 * MIB):
            assert resource.getrlimit(resource.RLIMIT_DATA)[0] == soft
        assert resource.getrlimit(resource.RLIMIT_DATA)[0] == soft
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, before)


def test_the_deadline_kills_what_the_block_started_even_in_a_new_session() -> None:
    earlier = subprocess.Popen(["sleep", "60"])
    try:
        with Deadline(0.3) as deadline:
            plain = subprocess.Popen(["sleep", "60"])
            detached = subprocess.Popen(["sleep", "60"], start_new_session=True)
            # A grandchild whose parent exits at once, as a daemonising program does.
            shell = subprocess.Popen(
                ["sh", "-c", "sleep 60 & echo $!; wait"], stdout=subprocess.PIPE, text=True
            )
            assert shell.stdout is not None
            grandchild = int(shell.stdout.readline())
            assert plain.wait(timeout=30) == -signal.SIGKILL
            assert detached.wait(timeout=30) == -signal.SIGKILL
            assert shell.wait(timeout=30) == -signal.SIGKILL
            shell.stdout.close()
        assert deadline.expired
        assert _ends(grandchild)
        assert earlier.poll() is None
    finally:
        earlier.kill()
        earlier.wait()


def test_a_block_that_ends_in_time_is_not_expired_and_its_children_live() -> None:
    with Deadline(30) as deadline:
        child = subprocess.Popen(["sleep", "60"])
    try:
        assert not deadline.expired
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()


def _ends(pid: int) -> bool:
    """Whether process `pid` is gone (or a zombie) within 30 seconds."""
    for _ in range(300):
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False
