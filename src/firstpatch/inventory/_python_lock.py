"""What the Python lockfile parsers share: the project's own declarations, and entry lines.

A lock lists every package; the `pyproject.toml` beside it says which ones the project asked for
and in which groups. It is read through the `Reader` (so the target's trust rules hold) and
parsed by `PyprojectParser`, never executed.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

from firstpatch.inventory._lines import Lines, toml_table
from firstpatch.inventory._load import load_toml
from firstpatch.inventory.interface import Reader
from firstpatch.inventory.pyproject import PyprojectParser
from firstpatch.model import Skipped


@dataclass(frozen=True, slots=True)
class Declared:
    """Canonical names the manifest declares for run time and for development only."""

    runtime: frozenset[str]
    dev: frozenset[str]


def sibling(path: str, name: str) -> str:
    directory = posixpath.dirname(path)
    return posixpath.join(directory, name) if directory else name


def declared_in_pyproject(read: Reader | None, lock_path: str) -> Declared | None:
    """The names the lock's sibling `pyproject.toml` declares; None without a readable one."""
    manifest = sibling(lock_path, "pyproject.toml")
    text = read(manifest) if read is not None else None
    if text is None:
        return None
    parsed = PyprojectParser().parse(text, manifest)
    runtime = frozenset(c.name for c in parsed.components if not c.dev)
    dev = frozenset(c.name for c in parsed.components if c.dev) - runtime
    return Declared(runtime, dev)


_NAME_LINE = re.compile(r"""^\s*name\s*=\s*["']([^"'\n]*)["']""", re.MULTILINE)


def package_lines(lines: Lines, table: str, names: list[str]) -> list[int]:
    """The line of each `[[table]]` entry's `name = "..."`, in order (its header when not found).

    Two passes over the text, whatever the number of entries: the headers, then the name lines.
    """
    headers = [lines.line_of(m.start()) for m in toml_table(table).finditer(lines.text)]
    named = [(lines.line_of(m.start()), m.group(1)) for m in _NAME_LINE.finditer(lines.text)]
    starts = [line for line, _ in named]
    out = []
    for index, name in enumerate(names):
        if index >= len(headers):
            out.append(0)
            continue
        header = headers[index]
        end = headers[index + 1] if index + 1 < len(headers) else len(lines.text) + 1
        at = bisect.bisect_left(starts, header)
        found = at < len(named) and named[at][0] < end and named[at][1] == name
        out.append(named[at][0] if found else header)
    return out


def canonical(name: str) -> str:
    return str(canonicalize_name(name))


_EXTRA = re.compile(r"\[.*$")


def bare_name(requirement_name: str) -> str:
    """`pkg[extra]` -> canonical `pkg`."""
    return canonical(_EXTRA.sub("", requirement_name).strip())


@dataclass(frozen=True, slots=True)
class TomlLock:
    """A TOML lock's document, its lines, and each `[[table]]` entry with the line naming it."""

    data: dict[str, Any]
    lines: Lines
    entries: list[tuple[object, int]]


def read_toml_lock(text: str, path: str, table: str = "package") -> TomlLock | Skipped:
    data = load_toml(text, path)
    if isinstance(data, Skipped):
        return data
    packages = data.get(table, [])
    if not isinstance(packages, list):
        return Skipped(path, f"`{table}` must be an array of tables", 1)
    lines = Lines(text)
    names = [str(p.get("name", "")) if isinstance(p, dict) else "" for p in packages]
    return TomlLock(data, lines, list(zip(packages, package_lines(lines, table, names), strict=True)))
