"""One patched copy of the target, holding one patch or a batch of them, and its checks' runs.

A trial is prepared (the tree copied, the patches written into the copy), rescanned in the
calling thread (an analyser may fork worker processes, which must not happen while other
threads run), and then started: the reproducer runs (one sandbox child per framework, all the
trial's findings in one warm application) and the target's tests (a pytest process in the
sandbox, on a copy of its own, since a suite writes into the tree it runs in) are submitted to a
thread pool, where trials run side by side.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from firstpatch.model import Check, Finding, Fingerprint
from firstpatch.patch._tests import SuiteResult, has_tests, run_suite
from firstpatch.patch.checks import Rescan, known_findings, reproduce, rescan_scope, scan
from firstpatch.patch.interface import ProposedPatch
from firstpatch.patch.tree import copy_tree, write_changes
from firstpatch.prove.interface import Driver


@dataclass(frozen=True, slots=True)
class Candidate:
    """A finding and the patch proposed for it."""

    finding: Finding
    proposed: ProposedPatch


@dataclass
class Rescanned:
    after: Sequence[Finding]  # what the rescan of the patched copy reports
    known: frozenset[str]  # fingerprints the unpatched tree (same scope) reports
    scope: frozenset[str] | None  # the modules analysed; None for the whole tree


@dataclass
class Trial:
    root: Path  # resolved
    state: str  # `tree.tree_state(root)`
    candidates: tuple[Candidate, ...]
    tree: Path  # the patched copy
    scratch: tempfile.TemporaryDirectory[str]
    rescanned: Rescanned | None = None
    reproduced: list[Future[dict[Fingerprint, Check]]] = field(default_factory=list)
    tested: Future[SuiteResult] | None = None

    @classmethod
    def prepare(cls, root: Path, state: str, candidates: Sequence[Candidate]) -> Trial:
        """The copy with every candidate's changes written; PatchError when the tree no longer
        holds the text a patch was made from."""
        scratch = tempfile.TemporaryDirectory(prefix="firstpatch-verify-")
        try:
            tree = copy_tree(root, Path(scratch.name) / "patched")
            for candidate in candidates:
                write_changes(tree, candidate.proposed.changes)
        except BaseException:
            scratch.cleanup()
            raise
        return cls(root, state, tuple(candidates), tree, scratch)

    @property
    def files(self) -> frozenset[str]:
        return frozenset(path for c in self.candidates for path in c.proposed.files)

    def rescan(self, rescan: Rescan) -> Rescanned:
        """Scan the patched copy (and, once per tree state and scope, the original)."""
        findings = [c.finding for c in self.candidates]
        scope = rescan_scope(self.root, self.state, self.files, findings)
        known = known_findings(rescan, self.root, self.state, scope)
        self.rescanned = Rescanned(scan(rescan, self.tree, scope), known, scope)
        return self.rescanned

    def start(
        self,
        pool: ThreadPoolExecutor,
        drivers: Mapping[str, Driver],
        test_timeout: float,
        python: str | None,
        note: str = "",
    ) -> None:
        """Submit the reproducer runs (findings without a driver are left out: the caller
        judges them) and, when the target has tests, one run of its suite."""
        if has_tests(self.root):
            tested = copy_tree(self.tree, Path(self.scratch.name) / "tested")
            self.tested = pool.submit(run_suite, tested, test_timeout, python)
        by_framework: dict[str, list[Finding]] = {}
        for candidate in self.candidates:
            entry = candidate.finding.entry_point
            if entry is not None and entry.framework in drivers:
                by_framework.setdefault(entry.framework, []).append(candidate.finding)
        for framework, group in by_framework.items():
            self.reproduced.append(pool.submit(reproduce, drivers[framework], self.tree, group, note))

    def reproducer_checks(self) -> dict[Fingerprint, Check]:
        checks: dict[Fingerprint, Check] = {}
        for future in self.reproduced:
            checks.update(future.result())
        return checks

    def close(self) -> None:
        """Remove the copies, once nothing runs in them any more."""
        for future in self.reproduced:
            future.cancel()
        if self.tested is not None:
            self.tested.cancel()
            wait([self.tested])
        wait(self.reproduced)
        self.scratch.cleanup()
