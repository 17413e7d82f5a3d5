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
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from firstpatch.model import EntryPoint, InputKind
from firstpatch.prove._hints import NO_HINTS, Hints
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
_RULE_PART = re.compile(
    r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>|\{(?P<bname>\w+)(?::(?P<bconverter>[^}]+))?\}"
)
_REGEX_HINT = re.compile(r"\((?!\?P<\w+>[^)]*\)$)|^\^|\$$|\\[dws.]")
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


def build_request(entry: EntryPoint, payload: Payload, hints: Hints = NO_HINTS) -> HttpRequest:
    """Place `payload` where the entry point reads its input, with the other inputs `hints` says
    the path needs.

    An entry point that names no input (a pattern finding: a weak hash of whatever the handler
    reads) gets the payload in every input the handler looks up by name."""
    value = payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")
    value = hints.prefix + value
    by_name = name_is_input(entry, hints)
    if entry.input_kind is None and not entry.parameter:
        placed = [(kind, names) for kind, names in hints.names.items() if kind in _HTTP_KINDS]
        if by_name and hints.name_kind is not None and hints.name_kind not in hints.names:
            placed.append((hints.name_kind, ()))
        kinds = [kind for kind, _ in placed] or [InputKind.QUERY]
    else:
        kind = entry.input_kind or InputKind.QUERY
        names = (entry.parameter,) if entry.parameter else (hints.names_for(kind) or _likely(kind))
        placed, kinds = [(kind, names)], [kind]
    route_value = value if InputKind.PATH in kinds else None
    path = fill_route(entry.route or "/", entry.parameter if route_value is not None else None, value)
    method = _method(entry, kinds)
    parts = _Parts()
    for kind, names in placed or [(InputKind.QUERY, LIKELY_NAMES)]:
        if by_name and kind is hints.name_kind:
            parts.named(kind, value, hints.name_marker or "1")
        else:
            parts.place(kind, names, value, payload, hints)
    for extra_field in hints.fields:
        pair = (extra_field.name, extra_field.value)
        if extra_field.kind is InputKind.QUERY:
            parts.query.append(pair)
        elif extra_field.kind is InputKind.FORM and parts.body is None:
            parts.form.append(pair)
        elif extra_field.kind is InputKind.HEADER:
            parts.headers.append((extra_field.name, _header_value(extra_field.value)))
        elif extra_field.kind is InputKind.COOKIE:
            parts.cookies.append(pair)
    if parts.query:
        path += ("&" if "?" in path else "?") + urlencode(parts.query)
    headers, body = parts.headers, parts.body
    if parts.form:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        body = urlencode(parts.form).encode("utf-8")
        if method in ("GET", "HEAD"):
            method = _method(entry, [InputKind.FORM])
    if parts.cookies:
        headers.append(("Cookie", "; ".join(f"{name}={_cookie_value(text)}" for name, text in parts.cookies)))
    return HttpRequest(method, path, tuple(headers), body)


_HTTP_KINDS = frozenset(
    {
        InputKind.QUERY,
        InputKind.FORM,
        InputKind.JSON,
        InputKind.COOKIE,
        InputKind.HEADER,
        InputKind.BODY,
        InputKind.FILE,
        InputKind.PATH,
    }
)


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def name_is_input(entry: EntryPoint, hints: Hints) -> bool:
    """Whether the payload goes in an input's name (the handler loops over names, `Hints`)."""
    return hints.name_kind is not None and not entry.parameter and entry.input_kind in (None, hints.name_kind)


def deliverable(entry: EntryPoint, hints: Hints, payload: Payload) -> bool:
    """Whether HTTP can carry the payload where it goes: a header's or cookie's name must be a
    token (RFC 9110 section 5.6.2), so most payloads cannot be one."""
    if not name_is_input(entry, hints) or hints.name_kind not in (InputKind.HEADER, InputKind.COOKIE):
        return True
    value = payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")
    return _TOKEN.fullmatch(hints.prefix + value) is not None


def _likely(kind: InputKind) -> tuple[str, ...]:
    return LIKELY_HEADERS if kind is InputKind.HEADER else LIKELY_NAMES


