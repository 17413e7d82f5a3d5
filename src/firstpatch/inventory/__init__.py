"""The inventory stage: which components a target declares, and where.

`collect(target)` is what a scan calls. Formats are `ManifestParser`s registered in `PARSERS`;
the first that handles a file's path reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from firstpatch.inventory.interface import InventoryError, ManifestParser, Parsed, Reader
from firstpatch.inventory.pyproject import PyprojectParser
from firstpatch.inventory.requirements import RequirementsParser
from firstpatch.model import Component, Location, Skipped
from firstpatch.target import Target

PARSERS: tuple[ManifestParser, ...] = (RequirementsParser(), PyprojectParser())

# Files that are manifests or can be included by one (`-r base.in`). Only these are read.
_SUFFIXES = (".txt", ".in", ".toml")


def collect(
    target: Target, parsers: tuple[ManifestParser, ...] = PARSERS
) -> tuple[tuple[Component, ...], tuple[Skipped, ...]]:
    """Every component declared in the target, merged by purl and sorted by name, and the
    problems met in the manifests. Files the target itself refused stay in `target.skipped`."""
    files = {target.relative(path): path for path in target.files(suffixes=_SUFFIXES)}
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
    for relative in files:
        parser = next((p for p in parsers if p.handles(relative)), None)
        if parser is None:
            continue
        text = read(relative)
        if text is None:
            continue
        parsed = parser.parse(text, relative, read)
        found.extend(parsed.components)
        problems.extend(parsed.problems)
    # A file included by several manifests reports its problems once.
    return merge(found), tuple(dict.fromkeys(problems))


def merge(components: Iterable[Component]) -> tuple[Component, ...]:
    """One component per purl: locations in the order found, direct if declared directly anywhere,
    dev only if every declaration is dev-only. Sorted by name, then version."""
    merged: dict[str, Component] = {}
    for component in components:
        seen = merged.get(component.purl)
        if seen is None:
            merged[component.purl] = component
            continue
        locations: tuple[Location, ...] = tuple(dict.fromkeys((*seen.locations, *component.locations)))
        merged[component.purl] = replace(
            seen,
            locations=locations,
            direct=seen.direct or component.direct,
            dev=seen.dev and component.dev,
        )
    return tuple(sorted(merged.values(), key=lambda c: (c.name, c.version or "", c.purl)))


__all__ = [
    "PARSERS",
    "InventoryError",
    "ManifestParser",
    "Parsed",
    "PyprojectParser",
    "Reader",
    "RequirementsParser",
    "collect",
    "merge",
]
