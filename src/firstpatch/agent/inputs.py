"""Inputs the model proposes, as structured requests, and the exact requests built from them.

The model never writes raw HTTP: it names a method, a path, and query/form/JSON/header/file
values. `{canary}` in a value is replaced by a fresh canary chosen here (so only the trusted side
knows it in advance) and `{secret:N}` by the secret it stands for. The value that carries the
canary is the payload an oracle judges; when several values carry it they must be the same text,
so that what the oracle compares against is what the application received.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from firstpatch.agent.workspace import Refused
from firstpatch.prove._http import HttpRequest

CANARY = "{canary}"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
MAX_VALUE = 64 * 1024
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")
_BOUNDARY = "firstpatch-agent-boundary-52c1"
_PATH_SAFE = ":@!$&'()*+,;=-._~%"


@dataclass(frozen=True, slots=True)
class Upload:
    field: str
    filename: str
    content: str
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """One request as the model described it (templates not yet filled)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, str], ...] = ()
    json_body: Any = None
    body: str | None = None
    content_type: str | None = None
    files: tuple[Upload, ...] = ()
    principal: str = ""  # for access hypotheses: whose credentials to add

    def mentions(self, text: str) -> bool:
        return any(text in leaf for leaf in self.leaves())

    def leaves(self) -> Iterator[str]:
        yield self.path
        for pair in (*self.query, *self.headers, *self.form):
            yield from pair
        yield from _json_strings(self.json_body)
        if self.body is not None:
            yield self.body
        for upload in self.files:
            yield upload.filename
            yield upload.content

    def summary(self) -> str:
        query = f"?{urlencode(self.query)}" if self.query else ""
        who = f" as {self.principal}" if self.principal else ""
        return f"{self.method} {self.path}{query}{who}"

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {"method": self.method, "path": self.path}
        for name in ("query", "headers", "form"):
            if getattr(self, name):
                value[name] = dict(getattr(self, name))
        if self.json_body is not None:
            value["json"] = self.json_body
        if self.body is not None:
            value["body"] = self.body
        if self.content_type:
            value["content_type"] = self.content_type
        if self.files:
            value["files"] = [
                {
                    "field": u.field,
                    "filename": u.filename,
                    "content": u.content,
                    "content_type": u.content_type,
                }
                for u in self.files
            ]
        if self.principal:
            value["as"] = self.principal
        return value


def parse_request(value: Any, where: str) -> RequestSpec:
    """A request from the model's arguments; `Refused` with the reason when it is malformed."""
    if not isinstance(value, dict):
        raise Refused(f"{where}: a request must be an object")
    method = str(value.get("method", "GET")).upper()
    if method not in METHODS:
        raise Refused(f"{where}: method {method!r} is not one of {', '.join(sorted(METHODS))}")
    path = value.get("path")
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise Refused(f"{where}: path must start with one '/' (only the local application is reachable)")
    if any(char in path for char in "?#\r\n\t ") or len(path) > 2048:
        raise Refused(f"{where}: put the query in 'query', not in the path; no spaces or controls")
    files = tuple(_upload(item, where) for item in _list(value.get("files"), where, "files"))
    body = value.get("body")
    if body is not None and not isinstance(body, str):
        raise Refused(f"{where}: body must be a string (use 'json' for a JSON body)")
    bodies = sum(x is not None for x in (value.get("json"), body, value.get("form") or None, files or None))
    if bodies > 1:
        raise Refused(f"{where}: give at most one of json, body, form and files")
    spec = RequestSpec(
        method=method,
        path=path,
        query=_pairs(value.get("query"), where, "query"),
        headers=_headers(value.get("headers"), where),
        form=_pairs(value.get("form"), where, "form"),
        json_body=value.get("json"),
        body=body,
        content_type=_optional_text(value.get("content_type"), where, "content_type"),
        files=files,
        principal=str(value.get("as", "")),
    )
    if sum(len(leaf) for leaf in spec.leaves()) > MAX_VALUE:
        raise Refused(f"{where}: the request is larger than {MAX_VALUE // 1024} KiB")
    return spec


@dataclass(frozen=True, slots=True)
class Built:
    request: HttpRequest
    payload: str | None  # the value that carries the canary, as the application receives it


