"""The three checks of verification, and what the unpatched tree gives for them, computed once.

* reproducer — the prove driver runs the finding again on the patched copy; it passes when
  the evidence is `not-confirmed`. Still confirmed fails, and so does untestable: a patch
  whose effect cannot be observed is not verified. One driver call runs every finding given
  to it in one warm application (a batch of patches to different files).
* rescan — the finding's fingerprint is gone from the patched copy and no fingerprint appears
  that the original tree did not have. On a large tree it may analyse only the modules the
  change can affect (`graph.ModuleGraph.affected`), on the patched copy and on the original
  alike, so that both sides of the comparison see the same modules.
* tests — the target's suite runs before and after; a test that fails after the patch but
  did not before is a regression. A suite in which no test passed before the patch cannot
  show one, so it fails the check rather than pass it vacuously.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar, cast

import libcst as cst

from firstpatch.model import Check, Evidence, Finding, Fingerprint, ProofStatus, StepKind
from firstpatch.patch._source import SourceFile
from firstpatch.patch._tests import SuiteResult, run_suite
from firstpatch.patch.graph import ModuleGraph
from firstpatch.patch.interface import FileChange
from firstpatch.patch.tree import copy_tree, inside
from firstpatch.prove.interface import Driver, ProveError

# A scanner: the code findings in a tree (the integrator passes the analyser).
Rescan = Callable[[Path], Sequence[Finding]]
LISTED = 5  # how many test ids or findings a check's detail names
# A scoped rescan pays for itself on trees this large (smaller ones analyse in well under a
# second), and only when it leaves out at least half of the modules.
SCOPED_FROM = 300
T = TypeVar("T")


# -- reproducer ---------------------------------------------------------------------------------


def reproduce(
    driver: Driver, patched: Path, findings: Sequence[Finding], note: str = ""
) -> dict[Fingerprint, Check]:
    """The reproducer check of each finding, all run by one driver call on `patched`."""
    try:
        evidence: Mapping[Fingerprint, Evidence] = driver.prove(patched, findings)
    except ProveError as exc:
        return {f.fingerprint: Check("reproducer", False, f"the prover failed: {exc}") for f in findings}
    return {f.fingerprint: reproducer_check(evidence.get(f.fingerprint), driver, note) for f in findings}


def reproducer_check(evidence: Evidence | None, driver: Driver, note: str = "") -> Check:
    if evidence is None:
        return Check("reproducer", False, f"the {driver.framework} driver gave no evidence for the finding")
    match evidence.status:
        case ProofStatus.NOT_CONFIRMED:
            return Check("reproducer", True, f"no longer confirmed: {evidence.reason}{note}")
        case ProofStatus.CONFIRMED:
            seen = evidence.event.detail if evidence.event is not None else evidence.reason
            return Check("reproducer", False, f"still confirmed after the patch: {seen}")
        case ProofStatus.UNTESTABLE:
            return Check("reproducer", False, f"could not be re-run after the patch: {evidence.reason}")


# -- rescan -------------------------------------------------------------------------------------


def rescan_scope(
    root: Path, state: str, changed: Iterable[str], findings: Iterable[Finding]
) -> frozenset[str] | None:
    """The modules a rescan after changing `changed` analyses, or None for the whole tree
    (a small tree, or a change whose callers reach most of it)."""
    graph = module_graph(root, state)
    if len(graph.paths) < SCOPED_FROM:
        return None
    trace = {step.location.path for finding in findings for step in finding.trace}
    scope = graph.affected(changed, trace | {finding.location.path for finding in findings})
    return scope if len(scope) * 2 <= len(graph.paths) else None


def scan(rescan: Rescan, tree: Path, scope: frozenset[str] | None) -> Sequence[Finding]:
    """The findings in `tree`, or in a copy of only the `scope` modules of it."""
    if scope is None:
        return rescan(tree)
    with tempfile.TemporaryDirectory(prefix="firstpatch-scope-") as scratch:
        base = tree.resolve()
        for relative in sorted(scope):
            source = inside(base, relative)
            if source is None or not source.is_file():
                continue
            destination = Path(scratch, relative)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        return rescan(Path(scratch))


def known_findings(rescan: Rescan, root: Path, state: str, scope: frozenset[str] | None) -> frozenset[str]:
    """The fingerprints the unpatched tree (or the same scope of it) reports."""
    key = ("rescan", rescan, root, state, scope)
    return baseline(key, lambda: frozenset(f.fingerprint for f in scan(rescan, root, scope)))


def rescan_check(
    finding: Finding,
    after: Sequence[Finding],
    known: frozenset[str],
    changes: Sequence[FileChange],
    note: str = "",
) -> Check:
    """The rescan check from the patched copy's findings and the fingerprints known before."""
    still = any(other.fingerprint == finding.fingerprint for other in after)
    new = [other for other in after if other.fingerprint not in known]
    return rescan_verdict(still, *split_uncovered(finding, changes, new), note)


def rescan_verdict(
    still: bool, new: Sequence[Finding], uncovered: Sequence[Finding], note: str = ""
) -> Check:
    if still:
        return Check("rescan", False, "the finding is still reported after the patch")
    if new:
        return Check("rescan", False, f"{len(new)} new finding(s) after the patch: {_named(new)}")
    if uncovered:
        return Check(
            "rescan",
            True,
            f"the finding is gone and no new one appeared{note}; {len(uncovered)} finding(s) the patch"
            f" uncovered, whose flow ran into the patched call and stopped there before: {_named(uncovered)}",
        )
    return Check("rescan", True, f"the finding is gone and no new one appeared{note}")


