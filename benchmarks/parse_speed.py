"""Parsing speed: `ast.parse` against the tree-sitter → `ast` conversion path.

Usage: python benchmarks/parse_speed.py DIRECTORY [--repeat N]

Reads every .py file under DIRECTORY once, then times, best of N rounds:
  ast          ast.parse on every file (files it rejects still count as attempted)
  tree-sitter  the forced fallback path (tree-sitter parse + conversion) on every file
  fallback     the tree-sitter path on just the files this host's ast rejects, i.e. the work
               parse_module adds for code written for a newer Python
  parse_module what the analyser calls: ast first, tree-sitter when ast raises SyntaxError
No file is imported or run.
"""

from __future__ import annotations

import argparse
import ast
import time
import tokenize
import warnings
from collections.abc import Callable
from pathlib import Path

from firstpatch.analysis.parsing import ParsedModule, _parse_with_tree_sitter, parse_module


def read_sources(root: Path) -> list[tuple[str, str]]:
    sources = []
    for path in sorted(root.rglob("*.py")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            with tokenize.open(path) as handle:
                sources.append((str(path), handle.read()))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
    return sources


def ast_accepts(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def best_of(repeat: int, work: Callable[[], int]) -> tuple[float, int]:
    """Best wall time over `repeat` rounds, and what one round counted."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = work()
        best = min(best, time.perf_counter() - started)
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    sources = read_sources(options.directory)
    rejected = [(path, text) for path, text in sources if not ast_accepts(text)]
    lines = sum(text.count("\n") for _, text in sources)
    print(f"{len(sources)} files, {lines} lines; this host's ast rejects {len(rejected)}")

    def run_ast() -> int:
        return sum(ast_accepts(text) for _, text in sources)

    def run_tree_sitter(subset: list[tuple[str, str]]) -> Callable[[], int]:
        def work() -> int:
            return sum(isinstance(_parse_with_tree_sitter(text, path), ParsedModule) for path, text in subset)

        return work

    def run_parse_module() -> int:
        return sum(isinstance(parse_module(text, path), ParsedModule) for path, text in sources)

    rows = [
        ("ast", len(sources), *best_of(options.repeat, run_ast)),
        ("tree-sitter", len(sources), *best_of(options.repeat, run_tree_sitter(sources))),
        ("fallback", len(rejected), *best_of(options.repeat, run_tree_sitter(rejected))),
        ("parse_module", len(sources), *best_of(options.repeat, run_parse_module)),
    ]
    print(f"{'path':<13} {'files':>6} {'parsed':>7} {'seconds':>8} {'files/s':>9} {'ms/100 files':>13}")
    for name, files, seconds, parsed in rows:
        rate = files / seconds if seconds else float("inf")
        per_100 = 100_000 * seconds / files if files else 0.0
        print(f"{name:<13} {files:>6} {parsed:>7} {seconds:>8.3f} {rate:>9.0f} {per_100:>13.1f}")


if __name__ == "__main__":
    main()
