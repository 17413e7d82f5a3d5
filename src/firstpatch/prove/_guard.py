"""The sandbox child's audit hook: records what sinks receive and refuses escapes.

Runs inside the untrusted child (stdlib only). Every refusal is recorded before it is raised,
so the parent can report what the target tried. Refused: starting processes (including fork),
network traffic and listening anywhere but loopback, signals to other processes, and writing or
changing files outside the sandbox's copy and temp folder. Recorded when they mention the
current request's canary: the sink events the oracles read (commands, imports, unpickled
globals, opened paths, compiled source, SQLite statements).

An audit hook is not a security boundary on its own (code in the same process can forge
records or reach C functions through ctypes); the network namespace, rlimits, process-count
cgroup and the separate process are the boundary, the hook makes refusals visible.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ._protocol import Json, safe

SPAWN = frozenset(
    {"os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty"}
)
NETWORK = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
        "socket.gethostbyaddr",
    }
)
# Events whose first path argument is changed (the second, too, for rename/link/symlink/copy).
MUTATE = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.rename",
        "os.link",
        "os.symlink",
        "os.truncate",
        "os.chmod",
        "os.chown",
        "os.utime",
        "os.chflags",
        "os.setxattr",
        "os.removexattr",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.copystat",
        "shutil.move",
    }
)
_ADDRESS_SECOND = frozenset({"socket.connect", "socket.bind", "socket.sendto"})
_TWO_PATHS = frozenset(
    {
        "os.rename",
        "os.link",
        "os.symlink",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.copystat",
        "shutil.move",
    }
)
_CREATES_SECOND = frozenset({"os.symlink", "shutil.copyfile", "shutil.copymode", "shutil.copystat"})
WATCH = frozenset(
    {
        "import",
        "pickle.find_class",
        "compile",
        "os.listdir",
        "os.scandir",
        "urllib.Request",
        "http.client.connect",
    }
)
KILL = frozenset({"os.kill", "os.killpg"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_ALWAYS_WRITABLE = frozenset({"/dev/null"})
MAX_RECORDS = 200


class Refused(PermissionError):
    """Raised into the target when the sandbox refuses an operation."""


class Guard:
    def __init__(self, writable: Sequence[str]) -> None:
        self._writable = tuple(os.path.realpath(path) for path in writable)
        self.root = self._writable[0] if self._writable else ""  # the target's copy
        self._canary: str | None = None
        self._records: list[dict[str, Json]] = []
        self._inside = threading.local()
        self._watchers: list[Callable[[str | None], None]] = []

    def install(self) -> None:
        sys.addaudithook(self._hook)
        _trace_sqlite(self)

    def watch(self, canary: str | None) -> None:
        """Start recording for a new request (None: outside any request)."""
        self._canary = canary
        self._records = []
        for watcher in self._watchers:
            watcher(canary)

    def on_watch(self, watcher: Callable[[str | None], None]) -> None:
        """Call `watcher` with each new request's canary (sink wrappers that need it)."""
        self._watchers.append(watcher)

    @property
    def canary(self) -> str | None:
        return self._canary

    def note(self, event: str, args: Sequence[Any]) -> None:
        """Record an event a sink wrapper saw during a request, whatever it mentions."""
        if self._canary is not None:
            self._record(event, [safe(arg) for arg in args])

    def mention(self, event: str, args: Sequence[Any]) -> None:
        """Record an event during a request when its arguments mention the canary."""
        self._maybe_record(event, tuple(args))

    def collect(self) -> list[dict[str, Json]]:
        records, self._records = self._records, []
        return records

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if getattr(self._inside, "active", False):
            return  # the hook's own calls (realpath, ...) must not re-enter it
        self._inside.active = True
        try:
            refusal = self._inspect(event, args)
        finally:
            self._inside.active = False
        if refusal:
            raise Refused(f"firstpatch sandbox refused {event}: {refusal}")

    def _inspect(self, event: str, args: tuple[Any, ...]) -> str | None:
        if event in SPAWN:
            self._record(event, _spawn_args(event, args), refused=True)
            return "starting processes is not allowed"
        if event in NETWORK:
            return self._network(event, args)
        if event == "open":
            return self._open(args)
        if event in MUTATE:
            return self._mutate(event, args)
        if event in KILL:
            if args and args[0] not in (0, os.getpid()):
                self._record(event, list(args), refused=True)
                return "signals to other processes are not allowed"
            return None
        if event in WATCH:
            self._maybe_record(event, args[:2])
        return None

    def _network(self, event: str, args: tuple[Any, ...]) -> str | None:
        # socket.connect/bind/sendto(socket, address); the resolvers take the host first.
        address = args[1] if event in _ADDRESS_SECOND else args[0] if args else None
        if _loopback(address) or (isinstance(address, str | bytes) and self._inside_roots(address)):
            self._maybe_record(event, (address,))
            return None
        self._record(event, [safe(address)], refused=True)
        return f"network access to {address!r} is not allowed (loopback only)"

    def _open(self, args: tuple[Any, ...]) -> str | None:
        path, mode, flags = [*args, None, None, None][:3]
        if isinstance(path, int) or path is None:
            return None  # an already open descriptor
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writing:
            real = real_path(path)
            if not self._inside_roots(real):
                self._record("open", [real, safe(mode)], refused=True)
                return f"writing {real!r} outside the sandbox is not allowed"
        # Reads are the hot path (every import opens files): resolve only canary paths.
        if self._canary is not None and self._canary in os.fsdecode(path):
            self._maybe_record("open", (real_path(path), mode))
        return None

    def _mutate(self, event: str, args: tuple[Any, ...]) -> str | None:
        # Moves and hard links touch both paths; copies and symlinks create only the second.
        count = 2 if event in _TWO_PATHS else 1
        paths = [arg for arg in args[:count] if isinstance(arg, str | bytes | os.PathLike)]
        if event in _CREATES_SECOND:
            paths = paths[1:]
        for path in paths:
            real = real_path(path)
            if not self._inside_roots(real):
                self._record(event, [real], refused=True)
                return f"changing {real!r} outside the sandbox is not allowed"
        if paths:
            self._maybe_record(event, tuple(real_path(path) for path in paths))
        return None

    def _inside_roots(self, path: str | bytes) -> bool:
        real = real_path(path)
        if real in _ALWAYS_WRITABLE:
            return True
        return any(real == root or real.startswith(root + os.sep) for root in self._writable)

    def _maybe_record(self, event: str, args: tuple[Any, ...]) -> None:
        canary = self._canary
        if canary is None:
            return
        values = [safe(arg) for arg in args]
        if canary in repr(values):
            self._record(event, values)

    def _record(self, event: str, args: list[Json], refused: bool = False) -> None:
        if len(self._records) < MAX_RECORDS:
            self._records.append({"event": event, "args": args, "refused": refused})

    def statement(self, sql: str) -> None:
        """A statement SQLite is about to run (from the trace callback)."""
        self._maybe_record("sqlite3.trace", (sql,))


