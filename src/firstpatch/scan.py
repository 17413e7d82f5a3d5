"""`firstpatch scan`: the stages composed, in the order data flows through them.

This module holds no stage logic of its own: it calls inventory, advisories, analysis,
prove, patch and rank, and assembles the `Run`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from firstpatch import __version__, inventory
from firstpatch.advisories.assess import AdvisoryData, KnownVulnerabilities, known_vulnerabilities
from firstpatch.advisories.findings import audit
from firstpatch.advisories.interface import AdvisoryError
from firstpatch.advisories.snapshot import SnapshotSource
from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.errors import TargetError
from firstpatch.model import Component, Finding, ProofStatus, Run, RunId, Skipped
from firstpatch.rank import ranked
from firstpatch.store.interface import StoreError
from firstpatch.target import Target

if TYPE_CHECKING:
    from firstpatch.analysis.program import Program
    from firstpatch.prove import Driver


class Progress(Protocol):
    def stage(self, name: str, total: int = 0) -> None:
        """A new stage starts; `total` items will follow when it is known."""

    def advance(self) -> None:
        """One item of the current stage is done."""


class SilentProgress:
    def stage(self, name: str, total: int = 0) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class ScanOptions:
    prove: bool = True
    patch: bool = True
    install_deps: bool = False  # run the target in a cached environment with its own requirements
    target_python: str | None = None  # the interpreter the target runs under in the sandbox
    db: str | None = None  # the store whose advisory data to use (else the shipped snapshot)
    python: Path | None = None  # --python: an installed environment to inventory too
    rootfs: Path | None = None  # --rootfs: a root filesystem whose packages to inventory too
    jobs: int | None = None  # analysis processes (default: FIRSTPATCH_JOBS, else the cores)
    advisories: AdvisoryData | None = None  # advisory data the caller keeps open across scans


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    run: Run
    input_errors: tuple[Skipped, ...]  # manifest lines that could not be read: the inventory is incomplete
    warnings: tuple[str, ...] = ()  # e.g. advisory data older than a week


def scan(path: str | Path, options: ScanOptions, progress: Progress | None = None) -> ScanOutcome:
    progress = progress or SilentProgress()
    started = datetime.now(UTC)
    target = Target.open(path)
    stages = ["inventory", "advisories", "analysis"]

    progress.stage("inventory")
    components, problems = inventory.collect(target)
    if options.python is not None or options.rootfs is not None:
        installed, installed_problems = inventory.installed_components(
            python=options.python, rootfs=options.rootfs, root=target.root
        )
        components = inventory.merge((*components, *installed))
        problems = (*problems, *installed_problems)
    progress.stage("analysis")
    analyzer = TaintAnalyzer(jobs=options.jobs)
    analysis = analyzer.analyze(target)
    progress.stage("known vulnerabilities")  # after the analysis: reachability reads its program
    known = _known_vulnerabilities(components, target.root, options, analysis.program)
    if not components and not problems and analysis.files == 0 and not analysis.skipped:
        raise TargetError(f"{path}: holds no Python project (no .py files, requirements or pyproject.toml)")

    code: Sequence[Finding] = analysis.findings
    if options.prove and code:
        stages.append("prove")
        drivers = _drivers(target.root, options)
        code = _prove(target.root, code, drivers, progress)
        if options.patch:
            stages.append("patch")
            code = _patch(target.root, code, analyzer, drivers, progress)

    run = Run(
        id=RunId(uuid.uuid4().hex),
        target=str(target.root),
        started=started,
        finished=datetime.now(UTC),
        tool_version=__version__,
        findings=ranked((*known.findings, *code)),
        components=components,
        skipped=(*problems, *known.skipped, *analysis.skipped),
        stages=(*stages, "rank"),
    )
    return ScanOutcome(run, problems, known.warnings)


def _known_vulnerabilities(
    components: tuple[Component, ...], root: Path, options: ScanOptions, program: Program | None
) -> KnownVulnerabilities:
    """Advisories from the store when it can be read; a default store that cannot (written by a
    newer firstpatch, say) is a warning, and the shipped snapshot answers instead."""
    try:
        return known_vulnerabilities(components, root, options.db, program=program, data=options.advisories)
    except (AdvisoryError, StoreError) as exc:
        if options.db is not None:
            raise  # the database the user named must work
        result = audit(components, SnapshotSource())
        warning = f"{exc}; matched against the advisory snapshot shipped with firstpatch instead"
        return KnownVulnerabilities(result.findings, result.skipped, (warning,), "advisory snapshot")


def _drivers(root: Path, options: ScanOptions) -> dict[str, Driver]:
    """The prove drivers, running the target in its own environment or interpreter when asked."""
    from firstpatch import prove  # loaded only when a scan proves: it is not small

    if not options.install_deps and options.target_python is None:
        return prove.DRIVERS
    return prove.target_drivers(root, options.install_deps, options.target_python)


def _prove(
    root: Path, findings: Sequence[Finding], drivers: dict[str, Driver], progress: Progress
) -> list[Finding]:
    from firstpatch import prove

    progress.stage("prove", len(findings))
    evidence = prove.prove(root, findings, drivers)
    proved = []
    for finding in findings:
        proved.append(replace(finding, evidence=evidence.get(finding.fingerprint)))
        progress.advance()
    return proved


def _patch(
    root: Path,
    findings: Sequence[Finding],
    analyzer: TaintAnalyzer,
    drivers: dict[str, Driver],
    progress: Progress,
) -> list[Finding]:
    """A verified patch for each confirmed finding (only proof says a fix is needed)."""
    from firstpatch import patch  # libcst costs most of a second to import

    confirmed = [f for f in findings if f.evidence and f.evidence.status is ProofStatus.CONFIRMED]
    progress.stage("patch", len(confirmed))

    def rescan(copy: Path) -> Sequence[Finding]:
        return analyzer.analyze(Target.open(copy)).findings

    # Every patch is verified at once: independent ones share a copy of the tree, one test run
    # and one re-scan (`patch.verify_all`).
    candidates = [
        patch.Candidate(finding, proposed)
        for finding in confirmed
        if (proposed := patch.propose(root, finding)) is not None
    ]
    verified = patch.verify_all(root, candidates, drivers, rescan=rescan) if candidates else []
    by_finding = {c.finding.fingerprint: result for c, result in zip(candidates, verified, strict=True)}
    for _ in confirmed:
        progress.advance()
    return [
        replace(f, patch=by_finding[f.fingerprint]) if f.fingerprint in by_finding else f for f in findings
    ]