def _named(findings: Sequence[Finding]) -> str:
    return "; ".join(f"{o.rule_id} at {o.location.path}:{o.location.line}" for o in findings[:LISTED])


def split_uncovered(
    finding: Finding, changes: Sequence[FileChange], new: Sequence[Finding]
) -> tuple[list[Finding], list[Finding]]:
    """(new findings, findings the patch uncovered). A finding is uncovered when its flow passes
    through the statement that held the patched sink and ends at a sink elsewhere: the analyser stops a
    flow at a sink, so a flow that went on from `eval(x)` into the page was there before, cut
    short, and `ast.literal_eval(x)` lets it be seen; the patch did not make it."""
    lines = _sink_statement_lines(finding, changes)
    uncovered = [
        other
        for other in new
        if other.location.path != finding.location.path or other.location.line not in lines
    ]
    uncovered = [
        other
        for other in uncovered
        if any(
            step.location.path == finding.location.path and step.location.line in lines
            for step in other.trace
            if step.kind is not StepKind.SINK
        )
    ]
    return [other for other in new if other not in uncovered], uncovered


def _sink_statement_lines(finding: Finding, changes: Sequence[FileChange]) -> set[int]:
    """The lines of the patched file where the statement holding the sink now stands."""
    change = next((c for c in changes if c.path == finding.location.path), None)
    source = SourceFile.parse(change.path, change.before) if change is not None else None
    call = source.call_at(finding.location) if source is not None else None
    if change is None or source is None or call is None:
        return set()
    statement = next((a for a in source.ancestors(call) if isinstance(a, cst.SimpleStatementLine)), call)
    span = source.positions[statement]
    before_lines = change.before.split("\n")
    after_lines = change.after.split("\n")
    first, last = span.start.line - 1, span.end.line - 1  # 0-based, inclusive
    mapped: set[int] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, before_lines, after_lines, autojunk=False
    ).get_opcodes():
        if i2 <= first or i1 > last or tag == "insert":
            continue
        for line in range(max(i1, first), min(i2, last + 1)):
            if tag == "equal":
                mapped.add(j1 + line - i1 + 1)
            elif j2 > j1:  # a changed line: the most alike of the lines that replaced its block
                alike = max(range(j1, j2), key=lambda j: _likeness(before_lines[line], after_lines[j]))
                mapped.add(alike + 1)
    return mapped


def _likeness(before: str, after: str) -> float:
    return difflib.SequenceMatcher(None, before.strip(), after.strip(), autojunk=False).ratio()


# -- tests --------------------------------------------------------------------------------------


def suite_before(root: Path, state: str, timeout: float, python: str | None) -> SuiteResult:
    def run() -> SuiteResult:
        with tempfile.TemporaryDirectory(prefix="firstpatch-baseline-") as scratch:
            return run_suite(copy_tree(root, Path(scratch) / "original"), timeout, python)

    return baseline(("tests", root, state, timeout, python), run)


def judge_suite(before: SuiteResult, tree: Path, timeout: float, python: str | None) -> Check | None:
    """The tests check of the patched `tree` against the suite's run `before` the patch."""
    return suite_verdict(before, run_suite(tree, timeout, python))


def suite_verdict(before: SuiteResult, after: SuiteResult, note: str = "") -> Check | None:
    """The tests check from the suite's runs before and after the patch; None when the tree has
    test files but nothing pytest runs (no suite to check)."""
    if before.ran and not before.collected:
        return None
    refused = unusable_suite(before)
    if refused is not None:
        return refused
    return suite_check(before, after, note)


def unusable_suite(before: SuiteResult) -> Check | None:
    """Why the suite cannot judge a patch, as a failed check; None when it can."""
    if not before.ran:
        return Check("tests", False, f"the tests could not run before the patch: {before.detail}")
    if before.passed == 0:
        return Check(
            "tests", False, f"no test passed before the patch, so none can show a regression: {before.detail}"
        )
    return None


def suite_check(before: SuiteResult, after: SuiteResult, note: str = "") -> Check:
    if not after.ran:
        return Check("tests", False, f"the tests could not run after the patch: {after.detail}")
    regressions = regressions_of(before, after)
    if regressions:
        named = ", ".join(regressions[:LISTED]) + (" and more" if len(regressions) > LISTED else "")
        return Check("tests", False, f"failing after the patch: {named}")
    sandbox = f" (sandbox: {after.isolation})" if after.isolation else ""
    if before.failed:
        still = f"the {len(before.failed)} failing before the patch still fail"
        return Check("tests", True, f"{after.detail}; {still}{note}{sandbox}")
    return Check("tests", True, after.detail + note + sandbox)


def regressions_of(before: SuiteResult, after: SuiteResult) -> list[str]:
    return sorted(after.failed - before.failed)


# -- what the unpatched tree gives, once per tree state -------------------------------------------

# Every finding of a scan is verified against the same baseline, and rescanning or re-testing
# the unpatched tree for each would multiply the work. Verification of several batches runs in
# threads, so a baseline is computed under a lock, once.
_BASELINES: dict[tuple[object, ...], object] = {}
_BASELINES_KEPT = 32
_LOCK = threading.Lock()


def baseline(key: tuple[object, ...], compute: Callable[[], T]) -> T:
    with _LOCK:
        if key not in _BASELINES:
            if len(_BASELINES) >= _BASELINES_KEPT:
                _BASELINES.pop(next(iter(_BASELINES)))
            _BASELINES[key] = compute()
        return cast(T, _BASELINES[key])


def module_graph(root: Path, state: str) -> ModuleGraph:
    return baseline(("graph", root, state), lambda: ModuleGraph.read(root))
