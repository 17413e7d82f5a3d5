"""pnpm-lock.yaml, lockfile versions 5, 6 and 9.

`importers` (or, in a single-project v5/v6 lock, the top-level `dependencies` and
`devDependencies`) say what each workspace asked for; `packages` lists what was installed, keyed
`/name/1.0.0` (v5), `/name@1.0.0` (v6) or `name@1.0.0` (v9), with peer suffixes (`_peer@1`,
`(peer@1)`) that do not change the package. v5 and v6 mark development packages with `dev`; v9
keeps the graph in `snapshots`, and roles come from it. An alias's version names the real
package (`/bar@1.0.0`); a `link:` is a workspace; a git or tarball dependency carries its
`name` and `version` in its entry and is reported without a version.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import yaml

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._lines import Lines
from firstpatch.inventory._load import compose_yaml, yaml_line, yaml_mapping, yaml_text
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped

_PEERS_V6 = re.compile(r"\(.*\)$")
_DEP_GROUPS = (("dependencies", False), ("optionalDependencies", False), ("devDependencies", True))


class PnpmLockParser(ManifestParser):
    name = "pnpm-lock.yaml"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "pnpm-lock.yaml"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        root = compose_yaml(text, path)
        if isinstance(root, Skipped):
            return Parsed((), (root,))
        document = yaml_mapping(root)
        version_text = yaml_text(document.get("lockfileVersion"))
        if version_text is None:
            return Parsed((), (Skipped(path, "not a pnpm lockfile: no lockfileVersion", 1),))
        try:
            major = int(float(version_text))
        except ValueError:
            return Parsed((), (Skipped(path, f"unknown lockfileVersion {version_text!r}", 1),))
        lines = Lines(text)
        problems: list[Skipped] = []
        snapshots = _snapshots(document) if major >= 9 else {}
        entries: list[Locked] = []
        packages = document.get("packages")
        for key_node, body_node in packages.value if isinstance(packages, yaml.MappingNode) else ():
            raw_key = yaml_text(key_node) or ""
            body = yaml_mapping(body_node)
            line = yaml_line(key_node)
            parsed = _name_version(raw_key, major)
            named, written = yaml_text(body.get("name")), yaml_text(body.get("version"))
            resolution = yaml_mapping(body.get("resolution"))
            from_outside = "tarball" in resolution or yaml_text(resolution.get("type")) in (
                "git",
                "directory",
            )
            if from_outside and yaml_text(resolution.get("type")) == "directory":
                continue  # a local folder: the project's own code
            name = named or (parsed[0] if parsed else _name_before_reference(raw_key))
            if name is None:
                problems.append(Skipped(path, f"cannot tell the package and version of {raw_key!r}", line))
                continue
            version = None if from_outside else (parsed[1] if parsed else written)
            key = _key(raw_key, major)
            graph_nodes = [body] if major < 9 else snapshots.get(key, [])
            requires = tuple(
                _reference(dep, ref, major)
                for node in graph_nodes
                for group in ("dependencies", "optionalDependencies")
                for dep, ref in _mapping_text(node.get(group)).items()
                if not ref.startswith("link:")
            )
            dev_text = yaml_text(body.get("dev"))
            dev = {"true": True, "false": False}.get(dev_text or "")
            entries.append(Locked(key, name, version, lines.location(path, line), requires, dev=dev))
        runtime, development = _roots(document, major)
        return Parsed(locked_components(Ecosystem.NPM, entries, runtime, development), tuple(problems))


def _roots(document: dict[str, yaml.Node], major: int) -> tuple[set[str], set[str]]:
    importers = yaml_mapping(document.get("importers"))
    projects = list(importers.values()) if importers else [_top(document)]
    runtime: set[str] = set()
    dev: set[str] = set()
    for project in projects:
        body = yaml_mapping(project)
        for group, is_dev in _DEP_GROUPS:
            for dep, node in yaml_mapping(body.get(group)).items():
                reference = yaml_text(node) or yaml_text(yaml_mapping(node).get("version")) or ""
                if reference.startswith("link:"):
                    continue
                (dev if is_dev else runtime).add(_reference(dep, reference, major))
    return runtime, dev - runtime


def _top(document: dict[str, yaml.Node]) -> yaml.Node:
    """A single-project v5/v6 lock keeps its importer's groups at the top level."""
    groups = [
        (yaml.ScalarNode("tag:yaml.org,2002:str", group), document[group])
        for group, _ in _DEP_GROUPS
        if group in document
    ]
    return yaml.MappingNode("tag:yaml.org,2002:map", groups)


def _mapping_text(node: yaml.Node | None) -> dict[str, str]:
    return {key: yaml_text(value) or "" for key, value in yaml_mapping(node).items()}


def _name_version(key: str, major: int) -> tuple[str, str] | None:
    """The package and version a packages key names; None for keys that are not `name@version`."""
    stripped = key.removeprefix("/")
    if major < 6:
        name, _, version = stripped.rpartition("/")
        version = version.split("_", 1)[0]  # v5 peer suffixes use `+` for `/`, so the split is safe
    else:
        name, _, version = _PEERS_V6.sub("", stripped).rpartition("@")
    if not name or not version[:1].isdigit() or ":" in version or "/" in version:
        return None
    return name, version


def _key(raw_key: str, major: int) -> str:
    """A packages key without its leading slash and peer suffix: what references resolve to."""
    parsed = _name_version(raw_key, major)
    return f"{parsed[0]}@{parsed[1]}" if parsed else raw_key.removeprefix("/")


def _reference(name: str, reference: str, major: int) -> str:
    """The packages key a dependency's version points at: `1.0.0`, `1.0.0(peer@1)`, `/bar@1.0.0`."""
    if reference[:1].isdigit():
        return f"{name}@{_PEERS_V6.sub('', reference).split('_', 1)[0]}"
    if major >= 9 and "@" not in reference[1:]:
        return f"{name}@{reference}"  # v9 keys a tarball or git package `name@<url>`
    return _key(reference, major)  # an alias or a git/tarball entry: the key itself


def _name_before_reference(key: str) -> str | None:
    """`tiny@https://...` (a v9 tarball or git key) -> `tiny`."""
    at = key.find("@", 1)
    return key[:at] if at > 0 else None


def _snapshots(document: dict[str, yaml.Node]) -> dict[str, list[dict[str, yaml.Node]]]:
    """v9's dependency graph: every peer variant of a package, under the package's key."""
    variants: dict[str, list[dict[str, yaml.Node]]] = {}
    for key, node in yaml_mapping(document.get("snapshots")).items():
        variants.setdefault(_key(key, 9), []).append(yaml_mapping(node))
    return variants
