"""Static analysis speed, side by side with Bandit on the same tree in the same run.

Usage: python benchmarks/analysis_speed.py TREE [TREE ...] [--runs 3] [--bandit PATH]

Each tool runs as its own process; wall time, CPU time (user + system of the child) and peak
memory are reported per run, medians printed, and the firstpatch/Bandit ratio of each. firstpatch
runs `scan --no-prove --no-store --format sarif` (inventory and advisories included), with one
worker and with every core.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one child process.

    The peak is the largest of all children so far (what getrusage offers): run the tool with
    the largest footprint last, or read it only as an upper bound."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr[-1500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", type=Path, nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--bandit", help="Bandit executable; install it under Python 3.12+ so it parses 3.12 syntax too"
    )
    args = parser.parse_args()
    beside = Path(sys.executable).parent / "bandit"
    bandit = args.bandit or (str(beside) if beside.exists() else shutil.which("bandit"))
    out = Path(tempfile.mkdtemp(prefix="firstpatch-bench-"))
    for tree in args.trees:
        files = sum(1 for _ in tree.rglob("*.py"))
        print(f"\n{tree} ({files} .py files), median of {args.runs}")
        tools: dict[str, tuple[list[str], dict[str, str] | None]] = {}
        scan = [sys.executable, "-m", "firstpatch", "scan", str(tree), "--no-prove", "--no-store"]
        scan += ["--fail-on", "never", "--format", "sarif", "-o", str(out / "fp.sarif")]
        tools["firstpatch, 1 worker"] = (scan, {**os.environ, "FIRSTPATCH_JOBS": "1"})
        tools["firstpatch, all cores"] = (scan, None)
        if bandit:
            tools["bandit"] = ([bandit, "-q", "-r", str(tree), "-f", "json", "-o", str(out / "b.json")], None)
        medians: dict[str, tuple[float, float, float]] = {}
        for name, (command, env) in tools.items():
            runs = [measure(command, env) for _ in range(args.runs)]
            medians[name] = tuple(statistics.median(r[i] for r in runs) for i in range(3))  # type: ignore[assignment]
            wall, cpu, rss = medians[name]
            print(f"  {name:24} wall {wall:6.1f} s   cpu {cpu:6.1f} s   peak {rss:6.0f} MiB")
        if "bandit" in medians:
            for name in ("firstpatch, 1 worker", "firstpatch, all cores"):
                ratio = medians[name][0] / medians["bandit"][0]
                print(f"  wall ratio {name} / bandit: {ratio:.2f}")


if __name__ == "__main__":
    main()
