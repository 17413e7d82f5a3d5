"""Helpers the oracles share for reading audit records."""

from __future__ import annotations

from collections.abc import Iterator

from firstpatch.model import Location
from firstpatch.prove._protocol import Json
from firstpatch.prove.interface import AuditRecord, Observation, Payload


def text(value: Json) -> str | None:
    return value if isinstance(value, str) else None


def strings(value: Json) -> list[str]:
    """The strings of an argument that is a string or a list of strings (argv)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def records(observation: Observation, *events: str) -> Iterator[AuditRecord]:
    """Records of the given events whose arguments mention the observation's canary."""
    canary = observation.payload.canary
    for record in observation.records:
        if record.event in events and canary in repr(record.args):
            yield record


def shorten(value: str, limit: int = 300) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def canaries_in(payload: Payload) -> int:
    """How many times the payload carries its canary."""
    value = payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")
    return value.count(payload.canary)


def payload_text(payload: Payload) -> str:
    return payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")


def at(place: Location | None, path: Json, line: Json) -> bool:
    """Whether a call recorded at (path, line) of the target is inside `place`."""
    if place is None or not isinstance(path, str) or not isinstance(line, int) or path != place.path:
        return False
    return not place.line or place.line <= line <= max(place.end_line, place.line)
