"""Verifying the patches of one target together: the runs that patches to different files share.

Patches go into batches greedily, in order. A patch joins a batch when, for every patch in it,
neither can run while the other's finding is replayed or judged:

* their files differ;
* neither changes a file the other finding's trace, sink or entry point reaches by importing
  it, directly or not (`graph.ModuleGraph.reach`);
* neither changes a module that registers code run around every request (before/after-request
  hooks, error handlers, context processors, middleware): such code runs during any finding's
  reproducer, so a patch to it is verified alone.

A batch of several patches is verified on one copy holding all of them: one reproducer run (one
sandbox child and one warm application per framework) for all its findings; one rescan, in which
a finding still reported fails its own patch and a new finding is blamed on the patches whose
files its trace passes through (on all of them when none); one run of the target's tests, in
which a new failure is blamed on the patches whose files the failing test file reaches by
importing (on all of them when none). A failure that is a patch's own — its finding still
confirmed or still reported, a new finding in its files alone — fails it: the other patches of
the batch could not have caused it. Any other failure (a test, a new finding several patches
touch, a reproducer run that did not finish) is settled by verifying the patch alone (`verify`),
and that verdict is its verdict. Batches, and lone patches, run side by side on the cores.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from firstpatch.model import Check, Finding, Fingerprint, Patch
from firstpatch.patch._tests import SuiteResult, has_tests
from firstpatch.patch.checks import (
    LISTED,
    Rescan,
    module_graph,
    regressions_of,
    rescan_verdict,
    split_uncovered,
    suite_before,
    suite_verdict,
    unusable_suite,
)
from firstpatch.patch.graph import ModuleGraph
from firstpatch.patch.tree import tree_state
from firstpatch.patch.trial import Candidate, Rescanned, Trial
from firstpatch.patch.verify import DEFAULT_TEST_TIMEOUT, judged, scoped, verify
from firstpatch.prove.interface import Driver

# Framework names for code that runs around every request (Flask, Django, FastAPI/Starlette,
# aiohttp, Tornado): a patch to a module registering any of it is verified alone.
_EVERY_REQUEST = re.compile(
    r"\b(?:before_request|after_request|teardown_request|before_app_request|after_app_request"
    r"|teardown_app_request|url_value_preprocessor|app_url_value_preprocessor|url_defaults"
    r"|errorhandler|app_errorhandler|register_error_handler|exception_handler|context_processor"
    r"|app_context_processor|template_filter|app_template_filter|template_global|middlewares?"
    r"|MIDDLEWARE|add_middleware)\b"
)


# A batch's verdict on one patch: each check, and whether its failure is the patch's own (the
# finding still confirmed or still reported, a new finding in its files only) rather than one
# the batch cannot pin on it, which verifying the patch alone settles.
_Verdicts = list[tuple[Check, bool]]


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a candidate changes and what its finding's replay runs."""

    files: frozenset[str]
    reach: frozenset[str]
    alone: bool  # it changes code that runs around every request


def verify_all(
    root: Path,
    candidates: Sequence[Candidate],
    drivers: Mapping[str, Driver],
    *,
    rescan: Rescan | None = None,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
    python: str | None = None,
    workers: int | None = None,
) -> list[Patch]:
    """Each candidate's patch with its checks and status, in the order given; `root` is never
    modified. `drivers` maps a framework to its prove driver; a finding without one cannot be
    reproduced, so its patch stays unverified. `workers` trials run at once (default: the cores)."""
    root = root.resolve()
    state = tree_state(root)
    workers = workers or max(2, os.cpu_count() or 2)
    results: dict[int, Patch] = {}
    pending: list[int] = []
    for index, candidate in enumerate(candidates):
        if _driver(candidate.finding, drivers) is None:
            entry = candidate.finding.entry_point
            why = (
                f"no prove driver for the {entry.framework} framework"
                if entry
                else "the finding has no entry point"
            )
            results[index] = judged(candidate.proposed, [Check("reproducer", False, why)])
        else:
            pending.append(index)
    graph = module_graph(root, state)
    batches = plan(graph, [candidates[index] for index in pending])
    batches = [[pending[member] for member in batch] for batch in batches]
    alone: list[int] = []
    for start in range(0, len(batches), workers):
        chunk = batches[start : start + workers]
        outcome = _run(root, state, graph, candidates, chunk, drivers, rescan, test_timeout, python, workers)
        for batch in chunk:
            for index in batch:
                verdicts = outcome[index]
                if len(batch) > 1 and any(not check.passed and not pinned for check, pinned in verdicts):
                    alone.append(index)
                else:
                    results[index] = judged(candidates[index].proposed, [check for check, _ in verdicts])
    for index in alone:
        candidate = candidates[index]
        driver = _driver(candidate.finding, drivers)
        assert driver is not None  # noqa: S101 - only candidates with a driver were batched
        results[index] = verify(
            root,
            candidate.finding,
            candidate.proposed,
            driver,
            rescan=rescan,
            test_timeout=test_timeout,
            python=python,
        )
    return [results[index] for index in range(len(candidates))]


