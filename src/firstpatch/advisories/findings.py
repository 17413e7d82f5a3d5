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
from firstpatch.advisories.matching import match
from firstpatch.advisories.remediation import Remedy, smallest_fix
from firstpatch.advisories.severity import advisory_severity
from firstpatch.model import (
    Advisory,
    Component,
    Confidence,
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
    for component in components:
        where = component.locations[0] if component.locations else Location("")
        label = f"{component.name} {component.version or ''}".strip()
        if component.version is None:
            reason = f"{component.name}: no exact version pinned; not checked against advisories"
            skipped.append(Skipped(where.path, reason, where.line))
            continue
        known = tuple(source.for_package(component.ecosystem, component.name))
        result = match(component.ecosystem, component.name, component.version, known)
        if result.reason:
            skipped.append(Skipped(where.path, f"{label}: {result.reason}", where.line))
        for undecided in result.undecided:
            reason = f"{label}: {undecided.advisory.id} not decided: {undecided.reason}"
            skipped.append(Skipped(where.path, reason, where.line))
        if result.matches:
            matched = sorted({m.advisory.id: m.advisory for m in result.matches}.values(), key=lambda a: a.id)
            findings.append(_finding(component, component.version, where, matched, known))
    findings.sort(key=lambda f: (f.component.name if f.component else "", f.rule_id))
    return Audit(tuple(findings), tuple(skipped))


def _finding(
    component: Component,
    version: str,
    where: Location,
    matched: Sequence[Advisory],
    known: Sequence[Advisory],
) -> Finding:
    rule = matched[0]
    remedy = smallest_fix(component.ecosystem, component.name, version, matched, known)
    ids = tuple(advisory.id for advisory in matched)
    aliases = sorted({alias for a in matched for alias in a.aliases} - set(ids))
    groups = vulnerabilities(matched)
    severity, severity_note = _severity(groups)

    count = f"{len(groups)} known vulnerabilit{'y' if len(groups) == 1 else 'ies'}"
    listed = "; ".join(map(_describe, groups))
    message = (
        f"{component.name} {version} is affected by {count}: {listed}. {_fix_text(remedy)} {severity_note}"
    )
    return Finding(
        kind=FindingKind.DEPENDENCY,
        rule_id=RuleId(rule.id),
        title=title_of(rule),
        severity=severity,
        confidence=Confidence.HIGH,  # an exact pinned version inside a published range
        location=where,
        fingerprint=fingerprint(rule.id, where.path, _unversioned(component.purl)),
        message=message.strip(),
        component=component,
        advisory_ids=ids,
        aliases=tuple(aliases),
        fix_version=remedy.version,
    )


def vulnerabilities(advisories: Sequence[Advisory]) -> list[list[Advisory]]:
    """Advisories grouped by the vulnerability they describe: records that share an id or alias."""
    groups: list[tuple[set[str], list[Advisory]]] = []
    for advisory in advisories:
        names = {advisory.id, *advisory.aliases}
        joined = [group for group in groups if group[0] & names]
        merged: tuple[set[str], list[Advisory]] = (names, [advisory])
        for group in joined:
            merged[0].update(group[0])
            merged[1][:0] = group[1]
            groups.remove(group)
        groups.append(merged)
    return [sorted(members, key=lambda a: a.id) for _, members in groups]


def title_of(advisory: Advisory) -> str:
    """The summary, else the first sentence of the details, else the id."""
    text = advisory.summary.strip() or _SENTENCE_END.split(advisory.details.strip(), maxsplit=1)[0]
    text = " ".join(text.split())
    if len(text) > _TITLE_LIMIT:
        text = text[: _TITLE_LIMIT - 1].rstrip() + "…"
    return text or str(advisory.id)


def _severity(groups: list[list[Advisory]]) -> tuple[Severity, str]:
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


def _describe(group: list[Advisory]) -> str:
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
