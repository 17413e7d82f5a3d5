"""Dependency findings: one per vulnerable component, with its advisories, severity and fix.

Advisories that name each other (by id or a shared alias, e.g. a PYSEC and a GHSA record of the
same CVE) are one vulnerability: they are counted once and their aliases merged.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, TypeVar

from packageurl import PackageURL

from firstpatch.advisories.evaluation import Probe, affected_text
from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.advisories.interface import AdvisoryError, AdvisorySource
from firstpatch.advisories.names import component_release, release_applies
from firstpatch.advisories.package_index import PackageIndex, judge
from firstpatch.advisories.remediation import Remedy, fix_in
from firstpatch.advisories.severity import cvss_severity, text_rating, worst_vector
from firstpatch.inventory.os_release import osv_package
from firstpatch.model import (
    Advisory,
    AdvisoryId,
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


class _Named(Protocol):
    """A record as grouping sees it (`model.Advisory` or `AdvisoryFacts`)."""

    @property
    def id(self) -> AdvisoryId: ...

    @property
    def aliases(self) -> tuple[str, ...]: ...


Described = TypeVar("Described", bound=_Named)


@dataclass(frozen=True, slots=True)
class Audit:
    """Findings, and the components (or advisories) that could not be checked, with why;
    `advisories` holds what the findings' records say (their text, for reachability), by id."""

    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    advisories: Mapping[str, AdvisoryFacts] = field(default_factory=dict)


def dependency_findings(components: Iterable[Component], source: AdvisorySource) -> tuple[Finding, ...]:
    """One finding per component that a known advisory affects."""
    return audit(components, source).findings


_Key = tuple[Ecosystem, str, str, str | None]  # ecosystem, name, version, release
_SOURCE_PACKAGES = frozenset({Ecosystem.DEBIAN, Ecosystem.UBUNTU, Ecosystem.ALPINE})


def audit(components: Iterable[Component], source: AdvisorySource) -> Audit:
    """Match every component against `source`; what cannot be matched is said in `skipped`.

    Matching runs on each package's compiled index; the records' text is read afterwards, for
    the matched records only, and each (package, version) is judged once per audit: fleets
    repeat the same pins many times. Debian, Ubuntu and Alpine packages are matched by their
    source package, which is what those databases name (`libssl3` is built from `openssl`).
    """
    with _collector_paused():
        return _audit(tuple(components), source)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while an audit runs: it builds tens of thousands of
    small objects that form no cycles, and the collector's passes over them (and over whatever
    else the process holds) cost a quarter of an audit's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _audit(components: tuple[Component, ...], source: AdvisorySource) -> Audit:
    keys = [_key(c) if c.version is not None else None for c in components]
    source.prefetch({(key[0], key[1]) for key in keys if key is not None})
    indexes: dict[tuple[Ecosystem, str], PackageIndex] = {}
    verdicts: dict[_Key, _Verdict] = {}
    for key in keys:
        if key is not None and key not in verdicts:
            index = indexes.get(key[:2])
            if index is None:
                index = indexes[key[:2]] = source.package_index(key[0], key[1])
            verdicts[key] = _judge(index, key[2], key[3])
    facts = _facts(indexes.values(), {i for v in verdicts.values() for i in v.matched}, source)
    described: dict[tuple[tuple[AdvisoryId, ...], tuple[str, ...]], _Described] = {}
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    for component, key in zip(components, keys, strict=True):
        where = component.locations[0] if component.locations else Location("")
        if key is None:
            reason = f"{component.name}: no exact version pinned; not checked against advisories"
            skipped.append(Skipped(where.path, reason, where.line))
            continue
        verdict = verdicts[key]
        label = f"{component.name} {component.version}"
        if (key[1], key[2]) != (component.name, component.version):
            label += f" (source package {key[1]} {key[2]})"
        if verdict.reason:
            skipped.append(Skipped(where.path, f"{label}: {verdict.reason}", where.line))
        for advisory_id, why in verdict.undecided:
            skipped.append(Skipped(where.path, f"{label}: {advisory_id} not decided: {why}", where.line))
        if verdict.matched:
            words = (verdict.matched, tuple(verdict.affected[i] for i in verdict.matched))
            about = described.get(words)
            if about is None:
                about = described[words] = _describe_verdict(
                    [facts[i] for i in verdict.matched], verdict.affected
                )
            findings.append(_finding(component, label, where, verdict, about))
    findings.sort(key=lambda f: (f.component.name if f.component else "", f.rule_id))
    matched = {i for f in findings for i in f.advisory_ids}
    return Audit(tuple(findings), tuple(skipped), {i: facts[i] for i in sorted(matched)})


