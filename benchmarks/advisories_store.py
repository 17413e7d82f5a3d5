"""Advisory store speed: import all of the shared data, re-import it unchanged, match 10,000 components.

    .venv/bin/python benchmarks/advisories_store.py [--data /work/shared/data] [--db URL]

Prints wall and CPU seconds (this process and its parse workers) for each step, and the peak
resident memory of the matching step. Components are drawn (seeded) from the real package
names in the store, each at a version its advisories name, so that most of them match.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from firstpatch.advisories.db import tables
from firstpatch.advisories.db.store import AdvisoryStore
from firstpatch.advisories.findings import audit
from firstpatch.advisories.matching import clear_caches
from firstpatch.model import Component, Ecosystem, Location

PURL_TYPES = {"PyPI": "pypi", "Go": "golang", "crates.io": "cargo"}


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(label: str, action):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), _cpu()
    result = action()
    print(f"{label}: {time.perf_counter() - wall:.2f} s wall, {_cpu() - cpu:.2f} s CPU")
    return result


def _components(store: AdvisoryStore, count: int) -> list[Component]:
    with store._engine.connect() as connection:  # a benchmark reads the table directly
        rows = connection.execute(
            select(tables.packages.c.ecosystem, tables.packages.c.name, tables.records.c.data).join(
                tables.records, tables.records.c.id == tables.packages.c.record_id
            )
        ).all()
    import json

    versions: dict[tuple[str, str], list[str]] = {}
    for ecosystem, name, data in rows:
        record = json.loads(data)
        for affected in record.get("affected") or ():
            for range_ in affected.get("ranges") or ():
                for event in range_.get("events") or ():
                    for value in event.values():
                        if value not in ("0", "*") and len(value) < 40:
                            versions.setdefault((ecosystem, name), []).append(value)
    chooser = random.Random(20261129)  # noqa: S311 - a seeded sample, not a secret
    keys = sorted(versions)
    out = []
    for index in range(count):
        ecosystem, name = chooser.choice(keys)
        version = chooser.choice(versions[(ecosystem, name)])
        purl = f"pkg:{PURL_TYPES.get(ecosystem, 'generic')}/{name}@{version}"
        out.append(Component(purl, name, version, Ecosystem(ecosystem), (Location("inventory", index + 1),)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--db", default=None)
    parser.add_argument("--components", type=int, default=10_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        with AdvisoryStore(url) as store:
            first = _timed("import into an empty store", lambda: store.import_paths([options.data]))
            print(f"  {first.added} records, feeds {sorted(first.feeds)}, {len(first.errors)} errors")
            again = _timed("re-import, nothing changed", lambda: store.import_paths([options.data]))
            print(f"  {again.unchanged} records unchanged, {again.added + again.changed} written")
            components = _components(store, options.components)
            clear_caches()
            result = _timed(
                f"match {len(components)} components (cold caches)",
                lambda: audit(components, store.source()),
            )
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"  {len(result.findings)} findings; peak RSS {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
