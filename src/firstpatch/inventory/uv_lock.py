"""uv.lock: uv's universal lock, with workspaces.

Packages whose source is the project's own tree (`editable`, `virtual`, `directory`, `path`)
are the workspace members: not components themselves, but the roots of the graph. What they
depend on (with extras) is direct and runtime, their `dev-dependencies` groups are direct and
development, and the rest follows through each package's `dependencies`. A package from git or
a URL has no release version and is reported without one.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._python_lock import canonical, read_toml_lock
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped

_LOCAL_SOURCES = frozenset({"editable", "virtual", "directory", "path"})
_UNVERSIONED_SOURCES = frozenset({"git", "url"})


class UvLockParser(ManifestParser):
    name = "uv.lock"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "uv.lock"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        lock = read_toml_lock(text, path)
        if isinstance(lock, Skipped):
            return Parsed((), (lock,))
        lines = lock.lines
        entries: list[Locked] = []
        members: set[str] = set()
        runtime_roots: set[str] = set()
        dev_roots: set[str] = set()
        problems: list[Skipped] = []
        for package, line in lock.entries:
            name = package.get("name") if isinstance(package, dict) else None
            if not isinstance(package, dict) or not isinstance(name, str) or not name:
                problems.append(Skipped(path, "a [[package]] without a name", line))
                continue
            key = canonical(name)
            source = package.get("source")
            kinds = set(source) if isinstance(source, dict) else set()
            requires = _names(package.get("dependencies"))
            for extra in _tables(package.get("optional-dependencies")):
                requires |= _names(extra)
            if kinds & _LOCAL_SOURCES:
                members.add(key)
                runtime_roots |= {key, *requires}
                for group in _tables(package.get("dev-dependencies")):
                    dev_roots |= _names(group)
            version = package.get("version")
            if not isinstance(version, str) or kinds & _UNVERSIONED_SOURCES:
                version = None
            entries.append(Locked(key, name, version, lines.location(path, line), tuple(sorted(requires))))
        if not members:
            roots: set[str] | None = None  # a lock without its project: the graph decides
        else:
            roots = runtime_roots
        components = locked_components(Ecosystem.PYPI, entries, roots, dev_roots)
        return Parsed(tuple(c for c in components if c.name not in members), tuple(problems))


def _names(items: object) -> set[str]:
    if not isinstance(items, list):
        return set()
    return {
        canonical(item["name"])
        for item in items
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    }


def _tables(value: object) -> list[object]:
    return list(value.values()) if isinstance(value, dict) else []