def plan(graph: ModuleGraph, candidates: Sequence[Candidate]) -> list[list[int]]:
    """Batches of candidate indexes: each patch in a batch leaves the others' findings alone."""
    scopes = [_scope_of(graph, candidate) for candidate in candidates]
    batches: list[list[int]] = []
    for index, scope in enumerate(scopes):
        home = None
        if not scope.alone:
            home = next(
                (batch for batch in batches if all(_apart(scope, scopes[other]) for other in batch)), None
            )
        if home is None:
            batches.append([index])
        else:
            home.append(index)
    return batches


def _scope_of(graph: ModuleGraph, candidate: Candidate) -> _Scope:
    finding = candidate.finding
    ran = {finding.location.path, *(step.location.path for step in finding.trace)}
    if finding.entry_point is not None:
        ran.add(finding.entry_point.location.path)
    hooks = any(_EVERY_REQUEST.search(change.before) for change in candidate.proposed.changes)
    return _Scope(frozenset(candidate.proposed.files), graph.reach(ran), hooks)


def _apart(one: _Scope, other: _Scope) -> bool:
    if other.alone or one.files & other.files:
        return False
    return not (one.files & other.reach or other.files & one.reach)


def _driver(finding: Finding, drivers: Mapping[str, Driver]) -> Driver | None:
    entry = finding.entry_point
    return drivers.get(entry.framework) if entry is not None else None


def _run(
    root: Path,
    state: str,
    graph: ModuleGraph,
    candidates: Sequence[Candidate],
    batches: list[list[int]],
    drivers: Mapping[str, Driver],
    rescan: Rescan | None,
    test_timeout: float,
    python: str | None,
    workers: int,
) -> dict[int, _Verdicts]:
    """The checks of every candidate of `batches`, each batch on one trial, trials side by side."""
    trials: list[Trial] = []
    try:
        for batch in batches:
            trials.append(Trial.prepare(root, state, [candidates[index] for index in batch]))
        rescanned = [trial.rescan(rescan) if rescan is not None else None for trial in trials]
        outcome: dict[int, _Verdicts] = {}
        with ThreadPoolExecutor(max_workers=2 * workers, thread_name_prefix="firstpatch-verify") as pool:
            before: Future[SuiteResult] | None = None
            if has_tests(root):
                before = pool.submit(suite_before, root, state, test_timeout, python)
            for trial in trials:
                shared = len(trial.candidates) - 1
                note = f" (one sandbox run with {_others(shared)})" if shared else ""
                trial.start(pool, drivers, test_timeout, python, note)
            for batch, trial, scanned in zip(batches, trials, rescanned, strict=True):
                suite = (before.result(), trial.tested.result()) if before and trial.tested else None
                outcome.update(_judge(graph, batch, trial, scanned, suite))
        return outcome
    finally:
        for trial in trials:
            trial.close()


