"""Patch-and-verify on the demo and on OWASP BenchmarkPython: how many findings get a verified
patch, whether verified patches change how the application answers a benign request, and the
time to propose and verify one patch.

Usage: python benchmarks/patch_verify.py [--owasp CHECKOUT] [--limit N] [--json FILE]

The demo: its findings are scanned and proved as `firstpatch scan` does; each confirmed one is
proposed and verified (reproducer, rescan, the demo's own tests in the sandbox).

OWASP BenchmarkPython's app.py imports every test case at start-up and 461 of its files need
Python 3.12, so on 3.11 the application never starts and nothing is confirmed. Here each test
case with a static true positive (a finding whose file and CWE the suite's expected results mark
as a real vulnerability) is served alone, as the suite's app.py serves it (its `init(app)` on a
Flask app, with the suite's helpers, templates and files beside it); its finding is proved there
and, when confirmed, patched and verified. Files that Python 3.11 cannot parse are counted and
left out.

Benign replay: for each verified patch, a request with a plain value ("hello") for the finding's
input is sent to its route before and after the patch, in the sandbox; status and body must match.
Compared only where the unpatched application answers it normally (no exception, status < 500)
and the same way twice (a page with a fresh random token cannot be compared byte for byte).
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Finding, PatchStatus, ProofStatus
from firstpatch.patch import propose, verify
from firstpatch.prove import FlaskDriver, Payload, prove
from firstpatch.prove._http import build_request
from firstpatch.prove.sandbox import run as sandbox_run
from firstpatch.target import Target

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "vulnerable-flask"
ANALYZER = TaintAnalyzer()
BENIGN = Payload(canary="benign", value="hello", label="benign")
MINI_APP = """from flask import Flask

from testcode import {module}

app = Flask(__name__)
app.secret_key = b"benchmark"
{module}.init(app)
"""


@dataclass
class Outcome:
    name: str
    cwe: int | None
    confirmed: bool
    proposed: bool = False
    verified: bool = False
    failed_check: str = ""
    seconds: float = 0.0
    benign_same: bool | None = None


def rescan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


def benign_answer(root: Path, finding: Finding) -> tuple[object, ...] | None:
    """(status, body) of the finding's route for a benign value, served in the sandbox."""
    entry = finding.entry_point
    if entry is None:
        return None
    driver = FlaskDriver()
    locator = driver.locate(root, entry)
    if isinstance(locator, str):
        return None
    request = build_request(entry, BENIGN).to_json(BENIGN.canary)
    job = {"runner": "flask", "app": driver.job_app(locator), "items": [{"id": "b", "requests": [request]}]}
    result = sandbox_run(root, job)
    answers = [m for m in result.messages if m.get("type") == "request"]
    if not answers:
        return None
    answer = answers[0]
    return answer.get("status"), answer.get("body"), answer.get("error")


def patch_and_verify(name: str, root: Path, finding: Finding) -> Outcome:
    outcome = Outcome(name, finding.cwe, confirmed=True)
    started = time.perf_counter()
    proposed = propose(root, finding)
    if proposed is None:
        outcome.seconds = time.perf_counter() - started
        outcome.failed_check = "no codemod fits"
        return outcome
    patch = verify(root, finding, proposed, FlaskDriver(), rescan=rescan)
    outcome.seconds = time.perf_counter() - started
    outcome.proposed = True
    outcome.verified = patch.status is PatchStatus.VERIFIED
    outcome.failed_check = ", ".join(f"{c.name}: {c.detail[:120]}" for c in patch.checks if not c.passed)
    if outcome.verified:
        with tempfile.TemporaryDirectory() as scratch:
            after = shutil.copytree(root, Path(scratch) / "after")
            for change in proposed.changes:
                (after / change.path).write_text(change.after, encoding="utf-8")
            before = benign_answer(root, finding)
            normal = (
                before is not None and before[2] is None and isinstance(before[0], int) and before[0] < 500
            )
            # Only a request the unpatched application answered normally is a normal request, and
            # only one it answers the same way twice (no random token in the page) can be compared.
            stable = normal and before == benign_answer(root, finding)
            outcome.benign_same = before == benign_answer(after, finding) if stable else None
    return outcome


