"""Conversion between the model's dataclasses and findings-v1 JSON values.

One generic walk over the type hints keeps the JSON shape and the dataclasses from drifting
apart; `schema/findings-v1.json` pins the shape and the tests validate every report against it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import types
import typing
from datetime import datetime
from importlib import resources
from typing import Any, TypeVar

from firstpatch.model.types import Finding, Run

SCHEMA_VERSION = "findings-v1"
T = TypeVar("T")


def to_json(value: object) -> Any:
    """A dataclass tree as plain JSON values (enums by value, datetimes as ISO 8601)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    return value


def from_json(cls: type[T], data: Any) -> T:
    """The inverse of `to_json` for a dataclass type."""
    return typing.cast(T, _decode(cls, data))


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        if data is None:
            return None
        (inner,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return _decode(inner, data)
    if origin is tuple:
        item_type = typing.get_args(tp)[0]
        return tuple(_decode(item_type, item) for item in data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp)}
        return tp(**{k: _decode(hints[k], v) for k, v in data.items() if k in known})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is datetime:
        return datetime.fromisoformat(data)
    return data


def run_document(run: Run) -> dict[str, Any]:
    """The findings-v1 document for a run: the JSON report and the API both serve this."""
    return {"schema": SCHEMA_VERSION, "run": to_json(run)}


def finding_payload(finding: Finding) -> str:
    """A finding as compact findings-v1 JSON, as the store keeps it."""
    return json.dumps(to_json(finding), sort_keys=True, separators=(",", ":"))


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files("firstpatch.model").joinpath("schema/findings-v1.json").read_text("utf-8")
    return typing.cast(dict[str, Any], json.loads(text))
