"""Verification: a patch is verified only when every check that ran on a patched copy passed.

* reproducer — the prove driver runs the finding again on the patched copy; it passes when
  the evidence is `not-confirmed`. Still confirmed fails, and so does untestable: a patch
  whose effect cannot be observed is not verified.
* rescan — when a scanner is given, the finding's fingerprint is gone from the patched copy
  and no fingerprint appears that the original tree did not have.
* tests — when the target has tests, its suite runs before and after; a test that fails
  after the patch but did not before is a regression. A suite in which no test passed before
  the patch cannot show one, so it fails the check rather than pass it vacuously.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

from firstpatch.model import Check, Finding, Patch, PatchStatus, ProofStatus
from firstpatch.patch._tests import SuiteResult, has_tests, run_suite
from firstpatch.patch.interface import ProposedPatch
from firstpatch.patch.tree import copy_tree, tree_state, write_changes
from firstpatch.prove.interface import Driver, ProveError

# A scanner: the code findings in a tree (the integrator passes the analyser).
Rescan = Callable[[Path], Sequence[Finding]]
DEFAULT_TEST_TIMEOUT = 300.0
_LISTED = 5  # how many test ids or findings a check's detail names
T = TypeVar("T")


def verify(
    root: Path,
    finding: Finding,
    proposed: ProposedPatch,
    driver: Driver,
    *,
    rescan: Rescan | None = None,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
    python: str | None = None,
) -> Patch:
    """The proposed patch with its checks and status; `root` is never modified.

    `python` runs the target's tests (an interpreter with the target's dependencies, such as
    the prove stage's environment for it); by default, the one running firstpatch. Raises
    PatchError when the tree no longer holds the text the patch was made from."""
    root = root.resolve()
    checks: list[Check] = []
    state = tree_state(root)
    with tempfile.TemporaryDirectory(prefix="firstpatch-verify-") as scratch:
        patched = copy_tree(root, Path(scratch) / "patched")
        write_changes(patched, proposed.changes)
        checks.append(_reproducer(driver, patched, finding))
        if rescan is not None:
            known = _known_findings(rescan, root, state)
            checks.append(_rescan(rescan, known, patched, finding))
        if has_tests(root):
            tests = _tests(_suite_before(root, state, test_timeout, python), patched, test_timeout, python)
            if tests is not None:
                checks.append(tests)
    passed = bool(checks) and all(check.passed for check in checks)
    return Patch(
        diff=proposed.diff,
        files=proposed.files,
        status=PatchStatus.VERIFIED if passed else PatchStatus.UNVERIFIED,
        description=proposed.description,
        checks=tuple(checks),
    )


def _reproducer(driver: Driver, patched: Path, finding: Finding) -> Check:
    try:
        evidence = driver.prove(patched, [finding]).get(finding.fingerprint)
    except ProveError as exc:
        return Check("reproducer", False, f"the prover failed: {exc}")
    if evidence is None:
        return Check("reproducer", False, f"the {driver.framework} driver gave no evidence for the finding")
    match evidence.status:
        case ProofStatus.NOT_CONFIRMED:
            return Check("reproducer", True, f"no longer confirmed: {evidence.reason}")
        case ProofStatus.CONFIRMED:
            seen = evidence.event.detail if evidence.event is not None else evidence.reason
            return Check("reproducer", False, f"still confirmed after the patch: {seen}")
        case ProofStatus.UNTESTABLE:
            return Check("reproducer", False, f"could not be re-run after the patch: {evidence.reason}")


# What the unpatched tree gives, once per tree state: every finding of a scan is verified
# against the same baseline, and rescanning or re-testing it for each would multiply the work.
_BASELINES: dict[tuple[object, ...], object] = {}
_BASELINES_KEPT = 16


def _baseline(key: tuple[object, ...], compute: Callable[[], T]) -> T:
    if key not in _BASELINES:
        if len(_BASELINES) >= _BASELINES_KEPT:
            _BASELINES.pop(next(iter(_BASELINES)))
        _BASELINES[key] = compute()
    return cast(T, _BASELINES[key])


def _known_findings(rescan: Rescan, root: Path, state: str) -> frozenset[str]:
    return _baseline(("rescan", rescan, root, state), lambda: frozenset(f.fingerprint for f in rescan(root)))


def _suite_before(root: Path, state: str, timeout: float, python: str | None) -> SuiteResult:
    def run() -> SuiteResult:
        with tempfile.TemporaryDirectory(prefix="firstpatch-baseline-") as scratch:
            return run_suite(copy_tree(root, Path(scratch) / "original"), timeout, python)

    return _baseline(("tests", root, state, timeout, python), run)


def _rescan(rescan: Rescan, known: frozenset[str], patched: Path, finding: Finding) -> Check:
    after = rescan(patched)
    if any(other.fingerprint == finding.fingerprint for other in after):
        return Check("rescan", False, "the finding is still reported after the patch")
    new = [other for other in after if other.fingerprint not in known]
    if new:
        named = "; ".join(f"{o.rule_id} at {o.location.path}:{o.location.line}" for o in new[:_LISTED])
        return Check("rescan", False, f"{len(new)} new finding(s) after the patch: {named}")
    return Check("rescan", True, "the finding is gone and no new one appeared")


def _tests(before: SuiteResult, patched: Path, timeout: float, python: str | None) -> Check | None:
    if before.ran and not before.collected:
        return None  # test files, but nothing pytest runs: there is no suite to check
    if not before.ran:
        return Check("tests", False, f"the tests could not run before the patch: {before.detail}")
    if before.passed == 0:
        return Check(
            "tests", False, f"no test passed before the patch, so none can show a regression: {before.detail}"
        )
    after = run_suite(patched, timeout, python)
    if not after.ran:
        return Check("tests", False, f"the tests could not run after the patch: {after.detail}")
    regressions = sorted(after.failed - before.failed)
    if regressions:
        named = ", ".join(regressions[:_LISTED]) + (" and more" if len(regressions) > _LISTED else "")
        return Check("tests", False, f"failing after the patch: {named}")
    sandbox = f" (sandbox: {after.isolation})" if after.isolation else ""
    if before.failed:
        still = f"the {len(before.failed)} failing before the patch still fail"
        return Check("tests", True, f"{after.detail}; {still}{sandbox}")
    return Check("tests", True, after.detail + sandbox)