def _trace_sqlite(guard: Guard) -> None:
    """Give every connection made through `sqlite3.connect` a trace callback.

    The `sqlite3.connect/handle` audit event fires before the connection is initialised, when
    `set_trace_callback` still fails, so `connect` itself is wrapped (before the target imports
    it). Wrappers such as SQLAlchemy go through `sqlite3.connect` too.
    """
    original = sqlite3.connect

    @functools.wraps(original)
    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = original(*args, **kwargs)
        with contextlib.suppress(sqlite3.Error):
            connection.set_trace_callback(guard.statement)
        return connection

    sqlite3.connect = connect  # type: ignore[assignment]
    sqlite3.dbapi2.connect = connect  # type: ignore[assignment]


def _spawn_args(event: str, args: tuple[Any, ...]) -> list[Json]:
    # Drop environments: they are large and never what an oracle reads.
    if event == "subprocess.Popen":
        return [safe(args[0]), safe(args[1])]
    if event in ("os.exec", "os.posix_spawn"):
        return [safe(args[0]), safe(args[1])]
    if event == "os.spawn":
        return [safe(args[0]), safe(args[1]), safe(args[2])]
    return [safe(arg) for arg in args]


def real_path(path: object) -> str:
    name = os.fsdecode(path) if isinstance(path, str | bytes | os.PathLike) else str(path)
    # os.path, not pathlib: this runs inside the audit hook on every write, so it stays cheap.
    return os.path.realpath(os.path.join(os.getcwd(), name))  # noqa: PTH109, PTH118


def _loopback(address: object) -> bool:
    host: object = address[0] if isinstance(address, tuple) and address else address
    if host is None:
        return True  # getaddrinfo(None, port): the local host
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False
