"""poetry.lock: every `[[package]]` Poetry resolved.

Development-only packages are told by the lock itself where it can (`category = "dev"` before
Poetry 1.5, `groups` without `main` from Poetry 2); otherwise by the dependency graph from the
groups in the `pyproject.toml` beside the lock. A package from git, a URL, a directory or a
file has no release version and is reported without one.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._python_lock import canonical, declared_in_pyproject, read_toml_lock
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped

_UNVERSIONED_SOURCES = frozenset({"git", "url", "directory", "file"})


class PoetryLockParser(ManifestParser):
    name = "poetry.lock"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "poetry.lock"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        lock = read_toml_lock(text, path)
        if isinstance(lock, Skipped):
            return Parsed((), (lock,))
        lines = lock.lines
        entries, problems = [], []
        for package, line in lock.entries:
            if not isinstance(package, dict):
                problems.append(Skipped(path, "a [[package]] that is not a table", line))
                continue
            name, version = package.get("name"), package.get("version")
            if not isinstance(name, str) or not name or not isinstance(version, str):
                problems.append(Skipped(path, "a [[package]] without a name and version", line))
                continue
            source = package.get("source")
            if isinstance(source, dict) and source.get("type") in _UNVERSIONED_SOURCES:
                version = None
            dependencies = package.get("dependencies")
            requires = tuple(canonical(dep) for dep in dependencies) if isinstance(dependencies, dict) else ()
            entries.append(
                Locked(
                    canonical(name),
                    name,
                    version,
                    lines.location(path, line),
                    requires,
                    dev=_dev(package),
                )
            )
        declared = declared_in_pyproject(read, path)
        runtime = declared.runtime if declared else None
        dev = declared.dev if declared else ()
        return Parsed(locked_components(Ecosystem.PYPI, entries, runtime, dev), tuple(problems))


def _dev(package: dict[str, object]) -> bool | None:
    groups = package.get("groups")
    if isinstance(groups, list) and groups:
        return "main" not in groups
    category = package.get("category")
    if isinstance(category, str):
        return category == "dev"
    return None
