"""Prove OWASP BenchmarkPython as its own Flask application and score confirmed findings only.

Usage: python benchmarks/prove_owasp.py CHECKOUT [--target-python PATH] [--install-deps]
       [--out DIR] [--parseable-subset]

CHECKOUT is an extracted OWASP BenchmarkPython (GPL-3.0, never copied into this repository). The
static findings come from the scan as a user runs it (`python -m firstpatch scan CHECKOUT --format
json --no-prove`); they are then proved with `firstpatch.prove` in the target's environment
(`target_drivers`: --install-deps builds a cached virtual environment from the suite's
requirements.txt with --target-python, or with the interpreter its code needs). app.py imports every
test module and calls its `init(app)`, so each finding's route is registered the way the suite
registers it, and one warm application serves every finding.

Four SARIF files are scored with ../shared/bench/owasp-python/score.py: static (every finding),
confirmed (proof status confirmed only), verdict (confirmed, plus static findings of CWEs that have
no dynamic oracle) and unrefuted (the verdict plus the findings the proof could not test). It prints
the proof time per finding on the warm application, the time of each stage, and writes details.txt
(every confirmed finding on a test that is not a real vulnerability, and why each real one that was
found was not confirmed) and proved.json (the findings with their evidence) next to the SARIF files.

The suite is written for Python 3.12+ (PEP 701 f-strings, sqlite3 `autocommit`). --parseable-subset
measures what a 3.11-only machine can: a copy without the modules 3.11 cannot compile, scored
against the expected results of the tests kept.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from firstpatch.model import Finding, FindingKind, ProofStatus, Run
from firstpatch.model.serialize import from_json, to_json
from firstpatch.prove import NO_DYNAMIC_ORACLE, prove, target_drivers

ROOT = Path(__file__).resolve().parents[1]
SCORER = ROOT.parent / "shared" / "bench" / "owasp-python" / "score.py"
WARM = re.compile(r"([0-9.]+) s on the warm application")
TEST = re.compile(r"BenchmarkTest(\d{5})")


def static_scan(checkout: Path, out: Path) -> tuple[list[Finding], float]:
    report = out / "static.json"
    command = [sys.executable, "-m", "firstpatch", "scan", str(checkout), "--format", "json"]
    command += ["-o", str(report), "--no-store", "--fail-on", "never", "--no-prove"]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        sys.exit(f"scan failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    run = from_json(Run, json.loads(report.read_text(encoding="utf-8"))["run"])
    return [f for f in run.findings if f.kind is FindingKind.CODE], seconds


def sarif(findings: list[Finding], path: Path) -> Path:
    """A minimal SARIF 2.1.0 file the scorer reads: rule id, CWE and location per result."""
    results = [
        {
            "ruleId": f.rule_id,
            "properties": {"cwe": f.cwe},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.location.path}}}],
        }
        for f in findings
    ]
    document = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "firstpatch"}}, "results": results}],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def score(path: Path, expected: Path) -> str:
    return subprocess.run(
        [sys.executable, str(SCORER), str(path), "--expected", str(expected)],
        capture_output=True,
        text=True,
        check=True,
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
    print(f"parseable subset: {len(kept) - 1} tests kept, {len(dropped)} dropped")
    return copy, expected


def details(findings: list[Finding], expected: Path) -> str:
    """Confirmed findings on safe tests, and unconfirmed findings on real ones, by category."""
    truth: dict[int, tuple[str, bool, int]] = {}
    with expected.open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            match = TEST.search(row[0]) if row and not row[0].startswith("#") else None
            if match:
                truth[int(match.group(1))] = (row[1], row[2].strip() == "true", int(row[3]))
    lines: list[str] = []
    missed: dict[str, list[str]] = defaultdict(list)
    for finding in findings:
        match = TEST.search(finding.location.path)
        if match is None or int(match.group(1)) not in truth or finding.evidence is None:
            continue
        category, real, cwe = truth[int(match.group(1))]
        if finding.cwe != cwe:
            continue
        status, reason = finding.evidence.status, finding.evidence.reason
        if status is ProofStatus.CONFIRMED and not real:
            lines.append(f"FALSE POSITIVE {category} {finding.location.path}: {reason[:300]}")
        elif status is not ProofStatus.CONFIRMED and real:
            missed[category].append(f"  {finding.location.path} {status.value}: {reason[:300]}")
    for category, items in sorted(missed.items()):
        lines.append(f"real but not confirmed, {category}: {len(items)}")
        lines += items
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--out", type=Path, default=Path("benchmark-out"))
    parser.add_argument("--target-python", help="the interpreter the suite runs under (3.12+)")
    parser.add_argument(
        "--install-deps", action="store_true", help="a cached environment from requirements.txt"
    )
    parser.add_argument(
        "--parseable-subset", action="store_true", help="drop modules this Python cannot parse"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    checkout, expected = args.checkout.resolve(), args.checkout.resolve() / "expectedresults-0.1.csv"
    if args.parseable_subset:
        checkout, expected = parseable_subset(checkout, args.out)

    started = time.perf_counter()
    drivers = target_drivers(checkout, args.install_deps, args.target_python)
    environment = time.perf_counter() - started
    code, static_seconds = static_scan(checkout, args.out)
    started = time.perf_counter()
    evidence = prove(checkout, code, drivers)
    prove_seconds = time.perf_counter() - started
    proved = [replace(f, evidence=evidence.get(f.fingerprint)) for f in code]

    status = Counter(f.evidence.status.value if f.evidence else "none" for f in proved)
    print(
        f"target environment: {environment:.1f} s; static scan: {static_seconds:.1f} s;"
        f" proof of {len(proved)} findings: {prove_seconds:.1f} s;"
        f" whole suite: {environment + static_seconds + prove_seconds:.1f} s"
    )
    print("proof status:", dict(status))
    warm = [float(m.group(1)) for f in proved if f.evidence and (m := WARM.search(f.evidence.log))]
    if warm:
        print(
            f"warm proof time per finding: median {statistics.median(warm):.4f} s,"
            f" max {max(warm):.3f} s, n={len(warm)}"
        )
    logs = [f.evidence.log.splitlines()[0] for f in proved if f.evidence and f.evidence.log]
    if logs:
        print("sandbox:", Counter(line.split("; about")[0] for line in logs).most_common(1)[0][0])
    confirmed = [f for f in proved if f.evidence and f.evidence.status is ProofStatus.CONFIRMED]
    verdict = confirmed + [f for f in proved if f.cwe in NO_DYNAMIC_ORACLE]
    # Findings the proof could not run (no refutation either) kept as the analyser said.
    unrefuted = verdict + [f for f in proved if f.evidence and f.evidence.status is ProofStatus.UNTESTABLE]
    chosen_sets = (
        ("static", proved),
        ("confirmed", confirmed),
        ("verdict", verdict),
        ("unrefuted", unrefuted),
    )
    for name, chosen in chosen_sets:
        print(f"== {name}: {len(chosen)} findings")
        print(score(sarif(chosen, args.out / f"{name}.sarif"), expected))
    untestable = Counter(
        f.evidence.reason[:100] for f in proved if f.evidence and f.evidence.status is ProofStatus.UNTESTABLE
    )
    for reason, count in untestable.most_common(10):
        print(f"untestable x{count}: {reason}")
    (args.out / "details.txt").write_text(details(proved, expected), encoding="utf-8")
    (args.out / "proved.json").write_text(json.dumps(to_json(proved)), encoding="utf-8")


if __name__ == "__main__":
    main()