def _key(component: Component) -> _Key:
    """(ecosystem, name, version, release) as the advisories list the component."""
    if component.ecosystem in _SOURCE_PACKAGES:
        _, name, version = osv_package(component)
    else:
        name, version = component.name, component.version
    return component.ecosystem, name, version or "", component_release(component)


@dataclass(frozen=True, slots=True)
class _Verdict:
    """Everything about one package version that does not depend on where it was declared."""

    reason: str  # the version cannot be evaluated
    matched: tuple[AdvisoryId, ...]  # sorted
    undecided: tuple[tuple[str, str], ...]  # (advisory id, why)
    remedy: Remedy | None
    affected: Mapping[str, str] = field(default_factory=dict)  # matched id -> what affects the version


@dataclass(frozen=True, slots=True)
class _Described:
    """What the matched records say, for every component at that version: worked out once per
    set of matched records."""

    rule: AdvisoryFacts  # the first record, by id: the finding's rule and title
    title: str
    aliases: tuple[str, ...]  # every alias that is not itself a matched id
    listing: str  # `N known vulnerabilities: A (CVE-1); B / C (CVE-2)`
    severity: Severity
    severity_note: str
    scored: tuple[float, str] | None  # the worst CVSS base score and its vector


def _judge(index: PackageIndex, version: str, release: str | None) -> _Verdict:
    judged = judge(index, version, release, explain=False)  # findings do not quote the reasons
    records = index.records
    undecided = tuple((records[n].id, why) for n, why in judged.undecided)
    if not judged.matched:
        return _Verdict(judged.reason, (), undecided, None)
    numbers = {n for n, _ in judged.matched}
    ids = tuple(sorted({AdvisoryId(records[n].id) for n in numbers}))
    remedy = fix_in(index, version, numbers, release, ids)
    probe = Probe(version)
    affected = {
        records[n].id: affected_text(
            [e for e in records[n].entries if release is None or release_applies(e.ecosystem, release)], probe
        )
        for n in numbers
    }
    return _Verdict(judged.reason, ids, undecided, remedy, affected)


