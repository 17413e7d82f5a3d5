"""Pipfile.lock: pipenv's `default` (run time) and `develop` (development) sections.

Versions are exact `==` pins; an entry from git or a URL has none and is reported without one;
a local path (`"path": "."`) is the project's own code and is left to the analysis stage. The
lock is flat, so whether a package was asked for is read from the `Pipfile` beside it; without
one every package counts as direct, since the lock alone cannot tell.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from firstpatch.inventory._lines import Cursor, Lines, json_key
from firstpatch.inventory._load import load_json, load_toml
from firstpatch.inventory._pypi import pypi_component
from firstpatch.inventory._python_lock import canonical, sibling
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Skipped

_SECTIONS = (("default", False), ("develop", True))


class PipfileLockParser(ManifestParser):
    name = "Pipfile.lock"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "Pipfile.lock"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        data = load_json(text, path)
        if isinstance(data, Skipped):
            return Parsed((), (data,))
        if not isinstance(data, dict):
            return Parsed((), (Skipped(path, "not a Pipfile.lock: the document is not an object", 1),))
        asked = _pipfile_names(read, path)
        cursor = Cursor(Lines(text))
        components: list[Component] = []
        problems: list[Skipped] = []
        for section, dev in _SECTIONS:
            packages = data.get(section, {})
            section_line = cursor.next(json_key(section, "{"))
            if not isinstance(packages, dict):
                problems.append(Skipped(path, f"`{section}` must be an object", section_line))
                continue
            for name, entry in packages.items():
                line = cursor.next(json_key(name, "{")) or section_line
                if not isinstance(entry, dict):
                    problems.append(Skipped(path, f"{section}.{name} must be an object", line))
                    continue
                if "path" in entry:
                    continue  # the project's own code
                version = _pinned(entry.get("version"))
                if "git" in entry or "file" in entry or "hg" in entry or "svn" in entry:
                    version = None
                direct = asked is None or canonical(name) in asked
                location = cursor.lines.location(path, line)
                components.append(pypi_component(name, version, location, dev=dev, direct=direct))
        return Parsed(tuple(components), tuple(problems))


def _pinned(value: object) -> str | None:
    if isinstance(value, str) and value.startswith("==") and not value.endswith("*"):
        return value[2:].strip() or None
    return None


def _pipfile_names(read: Reader | None, lock_path: str) -> frozenset[str] | None:
    text = read(sibling(lock_path, "Pipfile")) if read is not None else None
    if text is None:
        return None
    data = load_toml(text, "Pipfile")
    if isinstance(data, Skipped):
        return None  # reported when the Pipfile itself is parsed, if ever; the lock still counts
    names: set[str] = set()
    for table in ("packages", "dev-packages"):
        section = data.get(table)
        if isinstance(section, dict):
            names.update(canonical(name) for name in section)
    return frozenset(names)
