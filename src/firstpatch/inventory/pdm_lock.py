"""pdm.lock: PDM's `[[package]]` entries.

Each entry's `groups` say where it is needed (`default` is run time, the rest development). Direct
packages are those the `pyproject.toml` beside the lock declares (PEP 621, PEP 735 and PDM's own
`[tool.pdm.dev-dependencies]`); without it, those no other locked package requires. Packages
from git or a URL are reported without a version; local paths are the project's own code.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._load import load_toml
from firstpatch.inventory._python_lock import canonical, declared_in_pyproject, read_toml_lock, sibling
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped


class PdmLockParser(ManifestParser):
    name = "pdm.lock"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "pdm.lock"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        lock = read_toml_lock(text, path)
        if isinstance(lock, Skipped):
            return Parsed((), (lock,))
        lines = lock.lines
        entries: list[Locked] = []
        problems: list[Skipped] = []
        for package, line in lock.entries:
            name = package.get("name") if isinstance(package, dict) else None
            if not isinstance(package, dict) or not isinstance(name, str) or not name:
                problems.append(Skipped(path, "a [[package]] without a name", line))
                continue
            if "path" in package:
                continue  # a local directory: the project's own code
            version = package.get("version")
            if not isinstance(version, str) or "git" in package or "url" in package:
                version = None
            requires = []
            for item in package.get("dependencies", []) or []:
                try:
                    requires.append(canonical(Requirement(str(item)).name))
                except InvalidRequirement:
                    problems.append(Skipped(path, f"{name}: invalid dependency {item!r}", line))
            groups = package.get("groups")
            dev = "default" not in groups if isinstance(groups, list) and groups else None
            entries.append(
                Locked(canonical(name), name, version, lines.location(path, line), tuple(requires), dev=dev)
            )
        declared = declared_in_pyproject(read, path)
        runtime = set(declared.runtime) if declared else None
        dev_roots = set(declared.dev) if declared else set()
        if runtime is not None:
            dev_roots |= _pdm_dev_names(read, path) - runtime
        return Parsed(locked_components(Ecosystem.PYPI, entries, runtime, dev_roots), tuple(problems))


def _pdm_dev_names(read: Reader | None, lock_path: str) -> set[str]:
    """Names in `[tool.pdm.dev-dependencies]`, which `PyprojectParser` does not read."""
    text = read(sibling(lock_path, "pyproject.toml")) if read is not None else None
    data = load_toml(text, "pyproject.toml") if text is not None else None
    if not isinstance(data, dict):
        return set()
    tool = data.get("tool", {})
    pdm = tool.get("pdm", {}) if isinstance(tool, dict) else {}
    groups = pdm.get("dev-dependencies", {}) if isinstance(pdm, dict) else {}
    names = set()
    for items in groups.values() if isinstance(groups, dict) else ():
        for item in items if isinstance(items, list) else ():
            try:
                names.add(canonical(Requirement(str(item)).name))
            except InvalidRequirement:
                continue  # not a name we can match; the lock still lists what it resolved to
    return names
