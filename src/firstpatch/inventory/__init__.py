"""The inventory stage: which components a target declares, and where.

`collect(target)` is what a scan calls. Formats are `ManifestParser`s registered in `PARSERS`;
the first that handles a file's name reads it, and a JSON or XML file no name claims is offered
to the parsers that recognise their format by content (SBOMs). Installed environments and root
filesystems are not files of a project: `environment_components` and `rootfs_components` read them.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from pathlib import Path, PurePosixPath

from firstpatch.inventory._merge import merge
from firstpatch.inventory.cargo_lock import CargoLockParser
from firstpatch.inventory.composer_lock import ComposerLockParser
from firstpatch.inventory.gemfile_lock import GemfileLockParser
from firstpatch.inventory.go_mod import GoModParser
from firstpatch.inventory.installed import environment_components
from firstpatch.inventory.interface import InventoryError, ManifestParser, Parsed, Reader
from firstpatch.inventory.maven_pom import MavenPomParser
from firstpatch.inventory.npm_lock import NpmLockParser
from firstpatch.inventory.nuget_lock import NugetLockParser
from firstpatch.inventory.os_release import osv_ecosystem, osv_package
from firstpatch.inventory.pdm_lock import PdmLockParser
from firstpatch.inventory.pipfile_lock import PipfileLockParser
from firstpatch.inventory.pnpm_lock import PnpmLockParser
from firstpatch.inventory.poetry_lock import PoetryLockParser
from firstpatch.inventory.pylock import PylockParser
from firstpatch.inventory.pyproject import PyprojectParser
from firstpatch.inventory.requirements import RequirementsParser
from firstpatch.inventory.rootfs import rootfs_components
from firstpatch.inventory.sbom_cyclonedx import CycloneDxParser
from firstpatch.inventory.sbom_spdx import SpdxParser
from firstpatch.inventory.uv_lock import UvLockParser
from firstpatch.inventory.yarn_lock import YarnLockParser
from firstpatch.model import Component, Location, Skipped
from firstpatch.target import MAX_MANIFEST_BYTES, Target

PARSERS: tuple[ManifestParser, ...] = (
    RequirementsParser(),
    PyprojectParser(),
    PoetryLockParser(),
    PipfileLockParser(),
    UvLockParser(),
    PdmLockParser(),
    PylockParser(),
    NpmLockParser(),
    YarnLockParser(),
    PnpmLockParser(),
    GoModParser(),
    CargoLockParser(),
    GemfileLockParser(),
    ComposerLockParser(),
    MavenPomParser(),
    NugetLockParser(),
    CycloneDxParser(),
    SpdxParser(),
)

# Files that are manifests, can be included or consulted by one (`-r base.in`, a lock's
# package.json or Pipfile), or may be an SBOM under any name. Only these are read.
_SUFFIXES = (".txt", ".in", ".toml", ".lock", ".locked", ".json", ".yaml", ".xml", ".mod")
_NAMES = ("Pipfile",)
_SNIFFED = (".json", ".xml")
_HEAD_BYTES = 4096


def collect(
    target: Target, parsers: tuple[ManifestParser, ...] = PARSERS
) -> tuple[tuple[Component, ...], tuple[Skipped, ...]]:
    """Every component declared in the target, merged by purl and sorted by name, and the
    problems met in the manifests. Files the target itself refused stay in `target.skipped`."""
    files = {
        target.relative(path): path
        for path in target.files(suffixes=_SUFFIXES, names=_NAMES, max_bytes=MAX_MANIFEST_BYTES)
    }
    texts: dict[str, str | None] = {}

    def read(relative: str) -> str | None:
        # Includes reach only files the target admitted, so its trust rules hold for them too.
        if relative not in files:
            return None
        if relative not in texts:
            texts[relative] = target.read_text(files[relative])
        return texts[relative]

    found: list[Component] = []
    problems: list[Skipped] = []
    for relative, path in files.items():
        parser = next((p for p in parsers if p.handles(relative)), None)
        if parser is None and PurePosixPath(relative).suffix in _SNIFFED:
            head = _head(path)
            parser = next((p for p in parsers if p.recognises(head)), None) if head else None
        if parser is None:
            continue
        text = read(relative)
        if text is None:
            continue
        parsed = parser.parse(text, relative, read)
        found.extend(parsed.components)
        problems.extend(parsed.problems)
    # A file included by several manifests reports its problems once.
    return merge(_fold_ranges(found)), tuple(dict.fromkeys(problems))


def installed_components(
    *, python: Path | None = None, rootfs: Path | None = None, root: Path | None = None
) -> tuple[tuple[Component, ...], tuple[Skipped, ...]]:
    """What is installed outside the project's files: the Python environment of `python`
    (`--python`) and the packages of the root filesystem `rootfs` (`--rootfs`); paths inside
    `root` are shown relative to it. Raises `TargetError` for a path that is not there."""
    components: list[Component] = []
    problems: list[Skipped] = []
    if python is not None:
        found, skipped = environment_components(python, root)
        components.extend(found)
        problems.extend(skipped)
    if rootfs is not None:
        found, skipped = rootfs_components(rootfs)
        components.extend(found)
        problems.extend(skipped)
    return merge(components), tuple(problems)


def _fold_ranges(components: list[Component]) -> list[Component]:
    """A declaration without a version (`flask>=2.2`) in the folder of a lock that pins the same
    package is that dependency: its place joins the pinned component instead of standing alone."""
    pinned: dict[tuple[str, str, str], list[int]] = {}
    for index, component in enumerate(components):
        if component.version is not None:
            for location in component.locations:
                pinned.setdefault(_folder_key(component, location), []).append(index)
    out = list(components)
    dropped: set[int] = set()
    for index, component in enumerate(components):
        if component.version is not None:
            continue
        targets = {i for loc in component.locations for i in pinned.get(_folder_key(component, loc), ())}
        if not targets:
            continue
        dropped.add(index)
        for target in targets:
            out[target] = replace(
                out[target],
                locations=(*out[target].locations, *component.locations),
                direct=out[target].direct or component.direct,
            )
    return [component for index, component in enumerate(out) if index not in dropped]


def _folder_key(component: Component, location: Location) -> tuple[str, str, str]:
    return (component.ecosystem, component.name, posixpath.dirname(location.path))


def _head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""  # read_text reports it if a parser ever claims the file


__all__ = [
    "PARSERS",
    "InventoryError",
    "ManifestParser",
    "Parsed",
    "PyprojectParser",
    "Reader",
    "RequirementsParser",
    "collect",
    "environment_components",
    "installed_components",
    "merge",
    "osv_ecosystem",
    "osv_package",
    "rootfs_components",
]
