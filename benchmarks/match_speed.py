"""How fast the advisory stage is on a whole OSV export.

    python benchmarks/match_speed.py /work/shared/data/osv/pypi/vulns [--components 10000] [--runs 3]

Times (median of --runs, each from a cold start: new source, empty version caches):
1. loading every record of the folder (YAML/JSON parsing and conversion to `model.Advisory`);
2. matching N components against it: `match` alone, then `audit` (matching, smallest fix,
   severity and findings).
Components are drawn with a fixed seed from the export's own package names, with versions taken
from the records (listed versions and fix versions) and some versions past every fix. Every
(name, version) pair is distinct, so `audit`'s per-version memo never helps: the worst case.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from packageurl import PackageURL

from firstpatch.advisories import DirectorySource, audit, match
from firstpatch.advisories.matching import clear_caches
from firstpatch.model import Advisory, Component, Ecosystem, Location

T = TypeVar("T")


def timed(runs: int, setup: Callable[[], None], work: Callable[[], T]) -> tuple[float, float, T]:
    """Median wall-clock and CPU seconds of `runs` runs of `work`, each after `setup`; and the
    last result. CPU time is the steadier figure on a shared machine."""
    walls, cpus = [], []
    result: T | None = None
    for _ in range(runs):
        setup()
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    if result is None:
        raise SystemExit("--runs must be at least 1")
    return statistics.median(walls), statistics.median(cpus), result


def draw_components(advisories: tuple[Advisory, ...], count: int, seed: int) -> list[Component]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    pypi = [entry for a in advisories for entry in a.affected if entry.ecosystem == "PyPI"]
    seen: set[tuple[str, str]] = set()
    components: list[Component] = []
    while len(components) < count:
        entry = rng.choice(pypi)
        ecosystem_ranges = [r for r in entry.ranges if r.type == "ECOSYSTEM"]
        fixes = [e.version for r in ecosystem_ranges for e in r.events if e.kind == "fixed"]
        roll = rng.random()
        if roll < 0.6 and entry.versions:
            version = rng.choice(entry.versions)  # listed as affected
        elif roll < 0.8 and fixes:
            version = rng.choice(fixes)  # a fix: clean for this record
        else:
            version = f"{rng.randint(1, 9999)}.0"  # most likely past every fix
        if (entry.name, version) in seen:
            continue
        seen.add((entry.name, version))
        purl = PackageURL(type="pypi", name=entry.name, version=version).to_string()
        location = Location("requirements.txt", len(components) + 1, 1)
        components.append(Component(purl, entry.name, version, Ecosystem.PYPI, (location,)))
    return components


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path, help="a folder of OSV records, e.g. advisory-database vulns/")
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)

    sources: list[DirectorySource] = []

    def fresh() -> None:
        clear_caches()
        sources[:] = [DirectorySource(args.folder)]

    def load_all() -> tuple[Advisory, ...]:
        return sources[0].advisories()  # the source `fresh` just made

    load_s, load_cpu, advisories = timed(args.runs, fresh, load_all)
    source = sources[0]
    withdrawn = sum(a.withdrawn is not None for a in advisories)
    print(f"records: {len(advisories):,} ({withdrawn} withdrawn) from {args.folder}")
    print(
        f"load all records:  {load_s:7.3f} s wall, {load_cpu:7.3f} s CPU "
        f"({len(advisories) / load_cpu:,.0f} records/s)"
    )

    components = draw_components(advisories, args.components, args.seed)
    names = len({c.name for c in components})
    print(f"components: {len(components):,} distinct versions of {names:,} packages (seed {args.seed})")

    def match_all() -> int:
        hits = 0
        for component in components:
            known = source.for_package(component.ecosystem, component.name)
            hits += bool(match(component.ecosystem, component.name, component.version or "", known).matches)
        return hits

    match_s, match_cpu, vulnerable = timed(args.runs, clear_caches, match_all)
    print(
        f"match only:        {match_s:7.3f} s wall, {match_cpu:7.3f} s CPU "
        f"({len(components) / match_cpu:,.0f} components/s; {vulnerable:,} vulnerable)"
    )
    audit_s, audit_cpu, result = timed(args.runs, clear_caches, lambda: audit(components, source))
    print(
        f"audit:             {audit_s:7.3f} s wall, {audit_cpu:7.3f} s CPU "
        f"({len(components) / audit_cpu:,.0f} components/s; "
        f"{len(result.findings):,} findings, {len(result.skipped):,} skipped)"
    )
    print("  (audit = match + smallest fix + severity + findings)")
    print(f"python {sys.version.split()[0]}, median of {args.runs} cold runs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
