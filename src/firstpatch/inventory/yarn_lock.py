"""yarn.lock, both of Yarn's formats.

Classic (v1) has a syntax of its own: an unindented line lists the specifiers an entry satisfies
(`lodash@^4.17.20, lodash@^4.17.21:`), indented lines give `version`, `resolved` and the
`dependencies` it needs. Berry (v2+) is YAML with a `__metadata` entry; each entry's
`resolution` names the package and its version exactly (`bar@npm:1.0.0`), and workspaces are
entries of their own (`app@workspace:.`) listing what they depend on.

Aliases (`foo@npm:bar@^1`) are reported under the real package's name. Git, URL and file
references are reported without a version; patches and local links are the project's own.
Roles come from each workspace's package.json, read through the `Reader`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

import yaml

from firstpatch.inventory._graph import Locked, locked_components, unrequired
from firstpatch.inventory._lines import Lines
from firstpatch.inventory._load import compose_yaml, yaml_line, yaml_mapping, yaml_text
from firstpatch.inventory._npm import (
    alias_target,
    is_local,
    is_registry_tarball,
    is_unversioned,
    read_package_json,
    split_specifier,
)
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped

_CLASSIC_PAIR = re.compile(r'^\s+("(?:[^"\\]|\\.)*"|[^\s"]+)\s+("(?:[^"\\]|\\.)*"|\S+)\s*$')


class YarnLockParser(ManifestParser):
    name = "yarn.lock"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "yarn.lock"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        if "__metadata:" in text[:2048]:
            return _berry(text, path, read)
        return _classic(text, path, read)


@dataclass
class _ClassicEntry:
    specifiers: list[str]
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    dependencies: dict[str, str] = field(default_factory=dict)


def _classic(text: str, path: str, read: Reader | None) -> Parsed:
    lines = Lines(text)
    entries, problems = _classic_entries(text, path)
    by_specifier: dict[str, str] = {}
    locked: list[Locked] = []
    for entry in entries:
        key = entry.specifiers[0]
        by_specifier.update(dict.fromkeys(entry.specifiers, key))
        install_name, range_ = split_specifier(key)
        version: str | None = entry.fields.get("version")
        if version is None:
            problems.append(Skipped(path, f"{key} has no version (is the file cut short?)", entry.line))
            continue
        resolved = entry.fields.get("resolved", "")
        if is_local(range_) and not resolved.endswith((".tgz", ".tar.gz")):
            continue  # a linked folder: the project's own code
        target = alias_target(range_)
        name = target[0] if target is not None else install_name
        if target is None and (is_unversioned(range_) or (resolved and not _registry(resolved))):
            version = None
        requires = tuple(f"{dep}@{dep_range}" for dep, dep_range in entry.dependencies.items())
        locked.append(Locked(key, name, version, lines.location(path, entry.line), requires))
    graph = [replace(e, requires=tuple(by_specifier.get(r, r) for r in e.requires)) for e in locked]
    manifest = read_package_json(read, path)
    if manifest is None:
        return Parsed(locked_components(Ecosystem.NPM, graph, None), tuple(problems))
    runtime = {by_specifier.get(f"{n}@{r}", "") for n, r in manifest.runtime.items()}
    dev = {by_specifier.get(f"{n}@{r}", "") for n, r in manifest.dev.items()}
    # Workspaces' own declarations are not at hand here: what nothing requires is direct too.
    runtime |= unrequired({e.key: e.requires for e in graph}) - dev
    return Parsed(locked_components(Ecosystem.NPM, graph, runtime, dev), tuple(problems))


def _classic_entries(text: str, path: str) -> tuple[list[_ClassicEntry], list[Skipped]]:
    entries: list[_ClassicEntry] = []
    problems: list[Skipped] = []
    current: _ClassicEntry | None = None
    in_dependencies = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:
            if not raw.rstrip().endswith(":"):
                problems.append(Skipped(path, f"unreadable line {raw.strip()[:80]!r}", number))
                current = None
                continue
            specifiers = [_unquote(s.strip()) for s in raw.rstrip()[:-1].split(",")]
            current = _ClassicEntry([s for s in specifiers if s], number)
            entries.append(current)
            in_dependencies = False
            continue
        if current is None:
            continue  # the rest of an entry already reported as unreadable
        stripped = raw.strip()
        if indent == 2 and stripped.endswith(":"):
            in_dependencies = stripped[:-1] in ("dependencies", "optionalDependencies")
            continue
        pair = _CLASSIC_PAIR.match(raw)
        if pair is None:
            problems.append(Skipped(path, f"unreadable line {stripped[:80]!r}", number))
            continue
        key, value = _unquote(pair.group(1)), _unquote(pair.group(2))
        if indent >= 4 and in_dependencies:
            current.dependencies[key] = value
        elif indent == 2:
            in_dependencies = False
            current.fields[key] = value
    return entries, problems


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def _registry(resolved: str) -> bool:
    return resolved.startswith("http") and is_registry_tarball(resolved)


def _berry(text: str, path: str, read: Reader | None) -> Parsed:
    root = compose_yaml(text, path)
    if isinstance(root, Skipped):
        return Parsed((), (root,))
    lines = Lines(text)
    problems: list[Skipped] = []
    by_descriptor: dict[str, str] = {}
    locked: list[Locked] = []
    workspaces: list[tuple[str, dict[str, str]]] = []  # folder, dependencies
    for key_node, node in root.value if isinstance(root, yaml.MappingNode) else ():
        key = yaml_text(key_node) or ""
        if key == "__metadata":
            continue
        line = yaml_line(key_node)
        body = yaml_mapping(node)
        resolution = yaml_text(body.get("resolution"))
        if resolution is None or yaml_text(body.get("version")) is None:
            problems.append(Skipped(path, f"{key} has no resolution or version", line))
            continue
        by_descriptor.update(dict.fromkeys((d.strip() for d in key.split(",")), key))
        dependencies = {
            dep: yaml_text(rng) or "" for dep, rng in yaml_mapping(body.get("dependencies")).items()
        }
        name, reference = split_specifier(resolution)
        if reference.startswith("workspace:"):
            workspaces.append((reference.removeprefix("workspace:"), dependencies))
            continue
        if reference.startswith(("patch:", "link:", "portal:")):
            continue  # a patched copy of a package listed on its own, or a local folder
        version = reference.removeprefix("npm:") if reference.startswith("npm:") else None
        requires = tuple(_berry_descriptor(dep, rng) for dep, rng in dependencies.items())
        locked.append(Locked(key, name, version, lines.location(path, line), requires))
    graph = [replace(e, requires=tuple(by_descriptor.get(r, r) for r in e.requires)) for e in locked]
    if not workspaces:
        return Parsed(locked_components(Ecosystem.NPM, graph, None), tuple(problems))
    runtime: set[str] = set()
    dev: set[str] = set()
    for folder, dependencies in workspaces:
        manifest = read_package_json(read, path, folder)
        for dep, rng in dependencies.items():
            descriptor = _berry_descriptor(dep, rng)
            (dev if manifest is not None and dep in manifest.dev else runtime).add(
                by_descriptor.get(descriptor, descriptor)
            )
    return Parsed(locked_components(Ecosystem.NPM, graph, runtime, dev), tuple(problems))


def _berry_descriptor(name: str, range_: str) -> str:
    """Berry writes a dependency's range without the default `npm:` protocol in places."""
    if ":" not in range_ and not is_unversioned(range_):
        range_ = f"npm:{range_}"
    return f"{name}@{range_}"
