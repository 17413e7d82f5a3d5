"""Targets for fleet tests: git repositories made on the spot, and git servers on loopback that
stall or drop a connection, as real remotes do."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-flask"


def demo_copy(where: Path) -> Path:
    shutil.copytree(DEMO, where, ignore=shutil.ignore_patterns("__pycache__"))
    return where


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Fleet Test", "-c", "user.email=fleet@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def git_repo(where: Path, source: Path = DEMO, branch: str = "main") -> Path:
    """A repository holding a copy of `source` in one commit on `branch`."""
    shutil.copytree(source, where, ignore=shutil.ignore_patterns("__pycache__"))
    git("init", "--quiet", f"--initial-branch={branch}", cwd=where)
    git("add", "--all", cwd=where)
    git("commit", "--quiet", "-m", "first", cwd=where)
    return where


def commit_file(repo: Path, name: str, text: str, message: str = "change") -> str:
    (repo / name).write_text(text)
    git("add", name, cwd=repo)
    git("commit", "--quiet", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def stalled_server() -> Iterator[int]:
    """A port that accepts connections and never says a word: a git server that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@contextmanager
def git_daemon(base: Path, port: int | None = None) -> Iterator[int]:
    """`git daemon` serving the repositories under `base` on loopback (git's own server)."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # `git daemon` runs git-daemon as a child, which forks per connection: the whole group goes.
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class FlakyProxy:
    """A loopback proxy to `upstream` that drops its first `drop_first` connections unanswered,
    as a server that is restarting does; `connections` counts the connections it took."""

    def __init__(self, upstream: int, drop_first: int) -> None:
        self.upstream = upstream
        self.drop_first = drop_first
        self.connections = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._open: list[socket.socket] = []

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self._open:
            connection.close()
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client = self._listener.accept()[0]
            except TimeoutError:
                continue
            self.connections += 1
            if self.connections <= self.drop_first:
                client.recv(65536)
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            self._open += [client, server]
            threading.Thread(target=_pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=_pipe, args=(server, client), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        # Half-close: the other direction may still be talking.
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def processes_mentioning(text: str) -> list[str]:
    """The command lines of running processes that contain `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in command:
                found.append(command)
    return found


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"git daemon exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
        except OSError:
            threading.Event().wait(0.05)
        else:
            return
    raise RuntimeError(f"git daemon did not listen on port {port}")
