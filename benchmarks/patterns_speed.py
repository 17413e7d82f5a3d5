"""Speed of the pattern rules (`firstpatch.analysis.patterns.check_module`) over a directory.

Usage: python benchmarks/patterns_speed.py DIRECTORY [--repeat N]

Parses every .py file under DIRECTORY once with `parse_module` (not timed), then times, best of N
rounds, `check_module` over every parsed module: all rules, then each rule alone; then once the
whole of reading, parsing and checking, and, when `bandit` is on PATH, Bandit over the same folder
for comparison. Prints modules, lines, hits and the time per 1,000 lines. No file is imported or
run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from firstpatch.analysis.models import load_catalog
from firstpatch.analysis.parsing import ParsedModule, parse_module
from firstpatch.analysis.patterns import check_module  # registers every rule
from firstpatch.analysis.patterns.registry import REGISTRY, PatternRule
from firstpatch.analysis.program import Module, module_name
from firstpatch.target import SKIPPED_DIRS, Target


def load(root: Path) -> tuple[list[tuple[str, str, ParsedModule]], int]:
    """Parsed modules as (relative path, dotted name, parse), and how many files were skipped.

    Files come from `Target`, as in a scan: vendored and tool folders (site-packages, .venv, ...)
    are left out."""
    target = Target.open(root)
    parsed: list[tuple[str, str, ParsedModule]] = []
    skipped = 0
    for path in target.files(suffixes=(".py",)):
        relative = target.relative(path)
        text = target.read_text(path)
        if text is None:
            continue  # recorded in target.skipped
        result = parse_module(text, relative)
        if isinstance(result, ParsedModule):
            parsed.append((relative, module_name(relative)[0], result))
        else:
            skipped += 1
    return parsed, skipped + len(target.skipped)


def fresh_modules(parsed: list[tuple[str, str, ParsedModule]]) -> list[Module]:
    """New Module objects each round, so that imports are collected inside the timed work."""
    return [Module(name, relative, p.tree, p.lines) for relative, name, p in parsed]


def best_of(repeat: int, work: Callable[[], Counter[str]]) -> tuple[float, Counter[str]]:
    best = float("inf")
    hits: Counter[str] = Counter()
    for _ in range(repeat):
        started = time.perf_counter()
        hits = work()
        best = min(best, time.perf_counter() - started)
    return best, hits


def run(parsed: list[tuple[str, str, ParsedModule]], only: list[PatternRule]) -> Callable[[], Counter[str]]:
    catalog = load_catalog()

    def work() -> Counter[str]:
        saved = list(REGISTRY)
        REGISTRY[:] = only
        try:
            return Counter(hit.rule.id for m in fresh_modules(parsed) for hit in check_module(m, catalog))
        finally:
            REGISTRY[:] = saved

    return work


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    parsed, skipped = load(options.directory)
    lines = sum(len(p.lines) for _, _, p in parsed)
    print(f"{options.directory}: {len(parsed)} modules, {lines} lines ({skipped} files not parsed)")

    def row(label: str, seconds: float, hits: int) -> None:
        print(f"{label:<30} {seconds:>8.3f} {1e6 * seconds / max(lines, 1):>12.2f} {hits:>6}")

    print(f"{'rules':<30} {'seconds':>8} {'ms/1k lines':>12} {'hits':>6}")
    for label, only in [("all", list(REGISTRY))] + [(entry.rule.id, [entry]) for entry in REGISTRY]:
        seconds, hits = best_of(options.repeat, run(parsed, only))
        row(label, seconds, sum(hits.values()))

    def end_to_end() -> Counter[str]:
        return run(load(options.directory)[0], list(REGISTRY))()

    seconds, hits = best_of(1, end_to_end)
    row("read + parse + all rules", seconds, sum(hits.values()))
    if bandit := shutil.which("bandit"):
        # Bandit reads and parses too, and runs all its plugins, test folders included.
        with tempfile.TemporaryDirectory() as scratch:
            report = Path(scratch) / "bandit.json"
            excluded = ",".join(f"*/{name}/*" for name in sorted(SKIPPED_DIRS))  # as Target skips them
            command = [
                bandit,
                "-r",
                str(options.directory),
                "-x",
                excluded,
                "-q",
                "-f",
                "json",
                "-o",
                str(report),
            ]
            started = time.perf_counter()
            subprocess.run(command, check=False, capture_output=True)
            bandit_seconds = time.perf_counter() - started
            issues = len(json.loads(report.read_text("utf-8")).get("results", []))
        row("bandit -r (for comparison)", bandit_seconds, issues)
        print(f"read + parse + all rules take {seconds / bandit_seconds:.2f}x Bandit's time")


if __name__ == "__main__":
    main()
