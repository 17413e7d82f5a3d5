"""How fast the inventory reads lockfiles and trees of manifests.

    python benchmarks/inventory_speed.py [--packages 20000] [--projects 400] [--runs 3]

Times (median of --runs; wall and CPU seconds):
1. one large package-lock.json (lockfile v3, `--packages` entries, a quarter of them nested
   copies, written with npm's two-space indent), parsed by `NpmLockParser` alone; then the same
   packages as a v1 lockfile (nested `dependencies`), whose lines are found by a forward walk;
2. `collect` over a generated tree of `--projects` folders, each holding a requirements.txt,
   a poetry.lock with its pyproject.toml, a package-lock.json, a go.mod, a Cargo.lock and a pom.xml
   (about 30 packages each): walking the tree, reading every file, parsing, merging.
The files are generated into a temporary folder with a fixed seed, so every run reads the same,
and the purl caches are emptied before each run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from firstpatch.inventory import collect
from firstpatch.inventory._purl import purl_string
from firstpatch.inventory._pypi import _identity
from firstpatch.inventory.npm_lock import NpmLockParser
from firstpatch.target import Target

T = TypeVar("T")


def cold() -> None:
    """Empty the purl caches, so that every run pays for every purl as a first run would."""
    purl_string.cache_clear()
    _identity.cache_clear()


def timed(runs: int, work: Callable[[], T]) -> tuple[float, float, T]:
    walls, cpus = [], []
    result: T | None = None
    for _ in range(runs):
        cold()
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    if result is None:
        raise SystemExit("--runs must be at least 1")
    return statistics.median(walls), statistics.median(cpus), result


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 40)}"


def _entry(name: str, version: str, rng: random.Random, *, dev: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "version": version,
        "resolved": f"https://registry.npmjs.org/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz",
        "integrity": "sha512-"
        + "".join(rng.choice("ABCDEFGHabcdefgh0123456789+/") for _ in range(86))
        + "==",
    }
    if dev:
        entry["dev"] = True
    return entry


def package_lock_v3(count: int, rng: random.Random) -> str:
    names = [f"@scope{i % 50}/pkg-{i}" if i % 7 == 0 else f"pkg-{i}" for i in range(count)]
    packages: dict[str, Any] = {"": {"name": "big", "version": "1.0.0", "dependencies": {}}}
    hoisted = names[: count * 3 // 4]
    for index, name in enumerate(hoisted):
        entry = _entry(name, _version(rng), rng, dev=index % 5 == 0)
        entry["dependencies"] = {rng.choice(hoisted): "^1.0.0" for _ in range(3)}
        packages[f"node_modules/{name}"] = entry
        if index < 200:
            packages[""]["dependencies"][name] = "^1.0.0"
    for name in names[count * 3 // 4 :]:
        owner = rng.choice(hoisted)
        packages[f"node_modules/{owner}/node_modules/{name}"] = _entry(name, _version(rng), rng, dev=False)
    return json.dumps(
        {"name": "big", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}, indent=2
    )


def package_lock_v1(count: int, rng: random.Random) -> str:
    top: dict[str, Any] = {}
    names = [f"pkg-{i}" for i in range(count)]
    hoisted = names[: count * 3 // 4]
    for name in hoisted:
        top[name] = _entry(name, _version(rng), rng, dev=False)
        top[name]["requires"] = {rng.choice(hoisted): "^1.0.0" for _ in range(3)}
    for name in names[count * 3 // 4 :]:
        owner = top[rng.choice(hoisted)]
        owner.setdefault("dependencies", {})[name] = _entry(name, _version(rng), rng, dev=False)
    return json.dumps(
        {"name": "big", "version": "1.0.0", "lockfileVersion": 1, "dependencies": top}, indent=2
    )


def write_tree(root: Path, projects: int, rng: random.Random) -> int:
    """Folders of small projects in six ecosystems; returns the number of files written."""
    files = 0
    for index in range(projects):
        folder = root / f"team{index % 20}" / f"service{index}"
        folder.mkdir(parents=True)
        names = [f"lib{n}" for n in rng.sample(range(3000), 30)]
        (folder / "requirements.txt").write_text("".join(f"{n}=={_version(rng)}\n" for n in names))
        (folder / "pyproject.toml").write_text(
            '[tool.poetry]\nname = "s"\nversion = "1.0.0"\n\n[tool.poetry.dependencies]\n'
            + "".join(f'{n} = "^1.0"\n' for n in names[:5])
        )
        (folder / "poetry.lock").write_text(
            "".join(
                f'[[package]]\nname = "{n}"\nversion = "{_version(rng)}"\ncategory = "main"\n'
                f'optional = false\npython-versions = "*"\n\n'
                for n in names
            )
        )
        lock = {
            "lockfileVersion": 3,
            "packages": {
                "": {"dependencies": dict.fromkeys(names[:5], "^1")},
                **{f"node_modules/{n}": _entry(n, _version(rng), rng, dev=False) for n in names},
            },
        }
        (folder / "package-lock.json").write_text(json.dumps(lock, indent=2))
        (folder / "go.mod").write_text(
            "module example.com/s\n\ngo 1.21\n\nrequire (\n"
            + "".join(f"\tgithub.com/org{i}/{n} v{_version(rng)}\n" for i, n in enumerate(names))
            + ")\n"
        )
        (folder / "Cargo.lock").write_text(
            "version = 3\n\n"
            + "".join(
                f'[[package]]\nname = "{n}"\nversion = "{_version(rng)}"\n'
                'source = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
                for n in names
            )
        )
        (folder / "pom.xml").write_text(
            '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>\n'
            "<properties><v>1.2.3</v></properties><dependencies>\n"
            + "".join(
                f"<dependency><groupId>org.{n}</groupId><artifactId>{n}</artifactId>"
                f"<version>${{v}}</version></dependency>\n"
                for n in names
            )
            + "</dependencies></project>\n"
        )
        files += 7
    return files


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--packages", type=int, default=20_000)
    options.add_argument("--projects", type=int, default=400)
    options.add_argument("--runs", type=int, default=3)
    args = options.parse_args()
    rng = random.Random(1)  # noqa: S311 - reproducible fixtures, not secrets

    parser = NpmLockParser()
    for label, text in (
        ("package-lock.json v3", package_lock_v3(args.packages, rng)),
        ("package-lock.json v1", package_lock_v1(args.packages, rng)),
    ):
        wall, cpu, parsed = timed(args.runs, lambda text=text: parser.parse(text, "package-lock.json"))
        size = len(text.encode()) / 2**20
        print(
            f"{label}: {len(parsed.components):,} components from {size:.1f} MiB "
            f"in {wall:.2f} s wall, {cpu:.2f} s CPU ({len(parsed.components) / wall:,.0f} components/s)"
        )

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = write_tree(root, args.projects, rng)
        wall, cpu, (components, problems) = timed(args.runs, lambda: collect(Target.open(root)))
        occurrences = sum(len(c.locations) for c in components)
        print(
            f"tree of {args.projects} projects, {files:,} manifests: {len(components):,} components "
            f"({occurrences:,} occurrences, {len(problems)} problems) in {wall:.2f} s wall, {cpu:.2f} s CPU "
            f"({files / wall:,.0f} manifests/s)"
        )


if __name__ == "__main__":
    main()
