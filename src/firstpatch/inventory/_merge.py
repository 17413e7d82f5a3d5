"""One component per purl, wherever the inventory found it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from firstpatch.model import Component, Location


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
