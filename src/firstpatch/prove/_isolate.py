"""Process-level isolation the sandbox child applies to itself before it loads target code.

Runs in the child (stdlib only) while it is still single-threaded, which `unshare` with a user
namespace requires. Each step reports what it achieved instead of failing: a host that refuses
namespaces still gets rlimits and the audit hook.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import resource
import signal
import socket
import struct

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


def limit(cpu_seconds: int, memory_bytes: int, open_files: int, processes: int, file_bytes: int) -> list[str]:
    """Set rlimits; returns the ones the kernel refused (as 'NAME: error')."""
    wanted = {
        "RLIMIT_CPU": (cpu_seconds, cpu_seconds + 5),  # soft: SIGXCPU; hard: SIGKILL
        "RLIMIT_AS": (memory_bytes, memory_bytes),
        "RLIMIT_NOFILE": (open_files, open_files),
        "RLIMIT_NPROC": (processes, processes),  # not enforced for root: see the pids cgroup
        "RLIMIT_FSIZE": (file_bytes, file_bytes),
        "RLIMIT_CORE": (0, 0),
    }
    failed = []
    for name, (soft, hard) in wanted.items():
        kind = getattr(resource, name)
        _, ceiling = resource.getrlimit(kind)
        if ceiling != resource.RLIM_INFINITY:  # an unprivileged child cannot raise its hard limit
            soft, hard = min(soft, ceiling), min(hard, ceiling)  # noqa: PLW2901
        try:
            resource.setrlimit(kind, (soft, hard))
        except (ValueError, OSError) as exc:
            failed.append(f"{name}: {exc}")
    # Past RLIMIT_FSIZE a write fails with EFBIG instead of killing the child with SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return failed


def leave_network() -> str:
    """Move into a new, empty network namespace; the mode achieved, or 'none: why'."""
    libc = ctypes.CDLL(None, use_errno=True)
    attempts = (("network namespace", CLONE_NEWNET), ("user+network namespace", CLONE_NEWUSER | CLONE_NEWNET))
    for mode, flags in attempts:
        if libc.unshare(flags) == 0:
            _loopback_up()
            return mode
        error = ctypes.get_errno()
    return f"none: unshare failed ({os.strerror(error)})"


def _loopback_up() -> None:
    # A new namespace's `lo` is down; bring it up so the target can talk to itself.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH14x", b"lo", 0)
            flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))
    except OSError:
        pass  # loopback stays down: outside traffic is still impossible
