"""Advisory store speed: import all of the shared data, re-import it unchanged, match 10,000 components.

    .venv/bin/python benchmarks/advisories_store.py [--data /work/shared/data] [--db URL] [--runs 3]

Each step runs `--runs` times and prints its median and lowest wall and CPU seconds (CPU: this
process and its parse workers; the steadier figure on a shared machine). Every import starts
from an empty store (a new SQLite file, or the tables emptied at `--db`); every match from cold
caches and a new source. Peak resident memory is printed after each match.

Components are drawn (seeded) from the real package names in the store, each at a version its
advisories name (bounds and listed versions), so that most of them match. A second inventory
spells every version so that no stored spelling equals it (`+fp` build metadata for SemVer,
equal to the version; a `+fp` local label for PyPI, just above it): each of those versions is
parsed and placed by bisection, the slow path of matching.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import delete, select

from firstpatch.advisories.db import tables
from firstpatch.advisories.db.store import AdvisoryStore
from firstpatch.advisories.findings import Audit, audit
from firstpatch.advisories.matching import clear_caches
from firstpatch.model import Component, Ecosystem, Location

PURL_TYPES = {"PyPI": "pypi", "Go": "golang", "crates.io": "cargo"}
T = TypeVar("T")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(label: str, runs: int, setup: Callable[[], object], action: Callable[[], T]) -> T:
    walls: list[float] = []
    cpus: list[float] = []
    result: T | None = None
    for _ in range(runs):
        setup()
        wall, cpu = time.perf_counter(), _cpu()
        result = action()
        cpus.append(_cpu() - cpu)
        walls.append(time.perf_counter() - wall)
    if result is None:
        raise SystemExit("--runs must be at least 1")
    print(
        f"{label}: median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU; "
        f"lowest {min(walls):.2f} s wall, {min(cpus):.2f} s CPU ({runs} runs)"
    )
    return result


def _named_versions(store: AdvisoryStore) -> dict[tuple[str, str], list[str]]:
    """Each package's versions as its records write them (bounds and listed versions)."""
    import json

    with store._engine.connect() as connection:  # a benchmark reads the table directly
        rows = connection.execute(
            select(tables.packages.c.ecosystem, tables.packages.c.name, tables.records.c.data).join(
                tables.records, tables.records.c.id == tables.packages.c.record_id
            )
        ).all()
    versions: dict[tuple[str, str], list[str]] = {}
    for ecosystem, name, data in rows:
        record = json.loads(data)
        for affected in record.get("affected") or ():
            for range_ in affected.get("ranges") or ():
                for event in range_.get("events") or ():
                    for value in event.values():
                        if value not in ("0", "*") and len(value) < 40:
                            versions.setdefault((ecosystem, name), []).append(value)
    return versions


def _components(
    versions: dict[tuple[str, str], list[str]], count: int, respell: bool = False
) -> list[Component]:
    chooser = random.Random(20261129)  # noqa: S311 - a seeded sample, not a secret
    keys = sorted(versions)
    out = []
    for index in range(count):
        ecosystem, name = chooser.choice(keys)
        version = chooser.choice(versions[(ecosystem, name)])
        if respell and "+" not in version:
            version += "+fp"
        purl = f"pkg:{PURL_TYPES.get(ecosystem, 'generic')}/{name}@{version}"
        out.append(Component(purl, name, version, Ecosystem(ecosystem), (Location("inventory", index + 1),)))
    return out


def _emptied(store: AdvisoryStore) -> None:
    with store._engine.begin() as connection:
        for table in reversed(tables.metadata.sorted_tables):
            connection.execute(delete(table))


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from now


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--db", default=None)
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        stores: list[AdvisoryStore] = []

        def empty_store() -> None:
            if options.db:
                stores.append(stores[-1] if stores else AdvisoryStore(options.db))
                _emptied(stores[-1])
            else:
                stores.append(AdvisoryStore(f"sqlite:///{Path(folder) / f'bench{len(stores)}.db'}"))

        first = _timed(
            "import into an empty store",
            options.runs,
            empty_store,
            lambda: stores[-1].import_paths([options.data]),
        )
        print(f"  {first.added} records, feeds {sorted(first.feeds)}, {len(first.errors)} errors")
        store = stores[-1]
        again = _timed(
            "re-import, nothing changed",
            options.runs,
            lambda: None,
            lambda: store.import_paths([options.data]),
        )
        print(f"  {again.unchanged} records unchanged, {again.added + again.changed} written")
        named = _named_versions(store)
        for respell, label in ((False, "named versions"), (True, "versions respelled (+fp)")):
            components = _components(named, options.components, respell)

            def cold() -> None:
                clear_caches()
                _reset_peak()

            result: Audit = _timed(
                f"match {len(components)} components, {label}, cold caches",
                options.runs,
                cold,
                lambda components=components: audit(components, store.source()),  # type: ignore[misc]
            )
            print(f"  {len(result.findings)} findings; peak RSS of the last run {_peak_mib():.0f} MiB")
        for opened in set(stores):
            opened.close()


if __name__ == "__main__":
    main()
