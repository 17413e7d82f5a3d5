"""pyproject.toml: PEP 621 `[project]` dependencies, PEP 735 `[dependency-groups]`, and Poetry's
`[tool.poetry]` dependency tables.

`tomllib` gives values, not positions, so each entry's line is found by searching the text
forward from its table's header for the entry's string or key. When the search fails (escapes in
a string, an unusual layout) the entry points at its table instead of at a wrong line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from firstpatch.inventory._pypi import exact_version, is_dev_group, pypi_component
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Location, Skipped

_HEADER = re.compile(r"^\s*\[([^\[\]]+)\]\s*(?:#.*)?$")
_TOML_POSITION = re.compile(r"at line (\d+)")
_POETRY_SOURCES = ("git", "path", "url")  # a Poetry dependency from one of these has no release version


class PyprojectParser(ManifestParser):
    """Dependencies declared in `pyproject.toml`, by PEP 621, PEP 735 or Poetry."""

    name = "pyproject"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "pyproject.toml"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return Parsed((), (Skipped(path, f"invalid TOML: {exc}", _error_line(exc, text)),))
        out = _Out(path, _Lines(text))

        project = data.get("project", {})
        if isinstance(project, dict):
            out.pep508(project.get("dependencies"), ("project",), "dependencies", dev=False)
            optional = project.get("optional-dependencies", {})
            if isinstance(optional, dict):
                for group, items in optional.items():
                    table = ("project", "optional-dependencies")
                    out.pep508(items, table, group, dev=is_dev_group(group))

        groups = data.get("dependency-groups", {})
        if isinstance(groups, dict):
            for group, items in groups.items():
                out.pep508(items, ("dependency-groups",), group, dev=is_dev_group(group))

        tool = data.get("tool", {})
        poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
        if isinstance(poetry, dict):
            out.poetry(poetry.get("dependencies"), ("tool", "poetry", "dependencies"), dev=False)
            out.poetry(poetry.get("dev-dependencies"), ("tool", "poetry", "dev-dependencies"), dev=True)
            poetry_groups = poetry.get("group", {})
            for group, body in poetry_groups.items() if isinstance(poetry_groups, dict) else ():
                if isinstance(body, dict):
                    group_table = ("tool", "poetry", "group", group, "dependencies")
                    out.poetry(body.get("dependencies"), group_table, dev=is_dev_group(group))
        return Parsed(tuple(out.components), tuple(out.problems))


class _Lines:
    """Line numbers for TOML entries, found by searching forward from a table header."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()

    def header(self, keys: tuple[str, ...]) -> int:
        wanted = ".".join(keys)
        for number, line in enumerate(self._lines, start=1):
            match = _HEADER.match(line)
            if match and re.sub(r"[\s\"']", "", match.group(1)) == wanted:
                return number
        return 0

    def find(self, pattern: re.Pattern[str], start: int) -> int:
        for number in range(max(start, 1), len(self._lines) + 1):
            if pattern.search(self._lines[number - 1]):
                return number
        return 0

    def location(self, path: str, number: int) -> Location:
        snippet = self._lines[number - 1].strip() if number else ""
        return Location(path, number, 1 if number else 0, snippet=snippet)


@dataclass
class _Out:
    path: str
    lines: _Lines
    components: list[Component] = field(default_factory=list)
    problems: list[Skipped] = field(default_factory=list)

    def _key_line(self, table: tuple[str, ...], key: str) -> int:
        """The line of `key = ...` in `[table]`, else the header's line (0 when neither is found)."""
        start = self.lines.header(table)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        return self.lines.find(pattern, start) or start

    def pep508(self, items: object, table: tuple[str, ...], key: str, *, dev: bool) -> None:
        """A list of PEP 508 strings under `[table] key`."""
        if items is None:
            return
        key_line = self._key_line(table, key)
        where = f"[{'.'.join(table)}] {key}"
        if not isinstance(items, list):
            self.problems.append(Skipped(self.path, f"{where} must be a list of strings", key_line))
            return
        cursor = key_line
        for item in items:
            if isinstance(item, dict):
                continue  # PEP 735 `{include-group = "..."}`: the included group is read on its own
            if not isinstance(item, str):
                self.problems.append(Skipped(self.path, f"{where}: {item!r} is not a string", key_line))
                continue
            literal = re.compile(rf"([\"']){re.escape(item)}\1")
            cursor = self.lines.find(literal, cursor) or cursor
            try:
                requirement = Requirement(item)
            except InvalidRequirement as exc:
                reason = str(exc).splitlines()[0]
                self.problems.append(
                    Skipped(self.path, f"{where}: invalid requirement {item!r}: {reason}", cursor)
                )
                continue
            version = None if requirement.url else exact_version(requirement.specifier)
            location = self.lines.location(self.path, cursor)
            self.components.append(pypi_component(requirement.name, version, location, dev=dev))

    def poetry(self, table_value: object, table: tuple[str, ...], *, dev: bool) -> None:
        """A Poetry dependency table: `name = "constraint"` or `name = { version = ..., ... }`."""
        if table_value is None:
            return
        where = f"[{'.'.join(table)}]"
        if not isinstance(table_value, dict):
            self.problems.append(Skipped(self.path, f"{where} must be a table", self.lines.header(table)))
            return
        for name, spec in table_value.items():
            if name.lower() == "python":
                continue  # the interpreter constraint, not a package
            line = self._key_line(table, name)
            try:
                canonicalize_name(name, validate=True)
            except InvalidName:
                self.problems.append(Skipped(self.path, f"{where}: invalid package name {name!r}", line))
                continue
            if isinstance(spec, dict) and any(source in spec for source in _POETRY_SOURCES):
                version = None
            elif isinstance(spec, dict):
                constraint = spec.get("version")
                version = _poetry_exact(constraint) if isinstance(constraint, str) else None
            elif isinstance(spec, str):
                version = _poetry_exact(spec)
            elif isinstance(spec, list):
                version = None  # several constraints chosen by markers: no single version
            else:
                reason = f"{where}: {name} has an unreadable constraint {spec!r}"
                self.problems.append(Skipped(self.path, reason, line))
                continue
            location = self.lines.location(self.path, line)
            self.components.append(pypi_component(name, version, location, dev=dev))


def _poetry_exact(constraint: str) -> str | None:
    """Poetry pins exactly with a bare version (`"1.2.3"`) or `==1.2.3`; `^`, `~`, `*`, ranges don't."""
    text = constraint.strip()
    text = text.removeprefix("==").strip()
    if not text or any(char in text for char in "^~<>=!*,| "):
        return None
    try:
        Version(text)
    except InvalidVersion:
        return None
    return text


def _error_line(exc: tomllib.TOMLDecodeError, text: str) -> int:
    match = _TOML_POSITION.search(str(exc))
    if match:
        return int(match.group(1))
    return max(len(text.splitlines()), 1)  # "at end of document"
