"""Verification of one patch: verified only when every check that ran on a patched copy passed.

The checks are described in `checks`; the patched copy and the runs on it in `trial`: the rescan
first, then the reproducer and the target's tests at the same time. `batch.verify_all` verifies
many patches of one target, sharing these runs between patches to different files.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from firstpatch.model import Check, Finding, Patch, PatchStatus
from firstpatch.patch.checks import Rescan, rescan_check, suite_before, suite_verdict
from firstpatch.patch.interface import ProposedPatch
from firstpatch.patch.tree import tree_state
from firstpatch.patch.trial import Candidate, Trial
from firstpatch.prove.interface import Driver

DEFAULT_TEST_TIMEOUT = 300.0
__all__ = ["DEFAULT_TEST_TIMEOUT", "Rescan", "judged", "verify"]


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
    state = tree_state(root)
    trial = Trial.prepare(root, state, [Candidate(finding, proposed)])
    try:
        rescanned = trial.rescan(rescan) if rescan is not None else None
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="firstpatch-verify") as pool:
            trial.start(pool, {driver.framework: driver}, test_timeout, python)
            before = pool.submit(suite_before, root, state, test_timeout, python) if trial.tested else None
            checks = [trial.reproducer_checks()[finding.fingerprint]]
            if rescanned is not None:
                note = scoped(rescanned.scope)
                checks.append(rescan_check(finding, rescanned.after, rescanned.known, proposed.changes, note))
            if trial.tested is not None and before is not None:
                tested = suite_verdict(before.result(), trial.tested.result())
                if tested is not None:
                    checks.append(tested)
    finally:
        trial.close()
    return judged(proposed, checks)


def judged(proposed: ProposedPatch, checks: list[Check]) -> Patch:
    passed = bool(checks) and all(check.passed for check in checks)
    return Patch(
        diff=proposed.diff,
        files=proposed.files,
        status=PatchStatus.VERIFIED if passed else PatchStatus.UNVERIFIED,
        description=proposed.description,
        checks=tuple(checks),
    )


def scoped(scope: frozenset[str] | None) -> str:
    return f" (rescan of the {len(scope)} modules the change can affect)" if scope is not None else ""
