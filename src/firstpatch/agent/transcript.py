"""The run's transcript: every prompt, reply, tool call and verdict, one JSON object per line.

Each line is redacted before it is written (the target's secrets become `{secret:N}`, the API key
`[api key]`) and flushed at once, so a run that is stopped mid-way still leaves a readable record.
Request headers are never written: the key lives only there.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from firstpatch.agent.redact import Redactor


class Transcript:
    def __init__(self, path: Path, redactor: Redactor) -> None:
        self.path = path
        self._redactor = redactor
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a", encoding="utf-8")

    def write(self, event: str, task: str = "", **data: Any) -> None:
        record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
        if task:
            record["task"] = task
        record.update(data)
        line = json.dumps(self._redactor.redact_json(record), ensure_ascii=False, default=str)
        self._handle.write(line + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()
