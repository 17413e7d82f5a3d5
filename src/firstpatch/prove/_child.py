"""The sandbox child: `python -I -B -m firstpatch.prove._child`, job on stdin.

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

from firstpatch.prove import _isolate
from firstpatch.prove._guard import Guard
from firstpatch.prove._protocol import Json, encode
from firstpatch.prove._sinks import Sinks

# Runners the job may name; nothing else is imported on the job's say-so.
RUNNERS = {
    "flask": "firstpatch.prove._flask_runner",
    "django": "firstpatch.prove._django_runner",
    "asgi": "firstpatch.prove._asgi_runner",
    "aiohttp": "firstpatch.prove._aiohttp_runner",
    "tornado": "firstpatch.prove._tornado_runner",
    "cli": "firstpatch.prove._cli_runner",
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
    runner = importlib.import_module(RUNNERS[job["runner"]])
    guard = Guard(writable=(job["root"], job["tmp"]))
    guard.install()
    sinks = Sinks(guard)
    sinks.install()
    guard.on_watch(sinks.watch)
    channel.send({"type": "isolation", "network": network, "limits_refused": list(refused)})
    runner.run(job, guard, channel)
    channel.send({"type": "done"})
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: the target's atexit handlers or non-daemon threads could hang it.
    os._exit(status)
