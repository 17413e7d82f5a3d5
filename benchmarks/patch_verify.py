"""Patch-and-verify on the demo and on OWASP BenchmarkPython: how many confirmed findings get a
verified patch, whether verified patches change how the application answers a benign request,
and the time to propose and verify a patch.

Usage: python benchmarks/patch_verify.py [--owasp CHECKOUT [--target-python PATH]] [--singles N]
       [--json FILE]

Each target is scanned and proved as `firstpatch scan` does. Every confirmed finding (on OWASP:
every confirmed true positive, a finding whose file and CWE the suite's expected results mark as
a real vulnerability) gets its patch proposed, and all patches of the target are verified with
`firstpatch.patch.verify_all` (reproducer in the prove sandbox, rescan, the target's own tests in
the sandbox; runs shared between patches that cannot reach each other's findings, lone patches
two at a time). Time per finding: its propose time plus an equal share of verify_all's wall time
(baselines included: the unpatched tree's scan and test run). With --singles N, N patches spread
over the list (all of them with -1) are also verified alone with `verify`, one after another (as
`firstpatch scan` verifies), for comparison.

OWASP BenchmarkPython runs as its own application (app.py imports every test case and calls its
`init(app)`), in an environment built from its requirements.txt with the Python its code needs
(3.12+, `prove.target_drivers(..., install_deps=True)`, cached after the first run).

Benign replay: for each verified patch, a request with a plain value ("hello") for the finding's
input is sent to its route on the unpatched tree (twice) and on a tree holding the patch, in the
sandbox; status and body must match. Compared only where the unpatched application answers it
normally (no exception, status < 500) and the same way twice (a page with a fresh random token
cannot be compared byte for byte). Patches to different files are replayed together.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Finding, Patch, PatchStatus, ProofStatus
from firstpatch.patch import Candidate, propose, verify, verify_all
from firstpatch.prove import Driver, FlaskDriver, Payload, prove, target_drivers
from firstpatch.prove._hints import read_hints
from firstpatch.prove._http import build_request
from firstpatch.prove._webdriver import WebDriver
from firstpatch.prove.sandbox import run as sandbox_run
from firstpatch.target import Target

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "vulnerable-flask"
ANALYZER = TaintAnalyzer()
BENIGN = Payload(canary="benign", value="hello", label="benign")
TEST = re.compile(r"(BenchmarkTest\d{5})\.py$")


@dataclass
class Outcome:
    name: str
    cwe: int | None
    proposed: bool = False
    verified: bool = False
    failed_check: str = ""
    propose_seconds: float = 0.0
    seconds: float = 0.0  # propose + share of verify_all
    alone_seconds: float | None = None  # propose + verify alone (--singles)
    alone_verified: bool | None = None
    benign_same: bool | None = None


def rescan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


def patch_all(
    root: Path, findings: list[Finding], drivers: dict[str, Driver], singles: int, python: str | None
) -> list[Outcome]:
    outcomes = [Outcome(f"{f.location.path}:{f.location.line}", f.cwe) for f in findings]
    candidates: list[tuple[int, Candidate]] = []
    for index, finding in enumerate(findings):
        started = time.perf_counter()
        proposed = propose(root, finding)
        outcomes[index].propose_seconds = outcomes[index].seconds = time.perf_counter() - started
        if proposed is None:
            outcomes[index].failed_check = "no codemod fits"
        else:
            outcomes[index].proposed = True
            candidates.append((index, Candidate(finding, proposed)))
    started = time.perf_counter()
    patches = verify_all(root, [c for _, c in candidates], drivers, rescan=rescan, python=python)
    share = (time.perf_counter() - started) / max(1, len(candidates))
    print(f"verify_all: {share * len(candidates):.1f} s for {len(candidates)} patches", flush=True)
    every = max(1, len(candidates) // singles) if singles > 0 else 1
    for position, ((index, candidate), patch) in enumerate(zip(candidates, patches, strict=True)):
        outcome = outcomes[index]
        outcome.seconds += share
        outcome.verified = patch.status is PatchStatus.VERIFIED
        outcome.failed_check = failed(patch)
        if singles < 0 or (singles > 0 and position % every == 0):
            entry = candidate.finding.entry_point
            driver = drivers[entry.framework] if entry is not None else FlaskDriver()
            started = time.perf_counter()
            alone = verify(root, candidate.finding, candidate.proposed, driver, rescan=rescan, python=python)
            outcome.alone_seconds = outcome.propose_seconds + time.perf_counter() - started
            outcome.alone_verified = alone.status is PatchStatus.VERIFIED
    verified = [
        (index, c)
        for (index, c), p in zip(candidates, patches, strict=True)
        if p.status is PatchStatus.VERIFIED
    ]
    for index, same in benign_replay(root, verified, drivers).items():
        outcomes[index].benign_same = same
    return outcomes


def failed(patch: Patch) -> str:
    return ", ".join(f"{c.name}: {c.detail[:160]}" for c in patch.checks if not c.passed)


def benign_replay(
    root: Path, verified: list[tuple[int, Candidate]], drivers: dict[str, Driver]
) -> dict[int, bool | None]:
    """Per verified patch: True when the patched route answers a benign request as before,
    False when not, None when the unpatched route's answer is no normal, stable one. The
    requests are built once, from the unpatched tree, and sent unchanged to every tree."""
    requests = benign_requests(root, verified, drivers)
    before = benign_answers(root, requests)
    again = benign_answers(root, requests)
    result: dict[int, bool | None] = {}
    groups: list[list[tuple[int, Candidate]]] = []
    for item in verified:  # patches to different files replay together
        files = set(item[1].proposed.files)
        home = next((g for g in groups if not files & {f for _, c in g for f in c.proposed.files}), None)
        if home is None:
            groups.append([item])
        else:
            home.append(item)
    for group in groups:
        indexes = {index for index, _ in group}
        with tempfile.TemporaryDirectory(prefix="benign-") as scratch:
            patched = shutil.copytree(root, Path(scratch) / "tree", symlinks=True)
            for _, candidate in group:
                for change in candidate.proposed.changes:
                    (patched / change.path).write_bytes(change.after.encode("utf-8"))
            after = benign_answers(
                patched, {k: [r for r in v if r[0] in indexes] for k, v in requests.items()}
            )
        for index in indexes:
            answer = before.get(index)
            normal = (
                answer is not None and answer[2] is None and isinstance(answer[0], int) and answer[0] < 500
            )
            stable = normal and answer == again.get(index)
            result[index] = (answer == after.get(index)) if stable else None
    return result


Requests = dict[tuple[object, ...], list[tuple[int, dict[str, object]]]]


def benign_requests(root: Path, items: list[tuple[int, Candidate]], drivers: dict[str, Driver]) -> Requests:
    """The benign request of each finding's route, grouped by the application serving it
    (runner, app locator as JSON, interpreter, limits)."""
    requests: Requests = {}
    for index, candidate in items:
        finding = candidate.finding
        entry = finding.entry_point
        driver = drivers.get(entry.framework) if entry else None
        if entry is None or not isinstance(driver, WebDriver):
            continue
        locator = driver.locate(root, entry)
        if isinstance(locator, str):
            continue
        request = build_request(entry, BENIGN, read_hints(root, finding)).to_json(BENIGN.canary)
        key = (
            driver.runner,
            json.dumps(driver.job_app(locator), sort_keys=True),
            driver.python,
            driver.limits,
        )
        requests.setdefault(key, []).append((index, request))
    return requests


def benign_answers(root: Path, requests: Requests) -> dict[int, tuple[object, ...]]:
    """(status, body, error) of each request, served in the sandbox, one warm application each."""
    answers: dict[int, tuple[object, ...]] = {}
    for (runner, app, python, limits), batch in requests.items():
        if not batch:
            continue
        job = {
            "runner": runner,
            "app": json.loads(str(app)),
            "items": [{"id": f"b{index}", "requests": [request]} for index, request in batch],
        }
        result = sandbox_run(root, job, limits, python=python)
        for message in result.messages:
            if message.get("type") == "request" and str(message.get("item", "")).startswith("b"):
                index = int(str(message["item"])[1:])
                answers[index] = (message.get("status"), message.get("body"), message.get("error"))
    return answers


def demo(singles: int) -> list[Outcome]:
    findings = list(rescan(DEMO))
    evidence = prove(DEMO, findings)
    confirmed = [f for f in findings if evidence[f.fingerprint].status is ProofStatus.CONFIRMED]
    print(f"demo: {len(findings)} findings, {len(confirmed)} confirmed", flush=True)
    return patch_all(DEMO, confirmed, {"flask": FlaskDriver()}, singles, None)


def owasp(checkout: Path, target_python: str | None, singles: int) -> list[Outcome]:
    truth: dict[str, tuple[bool, int]] = {}
    with (checkout / "expectedresults-0.1.csv").open(encoding="utf-8") as handle:
        for row in csv.reader(line for line in handle if not line.startswith("#")):
            truth[row[0]] = (row[2].strip() == "true", int(row[3]))
    started = time.perf_counter()
    drivers = target_drivers(checkout, install_deps=True, target_python=target_python)
    print(f"owasp: target environment in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    findings = list(rescan(checkout))
    print(f"owasp: {len(findings)} findings in {time.perf_counter() - started:.1f} s", flush=True)

    def real(finding: Finding) -> bool:
        match = TEST.search(finding.location.path)
        return match is not None and truth.get(match.group(1)) == (True, finding.cwe)

    started = time.perf_counter()
    evidence = prove(checkout, findings, drivers)
    confirmed = [f for f in findings if evidence[f.fingerprint].status is ProofStatus.CONFIRMED]
    positives = [f for f in confirmed if real(f)]
    print(
        f"owasp: proof in {time.perf_counter() - started:.1f} s: {len(confirmed)} confirmed,"
        f" {len(positives)} true positives; {len(confirmed) - len(positives)} on tests the suite calls safe",
        flush=True,
    )
    python = next((d.python for d in drivers.values() if isinstance(d, WebDriver) and d.python), None)
    return patch_all(checkout, positives, drivers, singles, python)


def summary(label: str, outcomes: list[Outcome]) -> None:
    verified = [o for o in outcomes if o.verified]
    print(f"## {label}")
    share = 100 * len(verified) / max(1, len(outcomes))
    print(
        f"confirmed {len(outcomes)}, proposed {sum(o.proposed for o in outcomes)}, verified {len(verified)}"
        f" ({share:.1f}%)"
    )
    times = [o.seconds for o in outcomes]
    if times:
        print(
            "patch-and-verify s per finding (propose + share of verify_all):"
            f" median {statistics.median(times):.2f}, max {max(times):.2f}, total {sum(times):.1f}"
        )
    alone = [o.alone_seconds for o in outcomes if o.alone_seconds is not None]
    if alone:
        agree = sum(o.alone_verified == o.verified for o in outcomes if o.alone_verified is not None)
        print(
            f"each alone with verify(): median {statistics.median(alone):.2f} s, max {max(alone):.2f} s;"
            f" same verdict as verify_all for {agree}/{len(alone)}"
        )
    replayed = [o for o in verified if o.benign_same is not None]
    changed = [o.name for o in replayed if o.benign_same is False]
    print(
        f"benign replay: {len(replayed)} of {len(verified)} verified answered normally and stably;"
        f" {len(changed)} differ: {changed}"
    )
    by_cwe: dict[int | None, list[Outcome]] = {}
    for outcome in outcomes:
        by_cwe.setdefault(outcome.cwe, []).append(outcome)
    for cwe, group in sorted(by_cwe.items(), key=lambda item: item[0] or 0):
        print(f"  CWE-{cwe}: {sum(o.verified for o in group)}/{len(group)} verified")
    reasons = Counter(
        re.sub(r"[0-9a-f]{12}|\d+", "#", o.failed_check)[:150] for o in outcomes if not o.verified
    )
    for reason, count in reasons.most_common():
        print(f"  not verified x{count}: {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--owasp", type=Path, help="an extracted OWASP BenchmarkPython checkout")
    parser.add_argument("--target-python", help="the interpreter to build OWASP's environment with")
    parser.add_argument("--singles", type=int, default=0, help="also verify N patches alone (-1: all)")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, list[Outcome]] = {}
    if not args.no_demo:
        results["demo"] = demo(args.singles)
        summary("demo (examples/vulnerable-flask)", results["demo"])
    if args.owasp:
        results["owasp"] = owasp(args.owasp.resolve(), args.target_python, args.singles)
        summary("OWASP BenchmarkPython, confirmed true positives, whole application", results["owasp"])
    if args.json:
        args.json.write_text(json.dumps({k: [asdict(o) for o in v] for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