def demo() -> list[Outcome]:
    findings = rescan(DEMO)
    evidence = prove(DEMO, findings)
    outcomes = []
    for finding in findings:
        confirmed = evidence[finding.fingerprint].status is ProofStatus.CONFIRMED
        name = f"demo {finding.location.snippet[:40]}"
        outcomes.append(
            patch_and_verify(name, DEMO, finding) if confirmed else Outcome(name, finding.cwe, False)
        )
    return outcomes


def owasp(checkout: Path, limit: int | None) -> tuple[list[Outcome], int]:
    truth = {}
    with (checkout / "expectedresults-0.1.csv").open() as handle:
        for row in csv.reader(line for line in handle if not line.startswith("#")):
            truth[row[0]] = (row[2] == "true", int(row[3]))
    outcomes: list[Outcome] = []
    unparsable = 0
    cases = sorted((checkout / "testcode").glob("BenchmarkTest*.py"))
    with tempfile.TemporaryDirectory(prefix="owasp-mini-") as scratch:
        for path in cases:
            real, cwe = truth.get(path.stem, (False, 0))
            if not real:
                continue
            try:
                ast.parse(path.read_text(encoding="utf-8"))
            except SyntaxError:
                unparsable += 1
                continue
            root = Path(scratch) / path.stem
            (root / "testcode").mkdir(parents=True)
            shutil.copy(path, root / "testcode" / path.name)
            (root / "testcode" / "__init__.py").write_text("")
            for folder in ("helpers", "templates", "testfiles"):
                if (checkout / folder).is_dir():
                    shutil.copytree(checkout / folder, root / folder, symlinks=True)
            (root / "app.py").write_text(MINI_APP.format(module=path.stem))
            findings = [f for f in rescan(root) if f.cwe == cwe and f.location.path.startswith("testcode/")]
            if not findings:
                continue  # a false negative of the analyser: nothing to patch
            finding = findings[0]
            evidence = prove(root, [finding])[finding.fingerprint]
            confirmed = evidence.status is ProofStatus.CONFIRMED
            outcome = (
                patch_and_verify(path.stem, root, finding) if confirmed else Outcome(path.stem, cwe, False)
            )
            outcomes.append(outcome)
            print(json.dumps(outcome.__dict__), file=sys.stderr, flush=True)
            shutil.rmtree(root)
            if limit is not None and len(outcomes) >= limit:
                break
    return outcomes, unparsable


def summary(label: str, outcomes: list[Outcome]) -> None:
    confirmed = [o for o in outcomes if o.confirmed]
    verified = [o for o in confirmed if o.verified]
    times = [o.seconds for o in confirmed]
    changed = [o.name for o in verified if o.benign_same is False]
    replayed = [o for o in verified if o.benign_same is not None]
    print(f"## {label}")
    proposed = sum(o.proposed for o in confirmed)
    share = 100 * len(verified) / max(1, len(confirmed))
    print(
        f"findings {len(outcomes)}, confirmed {len(confirmed)}, proposed {proposed}, verified {len(verified)}"
    )
    print(f"verified: {share:.0f}% of confirmed")
    if times:
        print(
            f"patch-and-verify seconds per finding: median {statistics.median(times):.2f},"
            f" max {max(times):.2f}"
        )
    print(
        f"benign replay: {len(replayed)} answered normally before the patch; {len(changed)} differ: {changed}"
    )
    by_cwe: dict[int | None, list[Outcome]] = {}
    for outcome in confirmed:
        by_cwe.setdefault(outcome.cwe, []).append(outcome)
    for cwe, group in sorted(by_cwe.items(), key=lambda item: item[0] or 0):
        print(f"  CWE-{cwe}: {sum(o.verified for o in group)}/{len(group)} verified")
    for outcome in confirmed:
        if not outcome.verified:
            print(f"  not verified: {outcome.name} CWE-{outcome.cwe}: {outcome.failed_check}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owasp", type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = {"demo": demo()}
    summary("demo (examples/vulnerable-flask)", results["demo"])
    if args.owasp:
        outcomes, unparsable = owasp(args.owasp, args.limit)
        results["owasp"] = outcomes
        summary(
            f"OWASP BenchmarkPython, static true positives served alone ({unparsable} need Python 3.12)",
            outcomes,
        )
    if args.json:
        args.json.write_text(json.dumps({k: [o.__dict__ for o in v] for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
