"""The JSON lines the sandbox child and its parent exchange (stdlib only: the child imports it).

Parent → child: one job object on stdin. Child → parent: one JSON object per line on a
dedicated pipe, because the target may print anything on stdout. Messages, in order:

    {"type": "isolation", "network": ..., "limits_refused": [...], "python": "3.12.1"}
    {"type": "ready", "records": [...], ...}            the target started; runner-specific keys
    {"type": "begin", "item": id}                        one unit of work (a finding) starts
    {"type": "request", "item": id, ...}                 one observation
    {"type": "end", "item": id}
    {"type": "error", "kind": ..., "message": ..., "module": ...}   the target could not start
    {"type": "done"}
"""

from __future__ import annotations

import json
import os
from typing import TypeAlias

Json: TypeAlias = "str | int | float | bool | list[Json] | dict[str, Json] | None"

MAX_STRING = 4096  # longest string kept in a record; longer ones are cut with a marker
MAX_DEPTH = 4


def safe(value: object, depth: int = 0) -> Json:
    """A JSON-safe, bounded copy of an audit argument (unknown objects become their type name)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else value[:MAX_STRING] + "…[cut]"
    if isinstance(value, bytes | bytearray):
        return safe(bytes(value).decode("utf-8", "replace"), depth)
    if isinstance(value, os.PathLike):
        return safe(os.fspath(value), depth)
    if depth >= MAX_DEPTH:
        return f"<{type(value).__name__}>"
    if isinstance(value, list | tuple):
        return [safe(item, depth + 1) for item in value[:64]]
    if isinstance(value, dict):
        return {str(k): safe(v, depth + 1) for k, v in list(value.items())[:64]}
    return f"<{type(value).__name__}>"


def encode(message: dict[str, Json]) -> bytes:
    return json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"
