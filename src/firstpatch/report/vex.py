"""`--format vex`: a CycloneDX 1.6 VEX document, one vulnerability per advisory.

Each advisory that matched an installed version says whether the project is affected, from
firstpatch's own analysis: `not_affected` with the justification `code_not_reachable` when the
project's code does not use the affected module (`Finding.reachable is False`), otherwise
`exploitable` (CycloneDX's word for affected) with the fixed version as the recommendation. The
document carries the inventory too, so each `affects` reference resolves inside it; the refs are
purls, as in the SBOM, so a consumer holding that SBOM matches them as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote

from firstpatch.model import Finding, FindingKind, Run, Severity
from firstpatch.report.cyclonedx_bom import new_bom, render_checked
from firstpatch.report.interface import Reporter
from firstpatch.report.summary import distinct

if TYPE_CHECKING:
    from cyclonedx.model.vulnerability import (
        Vulnerability,
        VulnerabilityAnalysis,
        VulnerabilityRating,
        VulnerabilitySource,
    )


class VexReporter(Reporter):
    format = "vex"

    def render(self, run: Run) -> str:
        dependency = [f for f in run.findings if f.kind is FindingKind.DEPENDENCY and f.component is not None]
        components = list(run.components) + [f.component for f in dependency if f.component is not None]
        bom = new_bom(run, "vex", components)
        by_advisory: dict[str, list[Finding]] = {}
        for finding in dependency:
            for advisory in finding.advisory_ids or (finding.rule_id,):
                by_advisory.setdefault(advisory, []).append(finding)
        bom.vulnerabilities = [
            _vulnerability(advisory, findings) for advisory, findings in by_advisory.items()
        ]
        return render_checked(bom, "the VEX document")


def _vulnerability(advisory: str, findings: Sequence[Finding]) -> Vulnerability:
    from cyclonedx.model import Property
    from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus
    from cyclonedx.model.vulnerability import (
        BomTarget,
        BomTargetVersionRange,
        Vulnerability,
        VulnerabilityReference,
    )

    lead = max(findings, key=lambda f: (f.severity.rank, f.risk))
    affected = any(f.reachable is not False for f in findings)
    status = ImpactAnalysisAffectedStatus.AFFECTED if affected else ImpactAnalysisAffectedStatus.UNAFFECTED
    targets = []
    for finding in findings:
        component = finding.component
        if component is None:
            continue
        versions = (
            [BomTargetVersionRange(version=component.version, status=status)] if component.version else []
        )
        targets.append(BomTarget(ref=component.purl, versions=versions))
    aliases = distinct([alias for f in findings for alias in f.aliases])
    fixes = distinct([f.fix_version for f in findings if f.fix_version])
    properties = _exploitation_properties(findings)
    return Vulnerability(
        bom_ref=f"vulnerability:{advisory}",
        id=advisory,
        source=_source_of(advisory),
        references=[VulnerabilityReference(id=alias, source=_source_of(alias)) for alias in aliases],
        ratings=_ratings(lead),
        cwes=sorted({f.cwe for f in findings if f.cwe is not None}),
        description=lead.title,
        # The match message says "is affected", which the analysis may overrule.
        detail=(lead.message or None) if affected else None,
        recommendation=_recommendation(findings, fixes) if affected else None,
        analysis=_analysis(findings, affected, bool(fixes)),
        affects=targets,
        properties=[Property(name=name, value=value) for name, value in properties],
    )


def _analysis(findings: Sequence[Finding], affected: bool, fixed: bool) -> VulnerabilityAnalysis:
    from cyclonedx.model.impact_analysis import (
        ImpactAnalysisJustification,
        ImpactAnalysisResponse,
        ImpactAnalysisState,
    )
    from cyclonedx.model.vulnerability import VulnerabilityAnalysis

    if not affected:
        return VulnerabilityAnalysis(
            state=ImpactAnalysisState.NOT_AFFECTED,
            justification=ImpactAnalysisJustification.CODE_NOT_REACHABLE,
            detail="firstpatch's analysis found that the project's code does not use the affected module.",
        )
    if any(f.reachable for f in findings):
        detail = (
            "An installed version is in the affected range and the project's code uses the affected module."
        )
    else:
        detail = (
            "An installed version is in the affected range; whether the project's code uses the affected "
            "module was not determined."
        )
    responses = [ImpactAnalysisResponse.UPDATE] if fixed else [ImpactAnalysisResponse.CAN_NOT_FIX]
    return VulnerabilityAnalysis(state=ImpactAnalysisState.EXPLOITABLE, responses=responses, detail=detail)


def _recommendation(findings: Sequence[Finding], fixes: Sequence[str]) -> str:
    if not fixes:
        return "No fixed version is published; remove the package or mitigate until one is."
    upgrades = distinct(
        [
            f"{f.component.name} to {f.fix_version}"
            for f in findings
            if f.component is not None and f.fix_version
        ]
    )
    return "Upgrade " + ", ".join(upgrades) + " or later."


def _ratings(finding: Finding) -> list[VulnerabilityRating]:
    from cyclonedx.model.vulnerability import (
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
    )

    severity = (
        VulnerabilitySeverity(finding.severity.value) if finding.severity is not Severity.NONE else None
    )
    if finding.cvss_vector:
        return [
            VulnerabilityRating(
                score=Decimal(str(finding.cvss_score)) if finding.cvss_score is not None else None,
                severity=severity,
                method=VulnerabilityScoreSource.get_from_vector(finding.cvss_vector),
                vector=finding.cvss_vector,
            )
        ]
    return [VulnerabilityRating(severity=severity)] if severity is not None else []


def _exploitation_properties(findings: Sequence[Finding]) -> list[tuple[str, str]]:
    signals = [f.exploitation for f in findings if f.exploitation is not None]
    properties: list[tuple[str, str]] = []
    if any(s.in_kev for s in signals):
        properties.append(("firstpatch:kev", "true"))
        due = sorted(s.kev_due_date for s in signals if s.kev_due_date)
        if due:
            properties.append(("firstpatch:kev-due-date", due[0]))
    epss = [s.epss for s in signals if s.epss is not None]
    if epss:
        properties.append(("firstpatch:epss", f"{max(epss):.5f}"))
    return properties


def _source_of(identifier: str) -> VulnerabilitySource:
    from cyclonedx.model import XsUri
    from cyclonedx.model.vulnerability import VulnerabilitySource

    if identifier.startswith("CVE-"):
        return VulnerabilitySource(
            name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{quote(identifier)}")
        )
    if identifier.startswith("GHSA-"):
        return VulnerabilitySource(
            name="GitHub", url=XsUri(f"https://github.com/advisories/{quote(identifier)}")
        )
    return VulnerabilitySource(name="OSV", url=XsUri(f"https://osv.dev/vulnerability/{quote(identifier)}"))