def _judge(
    graph: ModuleGraph,
    batch: list[int],
    trial: Trial,
    scanned: Rescanned | None,
    suite: tuple[SuiteResult, SuiteResult] | None,
) -> dict[int, _Verdicts]:
    reproduced = trial.reproducer_checks()
    rescans = _rescans(trial, scanned) if scanned is not None else {}
    tests = _tests(graph, trial, *suite) if suite is not None else {}
    outcome: dict[int, _Verdicts] = {}
    for index, candidate in zip(batch, trial.candidates, strict=True):
        fingerprint = candidate.finding.fingerprint
        reproducer = reproduced[fingerprint]
        verdicts = [(reproducer, reproducer.passed or reproducer.detail.startswith("still confirmed"))]
        if fingerprint in rescans:
            verdicts.append(rescans[fingerprint])
        if fingerprint in tests:
            verdicts.append(tests[fingerprint])
        outcome[index] = verdicts
    return outcome


def _rescans(trial: Trial, scanned: Rescanned) -> dict[Fingerprint, tuple[Check, bool]]:
    """Each candidate's rescan check; a new finding is blamed on the patches its trace touches
    (on all of them when it touches none)."""
    new = [finding for finding in scanned.after if finding.fingerprint not in scanned.known]
    blamed: dict[Fingerprint, list[Finding]] = {c.finding.fingerprint: [] for c in trial.candidates}
    shared_blame: set[Fingerprint] = set()
    for finding in new:
        touched = {finding.location.path, *(step.location.path for step in finding.trace)}
        suspects = [c for c in trial.candidates if touched & set(c.proposed.files)] or trial.candidates
        for suspect in suspects:
            blamed[suspect.finding.fingerprint].append(finding)
            if len(suspects) > 1:
                shared_blame.add(suspect.finding.fingerprint)
    shared = len(trial.candidates) - 1
    note = scoped(scanned.scope) + (f" (one scan with {_others(shared)})" if shared else "")
    reported = {finding.fingerprint for finding in scanned.after}
    checks: dict[Fingerprint, tuple[Check, bool]] = {}
    for candidate in trial.candidates:
        fingerprint = candidate.finding.fingerprint
        new_here, uncovered = split_uncovered(
            candidate.finding, candidate.proposed.changes, blamed[fingerprint]
        )
        check = rescan_verdict(fingerprint in reported, new_here, uncovered, note)
        checks[fingerprint] = (check, check.passed or fingerprint not in shared_blame)
    return checks


def _tests(
    graph: ModuleGraph, trial: Trial, before: SuiteResult, after: SuiteResult
) -> dict[Fingerprint, tuple[Check, bool]]:
    """Each candidate's tests check from one run of the suite on the batch's copy; a new
    failure is blamed on the patches whose files the failing test file reaches, and left for
    verifying them alone to settle (which also names the failing test for that patch alone)."""
    verdict = suite_verdict(before, after)
    if verdict is None:
        return {}
    shared = len(trial.candidates) - 1
    if verdict.passed or unusable_suite(before) is not None or not after.ran or shared == 0:
        note = f" (one run with {_others(shared)})" if verdict.passed and shared else ""
        checked = Check(verdict.name, verdict.passed, verdict.detail + note)
        # A suite that could not run before fails every patch alike; one that did not finish
        # after is settled alone.
        return {c.finding.fingerprint: (checked, after.ran) for c in trial.candidates}
    regressions = regressions_of(before, after)
    blamed: dict[Fingerprint, list[str]] = {c.finding.fingerprint: [] for c in trial.candidates}
    for test in regressions:
        reached = graph.reach([test.split("::", 1)[0]])
        suspects = [c for c in trial.candidates if reached & set(c.proposed.files)] or trial.candidates
        for suspect in suspects:
            blamed[suspect.finding.fingerprint].append(test)
    checks: dict[Fingerprint, tuple[Check, bool]] = {}
    for candidate in trial.candidates:
        own = blamed[candidate.finding.fingerprint]
        if own:
            named = ", ".join(own[:LISTED]) + (" and more" if len(own) > LISTED else "")
            checks[candidate.finding.fingerprint] = (
                Check("tests", False, f"failing with the batch: {named}"),
                False,
            )
        else:
            others = ", ".join(regressions[:LISTED])
            detail = (
                f"{after.detail} (one run with {_others(shared)}); the new failures"
                f" ({others}) are in tests that import only other patches' files"
            )
            checks[candidate.finding.fingerprint] = (Check("tests", True, detail), True)
    return checks


def _others(count: int) -> str:
    return f"{count} other patch{'' if count == 1 else 'es'} to other files"
