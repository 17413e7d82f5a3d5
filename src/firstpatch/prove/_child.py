"""The sandbox child, job on stdin; see `sandbox` for how it is started.

The child side (this module and the modules it imports) uses only the standard library and
imports its siblings relatively: the parent copies it into a private package that any supported
interpreter (3.11 to 3.13) can load without firstpatch or its dependencies.

Order matters: read the job, isolate (network namespace, rlimits), load the runner, install the
audit hook, and only then let the runner import target code. Results go to the pipe named in
the job as JSON lines (see `_protocol`); the target's own output goes to stdout/stderr, which the
parent keeps as a log.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from typing import Any

from . import _isolate
from ._guard import Guard
from ._protocol import Json, encode
from ._sinks import Sinks

# Runners the job may name; nothing else is imported on the job's say-so.
RUNNERS = {
    "flask": "._flask_runner",
    "django": "._django_runner",
    "asgi": "._asgi_runner",
    "aiohttp": "._aiohttp_runner",
    "tornado": "._tornado_runner",
    "cli": "._cli_runner",
}


class Channel:
    """The result pipe. Writes are whole lines so that the parent can parse what arrived."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def send(self, message: dict[str, Json]) -> None:
        data = encode(message)
        while data:
            data = data[os.write(self._fd, data) :]


def main() -> int:
    job: dict[str, Any] = json.loads(sys.stdin.buffer.read())
    channel = Channel(int(job["fd"]))
    limits = job["limits"]
    network = _isolate.leave_network()
    refused = _isolate.limit(
        limits["cpu_seconds"],
        limits["memory_bytes"],
        limits["open_files"],
        limits["processes"],
        limits["file_bytes"],
    )
    tempfile.tempdir = job["tmp"]
    runner = importlib.import_module(RUNNERS[job["runner"]], __package__)
    guard = Guard(writable=(job["root"], job["tmp"]))
    guard.install()
    sinks = Sinks(guard)
    sinks.install()
    guard.on_watch(sinks.watch)
    python = ".".join(str(part) for part in sys.version_info[:3])
    channel.send({"type": "isolation", "network": network, "limits_refused": list(refused), "python": python})
    runner.run(job, guard, channel)
    channel.send({"type": "done"})
    return 0


def run_and_exit() -> None:
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: the target's atexit handlers or non-daemon threads could hang it.
    os._exit(status)
