"""One risk score per finding, 0–10, and the reasons for it in words every report repeats.

    severity    the CVSS v3.x/v4 base score computed from the advisory's vector; without one,
                the severity's typical score (critical 9.0, high 7.5, medium 5.0, low 2.5)
    exploited   in CISA KEV: +3.0, or +4.0 with known ransomware use; otherwise the EPSS
                probability p of exploitation in the next 30 days: +2.5·√p (p = 0.01 → +0.25,
                0.1 → +0.8, 0.5 → +1.8), below KEV even at p = 1
    reachable   (PyPI) the project calls the function or imports the module the advisory
                names: +0.5; it never does: −2.0; unknown: nothing
    proof       (code findings) confirmed by a reproducer: +1.0; tried and not fired: −1.5

The sum is clipped to 0–10 and rounded to one decimal. Reports sort by it, riskiest first.
"""

from __future__ import annotations

import math
from dataclasses import replace

from firstpatch.model import Finding, ProofStatus, Severity

BASE = {
    Severity.CRITICAL: 9.0,
    Severity.HIGH: 7.5,
    Severity.MEDIUM: 5.0,
    Severity.LOW: 2.5,
    Severity.NONE: 0.0,
}
PROOF_ADJUSTMENT = {
    ProofStatus.CONFIRMED: 1.0,
    ProofStatus.NOT_CONFIRMED: -1.5,
    ProofStatus.UNTESTABLE: 0.0,
}
KEV = 3.0
KEV_RANSOMWARE = 4.0
EPSS_WEIGHT = 2.5
REACHABLE = 0.5
NOT_REACHABLE = -2.0


def risk(finding: Finding) -> tuple[float, tuple[str, ...]]:
    """The score and, in words, each term that made it."""
    if finding.cvss_score is not None:
        score = finding.cvss_score
        version = finding.cvss_vector.split("/", 1)[0] if finding.cvss_vector else "CVSS"
        reasons = [f"{version} base score {score:.1f}"]
    else:
        score = BASE[finding.severity]
        reasons = [f"{finding.severity.value} severity: {score:+.1f}"]
    exploitation = finding.exploitation
    if exploitation is not None and exploitation.in_kev:
        weight = KEV_RANSOMWARE if exploitation.kev_ransomware else KEV
        score += weight
        due = f", due {exploitation.kev_due_date}" if exploitation.kev_due_date else ""
        used = " and used in ransomware" if exploitation.kev_ransomware else ""
        reasons.append(f"exploited in the wild (CISA KEV{due}){used}: {weight:+.1f}")
    elif exploitation is not None and exploitation.epss is not None:
        weight = EPSS_WEIGHT * math.sqrt(max(0.0, exploitation.epss))
        score += weight
        percentile = (
            f", percentile {exploitation.epss_percentile:.2f}"
            if exploitation.epss_percentile is not None
            else ""
        )
        reasons.append(f"EPSS {exploitation.epss:.4f}{percentile}: {weight:+.1f}")
    if finding.reachable is True:
        score += REACHABLE
        reasons.append(f"the project's code uses what the advisory names: {REACHABLE:+.1f}")
    elif finding.reachable is False:
        score += NOT_REACHABLE
        reasons.append(f"the project's code does not use what the advisory names: {NOT_REACHABLE:+.1f}")
    if finding.evidence is not None:
        adjustment = PROOF_ADJUSTMENT[finding.evidence.status]
        score += adjustment
        reasons.append(f"proof {finding.evidence.status.value}: {adjustment:+.1f}")
    return round(min(10.0, max(0.0, score)), 1), tuple(reasons)


def ranked(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Findings with their risk filled in, riskiest first (ties by place, for stable output)."""
    scored = []
    for finding in findings:
        score, reasons = risk(finding)
        scored.append(replace(finding, risk=score, risk_reasons=reasons))
    return tuple(sorted(scored, key=lambda f: (-f.risk, f.location.path, f.location.line, f.rule_id)))
