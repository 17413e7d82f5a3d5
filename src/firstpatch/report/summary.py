"""What every reporter says the same way: the order of findings, where each one is, and the counts.

Reporters render; they do not rank. These helpers only read what the run already holds, so the
terminal table, the pull-request comment and the HTML report agree on every number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from firstpatch.model import Finding, FindingKind, Location, PatchStatus, ProofStatus, Run, Severity


def proof_status(finding: Finding) -> ProofStatus | None:
    return finding.evidence.status if finding.evidence is not None else None


def is_confirmed(finding: Finding) -> bool:
    return proof_status(finding) is ProofStatus.CONFIRMED


def has_verified_patch(finding: Finding) -> bool:
    return finding.patch is not None and finding.patch.status is PatchStatus.VERIFIED


def in_kev(finding: Finding) -> bool:
    return finding.exploitation is not None and finding.exploitation.in_kev


def by_risk(findings: Iterable[Finding]) -> list[Finding]:
    """Highest risk first; severity, then place in the tree, break ties so the order is stable."""
    return sorted(
        findings,
        key=lambda f: (-f.risk, -f.severity.rank, f.location.path, f.location.line, f.rule_id),
    )


def primary_location(finding: Finding) -> Location:
    """Where a finding points: a dependency finding without a line of its own falls back to the
    manifest line that names the package, preferring one in the finding's own file."""
    location = finding.location
    if location.line or finding.component is None:
        return location
    declared = [loc for loc in finding.component.locations if loc.line]
    same_file = [loc for loc in declared if loc.path == location.path]
    return (same_file or declared or [location])[0]


def where(location: Location) -> str:
    """`path:line`, or the bare path for a format without lines."""
    return f"{location.path}:{location.line}" if location.line else location.path


def count(n: int, singular: str, plural: str = "") -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


@dataclass(frozen=True, slots=True)
class RunSummary:
    findings: int
    by_severity: tuple[tuple[Severity, int], ...]  # worst first, only severities that occur
    confirmed: int
    verified_patches: int
    in_kev: int
    code: int
    dependencies: int
    skipped: int

    def severity_phrase(self) -> str:
        """ "2 critical, 1 high" — empty for a run without findings."""
        return ", ".join(f"{n} {severity.value}" for severity, n in self.by_severity)


def summarise(run: Run) -> RunSummary:
    severities = Counter(f.severity for f in run.findings)
    return RunSummary(
        findings=len(run.findings),
        by_severity=tuple((s, severities[s]) for s in Severity if severities[s]),
        confirmed=sum(1 for f in run.findings if is_confirmed(f)),
        verified_patches=sum(1 for f in run.findings if has_verified_patch(f)),
        in_kev=sum(1 for f in run.findings if in_kev(f)),
        code=sum(1 for f in run.findings if f.kind is FindingKind.CODE),
        dependencies=sum(1 for f in run.findings if f.kind is FindingKind.DEPENDENCY),
        skipped=len(run.skipped),
    )


def distinct(values: Sequence[str]) -> list[str]:
    """The values in first-seen order without repeats."""
    return list(dict.fromkeys(values))
