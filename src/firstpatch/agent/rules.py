"""The rules an agent finding is reported under, and how a confirmed hypothesis becomes a finding.

Agent findings carry `agent/...` rule ids so that every report says where they came from. Their
fingerprint hashes the rule, the handler's file, the handler's name and the route rule - not the
model's input, which changes from run to run - so the same flaw keeps its history.
"""

from __future__ import annotations

from firstpatch.agent.hypothesis import Hypothesis, Verdict, Weakness
from firstpatch.analysis.interface import Rule
from firstpatch.analysis.rules import RULES_BY_CWE
from firstpatch.model import (
    Confidence,
    Evidence,
    Finding,
    FindingKind,
    OracleEvent,
    ProofStatus,
    RuleId,
    Severity,
    fingerprint,
)


def _rule(rule_id: str, cwe: int, title: str, severity: Severity, description: str) -> Rule:
    return Rule(RuleId(rule_id), cwe, title, severity, Confidence.HIGH, " ".join(description.split()))


AGENT_RULES: dict[Weakness, Rule] = {
    Weakness.IDOR: _rule(
        "agent/idor",
        639,
        "Object reachable by another user's request",
        Severity.HIGH,
        """A route returns a record to a user who does not own it: it looks the record up by an id
        from the request without checking ownership, while another route of the application does
        withhold it. Proved in the sandbox by planting a canary as one user and reading it back as
        another. Fix: check that the record belongs to the current user before returning it.""",
    ),
    Weakness.MISSING_AUTHORIZATION: _rule(
        "agent/missing-authorization",
        862,
        "Route without the authorisation its siblings enforce",
        Severity.HIGH,
        """A route hands out data that the application protects elsewhere: a control route withholds
        it from the same principal. Proved in the sandbox with a planted canary. Fix: apply the same
        authorisation check (decorator or explicit test) on this route.""",
    ),
    Weakness.AUTHENTICATION_BYPASS: _rule(
        "agent/authentication-bypass",
        287,
        "Protected data reachable without authentication",
        Severity.CRITICAL,
        """A route returns data that the application otherwise shows only to an authenticated owner,
        to a request without (or with forged) credentials. Proved in the sandbox with a planted
        canary. Fix: require authentication on the route, or fix the check it relies on.""",
    ),
    Weakness.UNSAFE_UPLOAD: _rule(
        "agent/unsafe-upload",
        434,
        "Uploaded file stored or served unsafely",
        Severity.HIGH,
        """An uploaded file's name or content reaches a place where it takes effect: written outside
        the upload folder, or served back as active content. Proved in the sandbox by the prove
        stage's oracle for the effect. Fix: reduce the name with secure_filename, store outside the
        web root, and serve with a fixed, inert content type.""",
    ),
    Weakness.LOGIC_FLAW: _rule(
        "agent/logic-flaw",
        840,
        "Business-logic flaw",
        Severity.MEDIUM,
        """A flaw in the application's own rules, proved in the sandbox through one of firstpatch's
        oracles (a planted canary crossing an access boundary, or reaching a sink). The claim and
        the requests in the evidence say which.""",
    ),
}


def rule_for(hypothesis: Hypothesis) -> Rule:
    if hypothesis.weakness is Weakness.INJECTION:
        static = RULES_BY_CWE.get(hypothesis.cwe)
        if static is None:  # an oracle the prove stage has without a taint rule of the same CWE
            return _rule(
                f"agent/cwe-{hypothesis.cwe}",
                hypothesis.cwe,
                f"CWE-{hypothesis.cwe} proved in the sandbox",
                Severity.HIGH,
                f"""Input proposed by the language model reached a sink of CWE-{hypothesis.cwe} and the
                prove stage's oracle for it confirmed the effect in the sandbox.""",
            )
        return Rule(
            RuleId(static.id.replace("py/", "agent/", 1)),
            static.cwe,
            static.title,
            static.severity,
            static.confidence,
            static.description,
        )
    return AGENT_RULES[hypothesis.weakness]


def agent_rule_docs() -> dict[str, str]:
    """Rule id → description of every rule an agent finding may carry (for SARIF)."""
    docs: dict[str, str] = {rule.id: rule.description for rule in AGENT_RULES.values()}
    for rule in RULES_BY_CWE.values():
        docs[rule.id.replace("py/", "agent/", 1)] = rule.description
    return docs


def evidence_from(verdict: Verdict, provenance: str) -> Evidence:
    """Evidence of a confirmed verdict; `provenance` says where the input came from."""
    return Evidence(
        ProofStatus.CONFIRMED,
        f"{verdict.reason} ({provenance})",
        event=OracleEvent(verdict.oracle, verdict.detail),
        request="\n".join(verdict.requests),
        log=verdict.log,
    )


def finding_from(hypothesis: Hypothesis) -> Finding:
    """The finding a confirmed hypothesis proves."""
    verdict = hypothesis.verdict
    if verdict.status is not ProofStatus.CONFIRMED:
        raise ValueError(f"hypothesis {hypothesis.id} is {verdict.status}, not confirmed")
    rule = rule_for(hypothesis)
    entry = hypothesis.entry_point
    location = entry.location
    evidence = evidence_from(
        verdict, f"input proposed by the language model, judged by the {verdict.oracle} oracle"
    )
    return Finding(
        kind=FindingKind.CODE,
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        confidence=rule.confidence,
        location=location,
        fingerprint=fingerprint(rule.id, location.path, entry.function, entry.route),
        cwe=rule.cwe,
        message=f"{rule.title} at {entry.route or entry.function}: {verdict.detail}",
        entry_point=entry,
        evidence=evidence,
    )
