"""One risk score per finding, 0–10, from severity and the proof of exploitability.

The score starts from the severity's typical CVSS base score; a finding confirmed by a
reproducer is certain, so it rises; one the prover tried and could not fire drops. Later
signals (KEV, EPSS, reachability) join here, in one place, so every report explains the same
number.
"""

from __future__ import annotations

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


def risk(finding: Finding) -> tuple[float, tuple[str, ...]]:
    """The score and, in words, each term that made it."""
    score = BASE[finding.severity]
    reasons = [f"{finding.severity.value} severity: {score:+.1f}"]
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
