"""package-lock.json (and npm-shrinkwrap.json), lockfile versions 1, 2 and 3.

Versions 2 and 3 list every installed folder under `packages`: `node_modules/a/node_modules/b`
is `b` installed for `a`, an entry with `name` is an alias (`"foo": "npm:bar@1"` installs bar
under foo's folder), folders outside node_modules are workspaces (the project's own code), and
`link` entries point at them. A package is direct when the root or a workspace declares it and
it sits in that declarer's own node_modules. Version 1 nests `dependencies` instead, spells an
alias in its version (`npm:bar@1.0.0`), and marks development packages with `dev` as v2 does.
Packages from git or a non-registry URL are reported without a version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._lines import Lines, advance, json_object_keys
from firstpatch.inventory._load import load_json
from firstpatch.inventory._npm import (
    alias_target,
    is_local,
    is_registry_tarball,
    is_unversioned,
    read_package_json,
)
from firstpatch.inventory._purl import component
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Ecosystem, Skipped

_NODE_MODULES = "node_modules/"
_DECLARING_FIELDS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


class NpmLockParser(ManifestParser):
    name = "package-lock.json"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name in ("package-lock.json", "npm-shrinkwrap.json")

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        data = load_json(text, path)
        if isinstance(data, Skipped):
            return Parsed((), (data,))
        if not isinstance(data, dict) or "lockfileVersion" not in data:
            return Parsed((), (Skipped(path, "not an npm lockfile: no lockfileVersion", 1),))
        lines = Lines(text)
        packages = data.get("packages")
        if isinstance(packages, dict):
            return _packages(packages, path, lines)
        dependencies = data.get("dependencies", {})
        if not isinstance(dependencies, dict):
            return Parsed((), (Skipped(path, "`dependencies` must be an object", 1),))
        return _nested(dependencies, path, lines, read)


def _packages(packages: dict[str, Any], path: str, lines: Lines) -> Parsed:
    """Lockfile v2/v3: one entry per installed folder."""
    where = {
        key: line
        for key, line in json_object_keys(lines.text)
        if key.startswith(_NODE_MODULES) or "/node_modules/" in key
    }
    declared = {
        folder: _declared(entry)
        for folder, entry in packages.items()
        if isinstance(entry, dict) and _NODE_MODULES not in folder and not folder.startswith("node_modules")
    }
    components: list[Component] = []
    problems: list[Skipped] = []
    for folder, entry in packages.items():
        if folder in declared or not isinstance(entry, dict):
            continue  # the root and the workspaces: the project's own code
        owner, _, install_name = folder.rpartition(_NODE_MODULES)
        line = where.get(folder, 0)
        if entry.get("link") or is_local(str(entry.get("resolved", ""))):
            continue
        alias = entry.get("name")
        name = alias if isinstance(alias, str) and alias else install_name
        version = entry.get("version")
        resolved = entry.get("resolved")
        if not isinstance(version, str) or not version:
            problems.append(Skipped(path, f"{folder} has no version", line))
            continue
        if isinstance(resolved, str) and (
            resolved.startswith(("git+", "git:"))
            or (resolved.startswith("http") and not is_registry_tarball(resolved))
        ):
            version_or_none: str | None = None
        else:
            version_or_none = version
        declarer = owner.rstrip("/")
        # npm hoists what workspaces declare into the root's node_modules.
        direct = install_name in declared.get(declarer, frozenset()) or (
            not declarer and any(install_name in names for names in declared.values())
        )
        dev = bool(entry.get("dev"))
        components.append(
            component(
                Ecosystem.NPM, name, version_or_none, lines.location(path, line), direct=direct, dev=dev
            )
        )
    return Parsed(tuple(components), tuple(problems))


def _declared(entry: dict[str, Any]) -> frozenset[str]:
    names: set[str] = set()
    for field in _DECLARING_FIELDS:
        if isinstance(entry.get(field), dict):
            names.update(entry[field])
    return frozenset(names)


def _nested(dependencies: dict[str, Any], path: str, lines: Lines, read: Reader | None) -> Parsed:
    """Lockfile v1: `dependencies` nested inside the packages that need their own copy."""
    keys = iter(json_object_keys(lines.text))
    found: list[tuple[str, Locked]] = []  # install name, entry
    problems: list[Skipped] = []
    for install_name, entry in _walk(dependencies):
        if not isinstance(entry, dict):
            problems.append(Skipped(path, f"dependency {install_name} must be an object"))
            continue
        line = advance(keys, install_name)
        written = entry.get("version")
        if not isinstance(written, str) or not written:
            problems.append(Skipped(path, f"dependency {install_name} has no version", line))
            continue
        name, version = install_name, written
        target = alias_target(written)
        if target is not None:
            name, version = target
        elif is_local(written):
            continue
        requires = entry.get("requires")
        found.append(
            (
                install_name,
                Locked(
                    f"{install_name}@{written}",
                    name,
                    None if target is None and is_unversioned(written) else version,
                    lines.location(path, line),
                    tuple(sorted(requires)) if isinstance(requires, dict) else (),
                    dev=bool(entry.get("dev")),
                ),
            )
        )
    # `requires` names packages, not versions: each name stands for every locked copy of it.
    by_name: dict[str, list[str]] = {}
    for install_name, entry in found:
        by_name.setdefault(install_name, []).append(entry.key)
    entries = [
        replace(entry, requires=tuple(key for name in entry.requires for key in by_name.get(name, ())))
        for _, entry in found
    ]
    manifest = read_package_json(read, path)
    roots = None if manifest is None else [key for name in manifest.names for key in by_name.get(name, ())]
    return Parsed(locked_components(Ecosystem.NPM, entries, roots), tuple(problems))


def _walk(dependencies: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every nested dependency in document order (depth first), without recursion."""
    stack: list[Iterator[tuple[str, Any]]] = [iter(dependencies.items())]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        yield item
        nested = item[1].get("dependencies") if isinstance(item[1], dict) else None
        if isinstance(nested, dict):
            stack.append(iter(nested.items()))
