"""Prove OWASP BenchmarkPython as its own Flask application and score confirmed findings only.

Usage: python benchmarks/prove_owasp.py CHECKOUT [--out DIR] [--parseable-subset]

CHECKOUT is an extracted OWASP BenchmarkPython (GPL-3.0, never copied into this repository). The
scan runs as a user would run it (`python -m firstpatch scan CHECKOUT --format json --no-patch`),
which proves every code finding in the sandbox: the app.py entry point imports every test module
and calls its `init(app)`, so each finding's route is registered the way the suite registers it.
From the report this script writes three SARIF files and scores each with
../shared/bench/owasp-python/score.py: static (every finding), confirmed (proof status confirmed
only) and verdict (confirmed, plus static findings of CWEs that have no dynamic oracle). It also
prints the median proof time per finding on the warm application and the whole wall time.

The suite is written for Python 3.12+ (PEP 701 f-strings). On an older interpreter its app.py
cannot start; --parseable-subset measures what can be measured there: a copy of the checkout
without the test modules this interpreter cannot compile, scored against the expected results of
the tests that are kept (the numbers say how many).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCORER = ROOT.parent / "shared" / "bench" / "owasp-python" / "score.py"
WARM = re.compile(r"([0-9.]+) s on the warm application")
NO_ORACLE = {798, 295}


def scan(checkout: Path, out: Path) -> tuple[dict[str, object], float]:
    report = out / "firstpatch.json"
    command = [
        sys.executable,
        "-m",
        "firstpatch",
        "scan",
        str(checkout),
        "--format",
        "json",
        "-o",
        str(report),
    ]
    command += ["--no-store", "--fail-on", "never", "--no-patch"]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        sys.exit(f"scan failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    return json.loads(report.read_text(encoding="utf-8"))["run"], seconds


def sarif(findings: list[dict[str, object]], path: Path) -> Path:
    """A minimal SARIF 2.1.0 file the scorer reads: rule id, CWE and location per result."""
    results = [
        {
            "ruleId": f["rule_id"],
            "properties": {"cwe": f["cwe"]},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f["location"]["path"]}}}],  # type: ignore[index]
        }
        for f in findings
    ]
    document = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "firstpatch"}}, "results": results}],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def score(path: Path, expected: Path | None) -> str:
    extra = ["--expected", str(expected)] if expected else []
    return subprocess.run(
        [sys.executable, str(SCORER), str(path), *extra], capture_output=True, text=True, check=True
    ).stdout


def parseable_subset(checkout: Path, out: Path) -> tuple[Path, Path]:
    """A copy without the test modules this interpreter cannot compile, and their expected results."""
    copy = out / "owasp-parseable"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(checkout, copy, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    dropped = set()
    for path in sorted((copy / "testcode").glob("BenchmarkTest*.py")):
        try:
            ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            path.unlink()
            dropped.add(path.stem)
    lines = (checkout / "expectedresults-0.1.csv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.startswith("#") or line.split(",")[0] not in dropped]
    expected = out / "expected-parseable.csv"
    expected.write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(
        f"parseable subset: {len(kept) - 1} tests kept, {len(dropped)} dropped"
        f" (not valid Python {sys.version_info.major}.{sys.version_info.minor})"
    )
    return copy, expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--out", type=Path, default=Path("benchmark-out"))
    parser.add_argument(
        "--parseable-subset", action="store_true", help="drop modules this Python cannot parse"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    checkout, expected = args.checkout, None
    if args.parseable_subset:
        checkout, expected = parseable_subset(args.checkout, args.out)
    report, seconds = scan(checkout, args.out)
    code = [f for f in report["findings"] if f["kind"] == "code"]  # type: ignore[index, union-attr]
    status = {id(f): (f.get("evidence") or {}).get("status") for f in code}
    confirmed = [f for f in code if status[id(f)] == "confirmed"]
    verdict = confirmed + [f for f in code if f["cwe"] in NO_ORACLE]
    print(f"whole suite: {seconds:.1f} s (scan, analysis and proof)")
    print("proof status:", dict(Counter(str(s) for s in status.values())))
    warm = [float(m.group(1)) for f in code if (m := WARM.search((f.get("evidence") or {}).get("log", "")))]
    if warm:
        print(
            f"warm proof time per finding: median {statistics.median(warm):.3f} s,"
            f" max {max(warm):.3f} s, n={len(warm)}"
        )
    for name, chosen in (("static", code), ("confirmed", confirmed), ("verdict", verdict)):
        print(f"== {name}: {len(chosen)} findings")
        print(score(sarif(chosen, args.out / f"{name}.sarif"), expected))
    untestable = Counter(
        ((f.get("evidence") or {}).get("reason", "")[:90]) for f in code if status[id(f)] == "untestable"
    )
    for reason, count in untestable.most_common(10):
        print(f"untestable x{count}: {reason}")


if __name__ == "__main__":
    main()