@dataclass
class _Parts:
    """The pieces of a request being assembled."""

    query: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None

    def named(self, kind: InputKind, value: str, marker: str) -> None:
        """An input whose name is `value` (the handler takes the name), carrying `marker`."""
        if kind is InputKind.QUERY:
            self.query.append((value, marker))
        elif kind is InputKind.FORM:
            self.form.append((value, marker))
        elif kind is InputKind.HEADER:
            self.headers.append((value, _header_value(marker)))
        elif kind is InputKind.COOKIE:
            self.cookies.append((value, marker))

    def place(
        self, kind: InputKind, names: tuple[str, ...], value: str, payload: Payload, hints: Hints
    ) -> None:
        """Put `value` in the inputs `names` of `kind` (a path parameter is already in the path)."""
        if kind is InputKind.QUERY:
            self.query += [(name, value) for name in names]
        elif kind is InputKind.FORM:
            self.form += [(name, value) for name in names]
        elif kind is InputKind.JSON:
            extra = {f.name: f.value for f in hints.fields if f.kind is InputKind.JSON}
            self.headers.append(("Content-Type", "application/json"))
            self.body = json.dumps({**extra, **dict.fromkeys(names, value)}).encode("utf-8")
        elif kind is InputKind.BODY:
            self.headers.append(("Content-Type", payload.content_type))
            self.body = hints.prefix.encode("utf-8") + (
                payload.value if isinstance(payload.value, bytes) else payload.value.encode("utf-8")
            )
        elif kind is InputKind.COOKIE:
            self.cookies += [(name, value) for name in names]
        elif kind is InputKind.HEADER:
            self.headers += [(name, _header_value(value)) for name in names]
        elif kind is InputKind.FILE:
            self.headers.append(("Content-Type", f"multipart/form-data; boundary={_BOUNDARY}"))
            raw = payload.value if isinstance(payload.value, bytes) else payload.value.encode("utf-8")
            self.body = _multipart(names, raw, payload.content_type)


def _method(entry: EntryPoint, kinds: list[InputKind]) -> str:
    methods = [method.upper() for method in entry.methods] or ["GET"]
    if any(kind in (InputKind.FORM, InputKind.JSON, InputKind.BODY, InputKind.FILE) for kind in kinds):
        for preferred in ("POST", "PUT", "PATCH"):
            if preferred in methods:
                return preferred
    return "GET" if "GET" in methods else methods[0]


def fill_route(rule: str, parameter: str | None, value: str) -> str:
    """A path the rule matches, with `value` in the parameter's place (samples elsewhere).

    Rules are Werkzeug/Django `<conv:name>`, Starlette/aiohttp `{name:conv}`, or a regular
    expression (Tornado, Django's re_path) whose groups are filled in order."""
    if _REGEX_HINT.search(rule):
        return "/" + _fill_regex(rule, parameter, value).lstrip("/")

    def fill(match: re.Match[str]) -> str:
        name = match["name"] or match["bname"]
        converter = match["converter"] or match["bconverter"] or "string"
        if parameter is not None and name == parameter:
            # The path converter accepts "/", the others do not: keep slashes only for it.
            return quote(value, safe="/" if converter == "path" else "")
        return _SAMPLES.get(converter, "1" if converter.startswith(("int", "\\d", "[0-9]")) else "x")

    return "/" + _RULE_PART.sub(fill, rule).lstrip("/")


def _fill_regex(rule: str, parameter: str | None, value: str) -> str:
    pattern = rule.removeprefix("^").removesuffix("$")
    out: list[str] = []
    index = 0
    has_named = "(?P<" in pattern
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index + 1])
            index += 2
        elif char == "(":
            depth, end = 1, index + 1
            while end < len(pattern) and depth:
                depth += {"(": 1, ")": -1}.get(pattern[end], 0)
                end += 2 if pattern[end] == "\\" else 1
            group = pattern[index:end]
            named = re.match(r"\(\?P<(\w+)>", group)
            numeric = "\\d" in group or "0-9" in group
            # A named group takes the value when it is the parameter; unnamed groups (positional
            # handler arguments) take it unless they only match digits.
            mine = named.group(1) == parameter if named else not has_named and not numeric
            if group.startswith(("(?:", "(?=")):
                mine = False
            out.append(quote(value, safe="") if mine else ("1" if numeric else "x"))
            index = end
        elif char in "?*+":
            index += 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


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
