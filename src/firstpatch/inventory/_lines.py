"""Line numbers for formats whose parsers give values without positions (JSON, TOML).

The parsers of the standard library return values only, so an entry's line is found by searching
the text forward, in document order, for the text that declares it. Both JSON and TOML keep the
order of their entries, so a cursor that only moves forward finds each one where it is written;
when a search fails the caller falls back to an enclosing line rather than to a wrong one.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator

from firstpatch.model import Location


class Lines:
    """A text's lines, and the line of any offset in it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def line_of(self, offset: int) -> int:
        """The 1-based line holding character `offset`."""
        return bisect.bisect_right(self._starts, offset)

    def offset_of(self, line: int) -> int:
        """The offset at which 1-based `line` starts (the end of the text past the last line)."""
        if line < 1:
            return 0
        return self._starts[line - 1] if line <= len(self._starts) else len(self.text)

    def snippet(self, line: int) -> str:
        if not 1 <= line <= len(self._starts):
            return ""
        end = self._starts[line] - 1 if line < len(self._starts) else len(self.text)
        return self.text[self._starts[line - 1] : end].strip()[:200]

    def location(self, path: str, line: int) -> Location:
        """A location at `line` (0: the format could not say where)."""
        if line <= 0:
            return Location(path)
        return Location(path, line, 1, snippet=self.snippet(line))

    def find(self, pattern: re.Pattern[str], start_line: int = 1) -> int:
        """The first line at or after `start_line` where `pattern` matches; 0 when none does."""
        match = pattern.search(self.text, self.offset_of(start_line))
        return self.line_of(match.start()) if match else 0


class Cursor:
    """Walks a text forward, finding each searched-for pattern after the previous one."""

    def __init__(self, lines: Lines, line: int = 1) -> None:
        self.lines = lines
        self.line = line

    def next(self, pattern: re.Pattern[str]) -> int:
        """The line of the next match (and the cursor moves there); 0 and no move when none."""
        found = self.lines.find(pattern, self.line)
        if found:
            self.line = found
        return found


def json_key(key: str, opens: str = "") -> re.Pattern[str]:
    """A JSON member named `key`; `opens` = "{" or "[" requires the value to start with it."""
    quoted = re.escape(_json_string(key))
    tail = r"\s*:\s*" + (re.escape(opens) if opens else "")
    return re.compile(quoted + tail)


def json_member(key: str, value: str) -> re.Pattern[str]:
    """A JSON member `"key": "value"`."""
    return re.compile(re.escape(_json_string(key)) + r"\s*:\s*" + re.escape(_json_string(value)))


def toml_table(header: str) -> re.Pattern[str]:
    """A TOML `[header]` or `[[header]]` line."""
    return re.compile(rf"^\s*\[{{1,2}}\s*{re.escape(header)}\s*\]{{1,2}}\s*(?:#.*)?$", re.MULTILINE)


def _json_string(value: str) -> str:
    # Written the way JSON writers write it: only quotes and backslashes escaped.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_OBJECT_KEY = re.compile(r'(?:^|[{,])\s*"((?:[^"\\\n]|\\.)*)"\s*:\s*(?=\{)')


def json_object_keys(text: str) -> list[tuple[str, int]]:
    """Every member whose value is an object, as (key, line), in document order.

    One pass over the text, for lockfiles with tens of thousands of entries. A quote inside a
    JSON string is always escaped, so a quote after `{` or `,` and blanks always opens a key.
    """
    lines = Lines(text)
    found = []
    for match in _OBJECT_KEY.finditer(text):
        raw = match.group(1)
        key = json.loads(f'"{raw}"') if "\\" in raw else raw
        found.append((key, lines.line_of(match.start(1))))
    return found


def advance(keys: Iterator[tuple[str, int]], name: str) -> int:
    """The line of the next key `name` in `json_object_keys` output, consumed up to it; 0 if none."""
    for key, line in keys:
        if key == name:
            return line
    return 0