def build(
    spec: RequestSpec,
    canary: str,
    restore: Callable[[str], str],
    extra_headers: tuple[tuple[str, str], ...] = (),
    extra_query: tuple[tuple[str, str], ...] = (),
) -> Built:
    """The exact request: templates filled, secrets restored, a principal's credentials added."""
    carried: set[str] = set()

    def fill(text: str) -> str:
        value = restore(text.replace(CANARY, canary))
        if canary in value:
            carried.add(value)
        return value

    segments = []
    for segment in spec.path.split("/"):
        filled = fill(segment)
        # A segment with the canary is encoded whole, so the application decodes it back to
        # exactly the value the oracle compares against.
        segments.append(quote(filled, safe="") if canary in filled else quote(filled, safe=_PATH_SAFE))
    path = "/".join(segments)
    query = [(fill(k), fill(v)) for k, v in (*spec.query, *extra_query)]
    if query:
        path += "?" + urlencode(query)
    named = {name.lower(): (name, fill(value)) for name, value in (*spec.headers, *extra_headers)}
    body: bytes | None = None
    content_type = spec.content_type
    if spec.form:
        body = urlencode([(fill(k), fill(v)) for k, v in spec.form]).encode("utf-8")
        content_type = content_type or "application/x-www-form-urlencoded"
    elif spec.json_body is not None:
        body = json.dumps(_fill_json(spec.json_body, fill)).encode("utf-8")
        content_type = content_type or "application/json"
    elif spec.body is not None:
        body = fill(spec.body).encode("utf-8")
        content_type = content_type or "text/plain; charset=utf-8"
    elif spec.files:
        body = _multipart(spec.files, fill)
        content_type = f"multipart/form-data; boundary={_BOUNDARY}"
    if content_type and "content-type" not in named:
        named["content-type"] = ("Content-Type", content_type)
    for name, value in named.values():
        if "\r" in value or "\n" in value:
            raise Refused(f"header {name}: values cannot hold line breaks")
    if len(carried) > 1:
        raise Refused("the canary sits in values that differ; put {canary} in one value (or identical ones)")
    return Built(HttpRequest(spec.method, path, tuple(named.values()), body), next(iter(carried), None))


def _fill_json(value: Any, fill: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, list):
        return [_fill_json(item, fill) for item in value]
    if isinstance(value, dict):
        return {fill(str(key)): _fill_json(item, fill) for key, item in value.items()}
    return value


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_strings(item)


def _multipart(files: tuple[Upload, ...], fill: Callable[[str], str]) -> bytes:
    parts = []
    for upload in files:
        filename = fill(upload.filename).replace('"', "%22").replace("\r", "").replace("\n", "")
        disposition = f'form-data; name="{upload.field}"; filename="{filename}"'
        head = (
            f"--{_BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
            f"Content-Type: {upload.content_type}\r\n\r\n"
        )
        parts.append(head.encode("utf-8") + fill(upload.content).encode("utf-8") + b"\r\n")
    return b"".join(parts) + f"--{_BOUNDARY}--\r\n".encode()


def _list(value: Any, where: str, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Refused(f"{where}: {name} must be a list")
    return value


def _pairs(value: Any, where: str, name: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
        raise Refused(f"{where}: {name} must be an object of names to text values")
    return tuple((str(k), str(v)) for k, v in value.items())


def _headers(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    pairs = _pairs(value, where, "headers")
    for name, _ in pairs:
        if not _HEADER_NAME.match(name):
            raise Refused(f"{where}: {name!r} is not a valid header name")
    return pairs


def _optional_text(value: Any, where: str, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "\n" in value or "\r" in value:
        raise Refused(f"{where}: {name} must be one line of text")
    return value


def _upload(value: Any, where: str) -> Upload:
    if not isinstance(value, dict):
        raise Refused(f"{where}: each file must be an object with field, filename and content")
    field, filename, content = value.get("field"), value.get("filename"), value.get("content")
    if not all(isinstance(x, str) for x in (field, filename, content)) or not _HEADER_NAME.match(str(field)):
        raise Refused(f"{where}: each file needs a field name, a filename and text content")
    content_type = (
        _optional_text(value.get("content_type"), where, "content_type") or "application/octet-stream"
    )
    return Upload(str(field), str(filename), str(content), content_type)
