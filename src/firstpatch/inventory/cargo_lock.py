"""Cargo.lock: every crate Cargo resolved, versions 1 to 4 of the format.

A `[[package]]` without a `source` is a member of the workspace (the project's own crate): not a
component, but a root of the graph, so what members depend on is direct. A crate from git has no
release version and is reported without one. Cargo.lock does not separate dev-dependencies from
the others, so every crate counts as runtime.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._python_lock import read_toml_lock
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped


class CargoLockParser(ManifestParser):
    name = "Cargo.lock"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "Cargo.lock"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        lock = read_toml_lock(text, path)
        if isinstance(lock, Skipped):
            return Parsed((), (lock,))
        problems: list[Skipped] = []
        listed: list[tuple[str, str, str | None, int, list[str], bool]] = []
        versions: dict[str, list[str]] = {}
        for package, line in lock.entries:
            name = package.get("name") if isinstance(package, dict) else None
            version = package.get("version") if isinstance(package, dict) else None
            if not isinstance(package, dict) or not isinstance(name, str) or not isinstance(version, str):
                problems.append(Skipped(path, "a [[package]] without a name and version", line))
                continue
            source = package.get("source")
            member = source is None
            dependencies = package.get("dependencies", [])
            deps = [d for d in dependencies if isinstance(d, str)] if isinstance(dependencies, list) else []
            listed.append((name, version, source if isinstance(source, str) else None, line, deps, member))
            versions.setdefault(name, []).append(version)
        entries: list[Locked] = []
        members: set[str] = set()
        for name, version, source, line, deps, member in listed:
            key = f"{name}@{version}"
            if member:
                members.add(key)
            requires = tuple(_dependency_key(dep, versions) for dep in deps)
            unversioned = source is not None and source.startswith("git+")
            location = lock.lines.location(path, line)
            entries.append(Locked(key, name, None if unversioned else version, location, requires, dev=False))
        roots = (
            set(members) | {r for e in entries if e.key in members for r in e.requires} if members else None
        )
        components = locked_components(Ecosystem.CRATES_IO, entries, roots)
        kept = [c for c, e in zip(components, entries, strict=True) if e.key not in members]
        return Parsed(tuple(kept), tuple(problems))


def _dependency_key(dependency: str, versions: dict[str, list[str]]) -> str:
    """`serde`, `serde 1.0.160` or `serde 1.0.160 (registry+...)` -> `serde@1.0.160`."""
    words = dependency.split()
    name = words[0]
    if len(words) >= 2:
        return f"{name}@{words[1]}"
    known = versions.get(name, [])
    return f"{name}@{known[0]}" if known else name
