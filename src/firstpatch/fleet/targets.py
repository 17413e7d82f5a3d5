"""Fleet lists: which targets to scan, as lines of text or as YAML.

A line of `TARGETS.txt` (also accepted as an item of a YAML list)::

    services/api                          a folder, relative to the list's own folder
    https://git.example.org/team/app.git  a git URL, cloned at its default branch
    file:///srv/git/app.git#release-2.1   a git URL at a branch or tag (after `#`)
    /srv/git/tools.git                    a local repository (a path ending in .git)
    rootfs:/srv/images/base               an unpacked root filesystem
    sbom:boms/payments.cdx.json           an SBOM (also recognised by a .cdx/.spdx suffix)

`#` starts a comment at the start of a line or after a space. `TARGETS.yaml` is a list (or a
mapping with a `targets:` list) whose items are such lines or mappings with exactly one of
`path`, `git`, `rootfs`, `sbom`, and optionally `ref` (git only), `timeout` (seconds) and
`memory_mb`. Kinds are decided from the text alone: on a cluster the driver may not see the
paths its workers will read.

A bad entry is a `Skipped` naming the list's file and line; the other entries still count.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from firstpatch.fleet.interface import FleetError, FleetTarget, TargetKind
from firstpatch.model import Skipped

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")  # git@host:team/app.git
_COMMENT = re.compile(r"(^|\s)#.*$")
_PREFIXES = {"path:": TargetKind.PATH, "rootfs:": TargetKind.ROOTFS, "sbom:": TargetKind.SBOM}
SBOM_SUFFIXES = (".cdx.json", ".cdx.xml", ".spdx.json", ".spdx", "bom.json", "bom.xml")
_KEYS = {kind.value for kind in TargetKind} | {"ref", "timeout", "memory_mb"}


@dataclass(frozen=True, slots=True)
class TargetList:
    targets: tuple[FleetTarget, ...]
    problems: tuple[Skipped, ...]  # entries that were left out, each with its line


class _Bad(ValueError):
    """One entry that cannot be used; its message becomes a `Skipped` reason."""


def read_targets(path: Path) -> TargetList:
    """The targets listed in `path`: YAML for .yaml/.yml, one per line otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise FleetError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    base = path.absolute().parent
    entries = _yaml_entries(text, path) if path.suffix in (".yaml", ".yml") else _text_entries(text)
    return _collect(entries, base, str(path))


def parse_line(text: str, base: Path) -> FleetTarget:
    """One target written as a line of a list; `_Bad` when it cannot be one."""
    text = text.strip()
    for prefix, kind in _PREFIXES.items():
        if text.startswith(prefix):
            return FleetTarget(kind, _local(text[len(prefix) :].strip(), base))
    if _URL.match(text) or _SCP_LIKE.match(text):
        url, mark, ref = text.partition("#")
        return _git(url, ref if mark else None)
    location = _local(text, base)
    if location.endswith(".git"):
        return _git(location, None)
    kind = TargetKind.SBOM if location.lower().endswith(SBOM_SUFFIXES) else TargetKind.PATH
    return FleetTarget(kind, location)


def _text_entries(text: str) -> list[tuple[int, Any]]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = _COMMENT.sub("", line).strip()
        if content:
            entries.append((number, content))
    return entries


def _yaml_entries(text: str, path: Path) -> list[tuple[int, Any]]:
    """Each item of the list with the line it starts on (PyYAML's nodes keep their marks)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FleetError(f"{where}: not valid YAML: {problem}") from exc
    if root is None:
        return []
    if isinstance(root, yaml.MappingNode):
        found = [value for key, value in root.value if key.value == "targets"]
        others = [key.value for key, _ in root.value if key.value != "targets"]
        if others or not found:
            raise FleetError(
                f"{path}:{root.start_mark.line + 1}: expected a `targets:` list and nothing else"
            )
        root = found[0]
    if not isinstance(root, yaml.SequenceNode):
        raise FleetError(f"{path}:{root.start_mark.line + 1}: expected a list of targets")
    loader = yaml.SafeLoader("")
    try:
        return [(node.start_mark.line + 1, loader.construct_object(node, deep=True)) for node in root.value]
    finally:
        loader.dispose()


def _collect(entries: list[tuple[int, Any]], base: Path, source: str) -> TargetList:
    targets: list[FleetTarget] = []
    problems: list[Skipped] = []
    lines: dict[str, int] = {}
    for line, entry in entries:
        try:
            target = parse_line(entry, base) if isinstance(entry, str) else _from_mapping(entry, base)
        except _Bad as exc:
            problems.append(Skipped(source, str(exc), line))
            continue
        if target.name in lines:
            problems.append(
                Skipped(source, f"{target.name}: listed already on line {lines[target.name]}", line)
            )
            continue
        lines[target.name] = line
        targets.append(target)
    return TargetList(tuple(targets), tuple(problems))


def _from_mapping(entry: object, base: Path) -> FleetTarget:
    if not isinstance(entry, dict):
        raise _Bad(f"expected a target (a string or a mapping), got {type(entry).__name__}")
    unknown = sorted(str(key) for key in entry if key not in _KEYS)
    if unknown:
        raise _Bad(
            f"unknown key {unknown[0]!r} (expected path, git, rootfs or sbom, and ref, timeout, memory_mb)"
        )
    kinds = [kind for kind in TargetKind if kind.value in entry]
    if len(kinds) != 1:
        raise _Bad("a target names exactly one of path, git, rootfs, sbom")
    kind = kinds[0]
    value = entry[kind.value]
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"{kind.value}: expected a non-empty string")
    ref = entry.get("ref")
    if ref is not None and (kind is not TargetKind.GIT or not isinstance(ref, str)):
        raise _Bad("ref: only a git target has one, and it is a branch or tag name")
    target = _git(value.strip(), ref) if kind is TargetKind.GIT else FleetTarget(kind, _local(value, base))
    return replace(
        target,
        timeout=_positive(entry, "timeout", (int, float)),
        memory_mb=_positive(entry, "memory_mb", (int,)),
    )


def _positive(entry: dict[Any, Any], key: str, types: tuple[type[int] | type[float], ...]) -> Any:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, types) or value <= 0:
        kind = "a whole number" if types == (int,) else "a number"
        raise _Bad(f"{key}: expected {kind} above 0, got {value!r}")
    return value


def _git(url: str, ref: str | None) -> FleetTarget:
    # A leading dash would reach git as an option (`--upload-pack=...`), not as a URL.
    if not url or url.startswith("-"):
        raise _Bad(f"{url!r}: not a git URL")
    if ref is not None and (not ref.strip() or ref.startswith("-") or any(c.isspace() for c in ref)):
        raise _Bad(f"{ref!r}: not a branch or tag name")
    return FleetTarget(TargetKind.GIT, url, ref=ref)


def _local(text: str, base: Path) -> str:
    text = text.strip()
    if not text:
        raise _Bad("empty path")
    # Lexical only: the path is read on whichever node runs the task, not necessarily here.
    return os.path.normpath(base / Path(text).expanduser())
