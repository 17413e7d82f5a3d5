"""Dependency findings: one per vulnerable component, with its advisories, severity and fix.

Advisories that name each other (by id or a shared alias, e.g. a PYSEC and a GHSA record of the
same CVE) are one vulnerability: they are counted once and their aliases merged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packageurl import PackageURL

from firstpatch.advisories.interface import AdvisorySource
from firstpatch.advisories.matching import MatchResult, match
from firstpatch.advisories.names import component_release
from firstpatch.advisories.remediation import Remedy, smallest_fix
from firstpatch.advisories.severity import advisory_severity, worst_vector
from firstpatch.model import (
    Advisory,
    Component,
    Confidence,
    Ecosystem,
    Finding,
    FindingKind,
    Location,
    RuleId,
    Severity,
    Skipped,
    fingerprint,
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_TITLE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Audit:
    """Findings, and the components (or advisories) that could not be checked, with why."""

    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]


def dependency_findings(components: Iterable[Component], source: AdvisorySource) -> tuple[Finding, ...]:
    """One finding per component that a known advisory affects."""
    return audit(components, source).findings


def audit(components: Iterable[Component], source: AdvisorySource) -> Audit:
    """Match every component against `source`; what cannot be matched is said in `skipped`."""
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    # Fleets repeat the same pins many times: judge each (package, version) once per audit.
    verdicts: dict[tuple[Ecosystem, str, str, str | None], _Verdict] = {}
    components = tuple(components)
    source.prefetch({(c.ecosystem, c.name) for c in components if c.version is not None})
    for component in components:
        where = component.locations[0] if component.locations else Location("")
        if component.version is None:
            reason = f"{component.name}: no exact version pinned; not checked against advisories"
            skipped.append(Skipped(where.path, reason, where.line))
            continue
        label = f"{component.name} {component.version}"
        release = component_release(component)
        key = (component.ecosystem, component.name, component.version, release)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = _judge(
                component.ecosystem, component.name, component.version, release, source
            )
        if verdict.result.reason:
            skipped.append(Skipped(where.path, f"{label}: {verdict.result.reason}", where.line))
        for undecided in verdict.result.undecided:
            reason = f"{label}: {undecided.advisory.id} not decided: {undecided.reason}"
            skipped.append(Skipped(where.path, reason, where.line))
        if verdict.matched:
            findings.append(_finding(component, component.version, where, verdict))
    findings.sort(key=lambda f: (f.component.name if f.component else "", f.rule_id))
    return Audit(tuple(findings), tuple(skipped))


@dataclass(frozen=True, slots=True)
class _Verdict:
    """Everything about one package version that does not depend on where it was declared."""

    result: MatchResult
    matched: tuple[Advisory, ...]  # sorted by id
    remedy: Remedy | None
    groups: tuple[tuple[Advisory, ...], ...]
    severity: Severity
    severity_note: str


def _judge(
    ecosystem: Ecosystem, name: str, version: str, release: str | None, source: AdvisorySource
) -> _Verdict:
    known = tuple(source.for_package(ecosystem, name))
    result = match(ecosystem, name, version, known, release)
    matched = tuple(sorted({m.advisory.id: m.advisory for m in result.matches}.values(), key=lambda a: a.id))
    if not matched:
        return _Verdict(result, (), None, (), Severity.NONE, "")
    groups = vulnerabilities(matched)
    severity, note = _severity(groups)
    remedy = smallest_fix(ecosystem, name, version, matched, known)
    return _Verdict(result, matched, remedy, tuple(map(tuple, groups)), severity, note)


def _finding(component: Component, version: str, where: Location, verdict: _Verdict) -> Finding:
    rule = verdict.matched[0]
    ids = tuple(advisory.id for advisory in verdict.matched)
    aliases = sorted({alias for a in verdict.matched for alias in a.aliases} - set(ids))
    count = f"{len(verdict.groups)} known vulnerabilit{'y' if len(verdict.groups) == 1 else 'ies'}"
    listed = "; ".join(map(_describe, verdict.groups))
    fix = _fix_text(verdict.remedy) if verdict.remedy else ""
    message = f"{component.name} {version} is affected by {count}: {listed}. {fix} {verdict.severity_note}"
    scored = worst_vector(verdict.matched)
    return Finding(
        kind=FindingKind.DEPENDENCY,
        rule_id=RuleId(rule.id),
        title=title_of(rule),
        severity=verdict.severity,
        confidence=Confidence.HIGH,  # an exact pinned version inside a published range
        location=where,
        fingerprint=fingerprint(rule.id, where.path, _unversioned(component.purl)),
        message=message.strip(),
        component=component,
        advisory_ids=ids,
        aliases=tuple(aliases),
        fix_version=verdict.remedy.version if verdict.remedy else None,
        cvss_score=scored[0] if scored else None,
        cvss_vector=scored[1] if scored else None,
    )


def vulnerabilities(advisories: Sequence[Advisory]) -> list[list[Advisory]]:
    """Advisories grouped by the vulnerability they describe (records linked by a shared id or
    alias, transitively), each group sorted by id, groups ordered by their first id."""
    parent = list(range(len(advisories)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[str, int] = {}
    for index, advisory in enumerate(advisories):
        for name in (advisory.id, *advisory.aliases):
            parent[root(owner.setdefault(name, index))] = root(index)
    groups: dict[int, list[Advisory]] = {}
    for index, advisory in enumerate(advisories):
        groups.setdefault(root(index), []).append(advisory)
    return sorted((sorted(group, key=lambda a: a.id) for group in groups.values()), key=lambda g: g[0].id)


def title_of(advisory: Advisory) -> str:
    """The summary, else the first sentence of the details, else the id."""
    text = advisory.summary.strip() or _SENTENCE_END.split(advisory.details.strip(), maxsplit=1)[0]
    text = " ".join(text.split())
    if len(text) > _TITLE_LIMIT:
        text = text[: _TITLE_LIMIT - 1].rstrip() + "…"
    return text or str(advisory.id)


def _severity(groups: Sequence[Sequence[Advisory]]) -> tuple[Severity, str]:
    """The worst CVSS rating among the vulnerabilities; medium, said so, when none has a vector."""
    rated: list[Severity] = []
    unrated: list[str] = []
    for group in groups:
        ratings = [r for r in map(advisory_severity, group) if r is not None]
        if ratings:
            rated.append(max(ratings, key=lambda r: r.rank))
        else:
            unrated.append(group[0].id)
    if not rated:
        return Severity.MEDIUM, "Severity unknown (no CVSS v3/v4 vector in the advisories): rated medium."
    worst = max(rated, key=lambda r: r.rank)
    note = f"Severity {worst} from CVSS."
    if unrated:
        note += f" No CVSS vector for {', '.join(unrated)}: not rated."
    return worst, note


def _fix_text(remedy: Remedy) -> str:
    if remedy.version is None:
        return "No fix available."
    text = f"Upgrade to {remedy.version}"
    if remedy.major:
        text += " (a new major version)"
    if remedy.still_affected_by:
        text += f"; it is still affected by {', '.join(remedy.still_affected_by)}"
    return text + "."


def _describe(group: Sequence[Advisory]) -> str:
    """`GHSA-x / PYSEC-y (CVE-z)`: the records of one vulnerability and its CVE names."""
    ids = [advisory.id for advisory in group]
    cves = sorted({alias for a in group for alias in a.aliases if alias.startswith("CVE-")} - set(ids))
    return " / ".join(ids) + (f" ({', '.join(cves)})" if cves else "")


def _unversioned(purl: str) -> str:
    """The purl without its version: the fingerprint survives an upgrade that stays vulnerable."""
    parsed = PackageURL.from_string(purl)
    return PackageURL(
        type=parsed.type,
        namespace=parsed.namespace,
        name=parsed.name,
        qualifiers=parsed.qualifiers,
        subpath=parsed.subpath,
    ).to_string()
