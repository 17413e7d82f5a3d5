"""OSV records (JSON, or YAML as pypa/advisory-database writes them) into `model.Advisory`.

Every field this module reads is checked against the OSV schema's shape, and a record that does
not fit raises `AdvisoryError` naming the file and the field. Fields firstpatch does not use
(`credits`, `database_specific`, `ecosystem_specific`, ...) are not checked. The whole published
JSON Schema is not applied: its newer revisions reject records of the 2024 PyPI export (short
commit hashes in GIT ranges) whose version data is sound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import yaml

from firstpatch.advisories.interface import AdvisoryError
from firstpatch.model import (
    Advisory,
    AdvisoryId,
    Affected,
    AffectedRange,
    RangeEvent,
    SeverityVector,
)

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
RANGE_TYPES = ("ECOSYSTEM", "SEMVER", "GIT")

# The C loader is several times faster on the 2,600-record PyPI export; both are safe loaders.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def loads(text: str, origin: str) -> Advisory:
    """One OSV record from its text; `origin` (a file name) is named in any error."""
    return from_data(decode(text, origin), origin)


def decode(text: str, origin: str) -> object:
    """The JSON or YAML value of a record's text (for the fields `model.Advisory` leaves out)."""
    try:
        return json.loads(text) if text.lstrip().startswith("{") else _yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise AdvisoryError(f"{origin}: not a JSON or YAML document: {exc}") from exc


def yaml_loader() -> type[yaml.SafeLoader]:
    """The safe YAML loader records are read with (libyaml's when installed)."""
    return _Loader


def _yaml(text: str) -> object:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is CSafeLoader or SafeLoader


def from_data(data: object, origin: str) -> Advisory:
    """One OSV record from its decoded JSON/YAML value."""
    record = _Fields(data, origin, "")
    return Advisory(
        id=AdvisoryId(record.text("id", required=True)),
        summary=record.text("summary"),
        details=record.text("details"),
        aliases=tuple(record.texts("aliases")),
        affected=tuple(_affected(item) for item in record.objects("affected")),
        severity=tuple(_severity(item) for item in record.objects("severity")),
        references=tuple(ref.text("url", required=True) for ref in record.objects("references")),
        published=record.time("published"),
        modified=record.time("modified", required=True),
        withdrawn=record.time("withdrawn"),
    )


class _Fields:
    """Typed access to one JSON object of a record, with its place in the record for errors."""

    def __init__(self, data: object, origin: str, where: str) -> None:
        if not isinstance(data, Mapping):
            raise AdvisoryError(f"{origin}: {where or 'record'} must be an object, not {_kind(data)}")
        self.data: Mapping[str, Any] = data
        self.origin = origin
        self.where = where

    def fail(self, key: str, problem: str) -> AdvisoryError:
        return AdvisoryError(f"{self.origin}: {self.where}{key} {problem}")

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return ""
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {_kind(value)} {value!r}")
        return value

    def texts(self, key: str) -> list[str]:
        values = self._list(key)
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{key}[{index}]", f"must be a string, not {_kind(value)} {value!r}")
        return values

    def objects(self, key: str) -> list[_Fields]:
        return [
            _Fields(item, self.origin, f"{self.where}{key}[{index}].")
            for index, item in enumerate(self._list(key))
        ]

    def child(self, key: str) -> _Fields | None:
        value = self.data.get(key)
        return None if value is None else _Fields(value, self.origin, f"{self.where}{key}.")

    def time(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if isinstance(value, datetime):  # YAML resolves unquoted timestamps itself
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError as exc:
                raise self.fail(key, f"is not an RFC 3339 timestamp: {value!r}") from exc
        else:
            raise self.fail(key, f"must be a timestamp, not {_kind(value)} {value!r}")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def _list(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []  # the schema allows null for `aliases` and `affected`, and absence everywhere
        if not isinstance(value, list):
            raise self.fail(key, f"must be an array, not {_kind(value)}")
        return value


def _affected(item: _Fields) -> Affected:
    package = item.child("package")
    return Affected(
        ecosystem=package.text("ecosystem", required=True) if package else "",
        name=package.text("name", required=True) if package else "",
        ranges=tuple(_range(r) for r in item.objects("ranges")),
        versions=tuple(item.texts("versions")),
    )


def _range(item: _Fields) -> AffectedRange:
    kind = item.text("type", required=True)
    if kind not in RANGE_TYPES:
        raise item.fail("type", f"must be one of {', '.join(RANGE_TYPES)}, not {kind!r}")
    events = []
    for event in item.objects("events"):
        keys = [key for key in EVENT_KINDS if key in event.data]
        if len(keys) != 1:
            raise AdvisoryError(
                f"{item.origin}: {event.where.rstrip('.')} must have exactly one of "
                f"{', '.join(EVENT_KINDS)}, has {sorted(event.data)}"
            )
        events.append(RangeEvent(keys[0], event.text(keys[0], required=True)))
    if not any(event.kind == "introduced" for event in events):
        raise item.fail("events", "must contain an introduced event")
    return AffectedRange(type=kind, events=tuple(events))


def _severity(item: _Fields) -> SeverityVector:
    return SeverityVector(type=item.text("type", required=True), score=item.text("score", required=True))


def _kind(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )
