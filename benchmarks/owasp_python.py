"""Score firstpatch on OWASP BenchmarkPython, side by side with Bandit when it is installed.

Usage: python benchmarks/owasp_python.py CHECKOUT [--prove] [--bandit] [--out DIR]

CHECKOUT is a checkout of OWASP-Benchmark/BenchmarkPython (the suite is GPL-3.0 and is never
copied into this repository). Scoring uses ../shared/bench/owasp-python/score.py, the way OWASP
BenchmarkUtils scores: per category TPR - FPR, then the mean over categories.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCORER = ROOT.parent / "shared" / "bench" / "owasp-python" / "score.py"


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def score(sarif: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(SCORER), str(sarif)], capture_output=True, text=True, check=True
    )
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--prove", action="store_true", help="score confirmed findings only")
    parser.add_argument("--bandit", action="store_true", help="run Bandit on the same tree")
    parser.add_argument("--out", type=Path, default=Path("benchmark-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    ours = args.out / "firstpatch.sarif"
    command = [sys.executable, "-m", "firstpatch", "scan", str(args.checkout), "--format", "sarif"]
    command += ["-o", str(ours), "--no-store", "--fail-on", "never", "--no-patch"]
    if not args.prove:
        command.append("--no-prove")
    seconds = timed(command)
    print(f"firstpatch: {seconds:.1f} s")
    print(score(ours))

    if args.bandit:
        bandit = shutil.which("bandit")
        if bandit is None:
            sys.exit("bandit is not installed: pip install 'bandit[sarif]'")
        theirs = args.out / "bandit.sarif"
        bandit_seconds = timed([bandit, "-q", "-r", str(args.checkout), "-f", "sarif", "-o", str(theirs)])
        print(f"bandit: {bandit_seconds:.1f} s (firstpatch/bandit time ratio {seconds / bandit_seconds:.2f})")
        print(score(theirs))


if __name__ == "__main__":
    main()
