"""The HTTP request that delivers a payload to an entry point, and its curl equivalent.

One `HttpRequest` is built per payload on the trusted side; the sandbox child, the reproducer
script and the curl command all send exactly its bytes.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from firstpatch.model import EntryPoint, InputKind
from firstpatch.prove._protocol import Json
from firstpatch.prove.interface import Payload

BASE_URL = "http://127.0.0.1:5000"
# Tried at once when the entry point reads a whole mapping rather than one named parameter.
LIKELY_NAMES = (
    "q",
    "query",
    "search",
    "name",
    "id",
    "value",
    "input",
    "data",
    "text",
    "host",
    "cmd",
    "command",
    "file",
    "filename",
    "path",
    "url",
    "user",
    "username",
    "expr",
    "code",
    "author",
    "payload",
)
LIKELY_HEADERS = ("X-Forwarded-For", "User-Agent", "Referer", "X-Api-Key", "X-Request-Id")
_RULE_PART = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_SAMPLES = {"int": "1", "float": "1.0", "uuid": str(uuid.UUID(int=1)), "path": "x", "string": "x", "any": "x"}
_BOUNDARY = "firstpatch-boundary-7d1f3c"


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str  # percent-encoded path and query, as sent
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def to_json(self, canary: str) -> dict[str, Json]:
        return {
            "canary": canary,
            "method": self.method,
            "path": self.path,
            "headers": [[name, value] for name, value in self.headers],
            "body": base64.b64encode(self.body).decode("ascii") if self.body is not None else None,
        }

    def curl(self) -> str:
        """The same request against a locally running copy of the application."""
        parts = ["curl", "-i", "--path-as-is", "-X", self.method]
        for name, value in self.headers:
            parts += ["-H", f"{name}: {value}"]
        text = _argument_text(self.body)
        if text is not None:
            parts += ["--data-binary", text]
        elif self.body is not None:
            parts += ["--data-binary", "@-"]
        parts.append(BASE_URL + self.path)
        command = " ".join(shlex.quote(part) for part in parts)
        if self.body is None or text is not None:
            return command
        # printf %b with octal escapes reproduces any byte in any POSIX shell.
        escaped = "".join(
            chr(b) if 32 <= b < 127 and chr(b) not in "\\'%" else f"\\0{b:03o}" for b in self.body
        )
        return f"printf '%b' '{escaped}' | {command}"


def _argument_text(body: bytes | None) -> str | None:
    """The body as one shell word when the shell can carry it exactly, else None.

    A single-quoted word holds any text but NUL (newlines included); curl reads a value that
    starts with "@" as a file name, so such bodies go through stdin instead.
    """
    if body is None or b"\0" in body or body.startswith(b"@"):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def build_request(entry: EntryPoint, payload: Payload) -> HttpRequest:
    """Place `payload` where the entry point reads its input."""
    kind = entry.input_kind or InputKind.QUERY
    value = payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")
    names = (entry.parameter,) if entry.parameter else LIKELY_NAMES
    path = _fill_route(entry.route or "/", entry.parameter if kind is InputKind.PATH else None, value)
    method = _method(entry, kind)
    headers: list[tuple[str, str]] = []
    body: bytes | None = None
    if kind is InputKind.QUERY:
        path += "?" + urlencode([(name, value) for name in names])
    elif kind is InputKind.FORM:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        body = urlencode([(name, value) for name in names]).encode("utf-8")
    elif kind is InputKind.JSON:
        headers.append(("Content-Type", "application/json"))
        body = json.dumps(dict.fromkeys(names, value)).encode("utf-8")
    elif kind is InputKind.BODY:
        headers.append(("Content-Type", payload.content_type))
        body = payload.value if isinstance(payload.value, bytes) else payload.value.encode("utf-8")
    elif kind is InputKind.COOKIE:
        headers.append(("Cookie", "; ".join(f"{name}={_cookie_value(value)}" for name in names)))
    elif kind is InputKind.HEADER:
        header_names = (entry.parameter,) if entry.parameter else LIKELY_HEADERS
        headers += [(name, _header_value(value)) for name in header_names]
    elif kind is InputKind.FILE:
        headers.append(("Content-Type", f"multipart/form-data; boundary={_BOUNDARY}"))
        raw = payload.value if isinstance(payload.value, bytes) else payload.value.encode("utf-8")
        body = _multipart(names, raw, payload.content_type)
    return HttpRequest(method, path, tuple(headers), body)


def _method(entry: EntryPoint, kind: InputKind) -> str:
    methods = [method.upper() for method in entry.methods] or ["GET"]
    if kind in (InputKind.FORM, InputKind.JSON, InputKind.BODY, InputKind.FILE):
        for preferred in ("POST", "PUT", "PATCH"):
            if preferred in methods:
                return preferred
    return "GET" if "GET" in methods else methods[0]


def _fill_route(rule: str, parameter: str | None, value: str) -> str:
    def fill(match: re.Match[str]) -> str:
        converter = match["converter"] or "string"
        if parameter is not None and match["name"] == parameter:
            # The path converter accepts "/", the others do not: keep slashes only for it.
            return quote(value, safe="/" if converter == "path" else "")
        return _SAMPLES.get(converter, "x")

    return _RULE_PART.sub(fill, rule)


def _cookie_value(value: str) -> str:
    # RFC 6265 cookie values cannot hold ";", "," or controls; like Werkzeug's dump_cookie, send
    # a quoted string with backslash escapes and octal escapes, which its parser undoes.
    out = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif char in ";," or not 32 <= byte < 127:
            out.append(f"\\{byte:03o}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _header_value(value: str) -> str:
    # Header values cannot carry line breaks; send them escaped rather than split the header.
    return value.replace("\r", "\\r").replace("\n", "\\n")


def _multipart(names: tuple[str, ...], content: bytes, content_type: str) -> bytes:
    parts = []
    for name in names:
        parts.append(
            f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="upload.txt"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{_BOUNDARY}--\r\n".encode()
