"""Direct or transitive, runtime or development, from a lockfile's dependency graph.

A lockfile lists every package but rarely says why each is there. The project's own
declarations are the roots: a package is direct when a root names it, and development-only
when no runtime root reaches it while a development root does. A package no root reaches
(an orphan left in the lock) counts as runtime: it may still be installed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from firstpatch.inventory._purl import component
from firstpatch.model import Component, Ecosystem, Location

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Role:
    direct: bool
    dev: bool


def roles(edges: Mapping[K, Iterable[K]], runtime_roots: Iterable[K], dev_roots: Iterable[K]) -> _Roles[K]:
    """Each package's role; packages missing from `edges` count as leaves."""
    runtime_roots, dev_roots = set(runtime_roots), set(dev_roots)
    runtime = _reachable(edges, runtime_roots)
    development = _reachable(edges, dev_roots)
    return _Roles(runtime_roots | dev_roots, runtime, development)


def unrequired(edges: Mapping[K, Iterable[K]]) -> set[K]:
    """Packages that no other package requires: the direct ones when the manifest is not at hand."""
    required = {child for children in edges.values() for child in children}
    return {node for node in edges if node not in required}


@dataclass(frozen=True, slots=True)
class _Roles(Generic[K]):
    direct: set[K]
    runtime: set[K]
    development: set[K]

    def of(self, node: K) -> Role:
        return Role(direct=node in self.direct, dev=node in self.development and node not in self.runtime)


def _reachable(edges: Mapping[K, Iterable[K]], roots: set[K]) -> set[K]:
    seen = set(roots)
    stack = list(roots)
    while stack:
        for child in edges.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


@dataclass(frozen=True, slots=True)
class Locked:
    """One package as a lockfile lists it, before its role is known.

    `key` identifies it in the lock's graph (`requires` holds other entries' keys); `dev` and
    `direct` are set only where the lock itself says, otherwise they come from the graph.
    """

    key: str
    name: str
    version: str | None
    location: Location
    requires: tuple[str, ...] = ()
    dev: bool | None = None
    direct: bool | None = None
    qualifiers: tuple[tuple[str, str], ...] = ()
    purl_version: str | None = None


def locked_components(
    ecosystem: Ecosystem,
    entries: Iterable[Locked],
    runtime_roots: Iterable[str] | None,
    dev_roots: Iterable[str] = (),
) -> tuple[Component, ...]:
    """Components with their roles: from the roots the manifest declares, or, without the
    manifest (`runtime_roots` None), with the unrequired packages as the direct ones."""
    listed = list(entries)
    edges: dict[str, set[str]] = {}
    for entry in listed:  # a lock may hold one name at several versions (uv's forks): their edges join
        edges.setdefault(entry.key, set()).update(entry.requires)
    if runtime_roots is None:
        runtime_roots = unrequired(edges)
    graph = roles(edges, runtime_roots, dev_roots)
    out = []
    for entry in listed:
        role = graph.of(entry.key)
        out.append(
            component(
                ecosystem,
                entry.name,
                entry.version,
                entry.location,
                direct=role.direct if entry.direct is None else entry.direct,
                dev=role.dev if entry.dev is None else entry.dev,
                qualifiers=dict(entry.qualifiers),
                purl_version=entry.purl_version,
            )
        )
    return tuple(out)