def _facts(
    indexes: Iterable[PackageIndex], wanted: Collection[str], source: AdvisorySource
) -> dict[str, AdvisoryFacts]:
    """The facts of the `wanted` records: from the indexes that carry them, else the source."""
    found = {
        record.id: record.facts
        for index in indexes
        for record in index.records
        if record.facts is not None and record.id in wanted
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        found.update(source.facts(missing))
    lost = sorted(i for i in missing if i not in found)
    if lost:
        raise AdvisoryError(
            f"advisory records {', '.join(lost[:5])} are indexed but not stored; import them again"
        )
    return found


def _describe_verdict(records: Sequence[AdvisoryFacts], affected: Mapping[str, str]) -> _Described:
    groups = vulnerabilities(records)
    severity, note = _severity(groups)
    ids = {record.id for record in records}
    count = f"{len(groups)} known vulnerabilit{'y' if len(groups) == 1 else 'ies'}"
    return _Described(
        rule=records[0],
        title=title_of(records[0]),
        aliases=tuple(sorted({alias for a in records for alias in a.aliases} - ids)),
        listing=f"{count}: {'; '.join(_describe(group, affected) for group in groups)}",
        severity=severity,
        severity_note=note,
        scored=worst_vector(records),
    )


def _finding(
    component: Component, label: str, where: Location, verdict: _Verdict, described: _Described
) -> Finding:
    """`label` names the component as messages do: `libssl3 3.0.11-1 (source package openssl …)`."""
    fix = _fix_text(verdict.remedy) if verdict.remedy else ""
    message = f"{label} is affected by {described.listing}. {fix} {described.severity_note}"
    scored = described.scored
    return Finding(
        kind=FindingKind.DEPENDENCY,
        rule_id=RuleId(described.rule.id),
        title=described.title,
        severity=described.severity,
        confidence=Confidence.HIGH,  # an exact pinned version inside a published range
        location=where,
        fingerprint=fingerprint(described.rule.id, where.path, _unversioned(component.purl)),
        message=message.strip(),
        component=component,
        advisory_ids=verdict.matched,
        aliases=described.aliases,
        fix_version=verdict.remedy.version if verdict.remedy else None,
        cvss_score=scored[0] if scored else None,
        cvss_vector=scored[1] if scored else None,
    )


def vulnerabilities(advisories: Sequence[Described]) -> list[list[Described]]:
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
    groups: dict[int, list[Described]] = {}
    for index, member in enumerate(advisories):
        groups.setdefault(root(index), []).append(member)
    return sorted((sorted(group, key=lambda a: a.id) for group in groups.values()), key=lambda g: g[0].id)


def title_of(advisory: Advisory | AdvisoryFacts) -> str:
    """The summary, else the first sentence of the details, else the id."""
    text = advisory.summary.strip() or _SENTENCE_END.split(advisory.details.strip(), maxsplit=1)[0]
    text = " ".join(text.split())
    if len(text) > _TITLE_LIMIT:
        text = text[: _TITLE_LIMIT - 1].rstrip() + "…"
    return text or str(advisory.id)


def _severity(groups: Sequence[Sequence[AdvisoryFacts]]) -> tuple[Severity, str]:
    """The worst rating among the vulnerabilities: each rated by its worst CVSS vector, else by
    its records' own severity word; medium, said so, when none has either."""
    by_cvss: list[Severity] = []
    by_word: list[tuple[Severity, str, str]] = []  # rating, record id, the word
    unrated: list[str] = []
    for group in groups:
        ratings = [r for r in map(cvss_severity, group) if r is not None]
        if ratings:
            by_cvss.append(max(ratings, key=lambda r: r.rank))
            continue
        words = [
            (rating, a.id, a.text_severity or "")
            for a in group
            if (rating := text_rating(a.text_severity)) is not None
        ]
        if words:
            by_word.append(max(words, key=lambda w: w[0].rank))
        else:
            unrated.append(group[0].id)
    if not by_cvss and not by_word:
        return (
            Severity.MEDIUM,
            "Severity unknown (no CVSS v3/v4 vector or severity in the advisories): rated medium.",
        )
    worst = max([*by_cvss, *(w[0] for w in by_word)], key=lambda r: r.rank)
    if any(r is worst for r in by_cvss):
        note = f"Severity {worst} from CVSS."
    else:
        _, record, word = next(w for w in by_word if w[0] is worst)
        note = f"Severity {worst} from {record}'s own rating ({word}; no CVSS vector)."
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


def _describe(group: Sequence[AdvisoryFacts], affected: Mapping[str, str]) -> str:
    """`GHSA-x / PYSEC-y (CVE-z; affected < 2.2.5)`: the records of one vulnerability, its CVE
    names and the interval (or list) by which its records affect the version."""
    ids = [advisory.id for advisory in group]
    cves = sorted({alias for a in group for alias in a.aliases if alias.startswith("CVE-")} - set(ids))
    notes = [", ".join(cves)] if cves else []
    notes.extend(dict.fromkeys(text for advisory_id in ids if (text := affected.get(advisory_id))))
    return " / ".join(ids) + (f" ({'; '.join(notes)})" if notes else "")


@lru_cache(maxsize=65536)
def _unversioned(purl: str) -> str:
    """The purl without its version: the fingerprint survives an upgrade that stays vulnerable."""
    return PackageURL.from_string(purl)._replace(version=None).to_string()  # fields already normalised


def clear_caches() -> None:
    _unversioned.cache_clear()
