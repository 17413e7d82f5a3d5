"""The known-vulnerability stage as a scan runs it: match, then the evidence risk needs.

`known_vulnerabilities` matches the components against the advisory store when it holds OSV
records (else the snapshot shipped with firstpatch), fills each finding's KEV and EPSS from
the store by the CVE ids among its advisories and aliases, and for PyPI findings whether the
project's own code reaches them. Stale store data is a warning, not an error.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.advisories.findings import audit
from firstpatch.advisories.interface import AdvisorySource
from firstpatch.advisories.package_index import PackageIndex
from firstpatch.advisories.reachability import ProjectUses, judge
from firstpatch.advisories.snapshot import SnapshotSource
from firstpatch.advisories.symbols import AffectedSymbols
from firstpatch.analysis.program import Program
from firstpatch.model import Advisory, Component, Ecosystem, Exploitation, Finding, Skipped


@dataclass(frozen=True, slots=True)
class KnownVulnerabilities:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]  # stale sources, for the terminal
    source: str  # where the advisories came from, in words


class AdvisoryData:
    """The advisory store (when the database has one) layered over the shipped snapshot, opened
    once. A process that scans many targets (a fleet's worker) keeps one, so that the records it
    has read already, and the open database, serve every later scan."""

    def __init__(self, db_url: str | None = None) -> None:
        from firstpatch.advisories.db.store import AdvisoryStore  # SQLAlchemy: only when needed
        from firstpatch.store import default_url

        self.store = AdvisoryStore.existing(db_url or default_url())
        self.snapshot = SnapshotSource()
        try:
            covered = self.store.ecosystems() if self.store is not None else frozenset()
        except BaseException:
            self.close()
            raise
        self.source: AdvisorySource = self.snapshot
        self.described = "advisory snapshot shipped with firstpatch"
        if self.store is not None and covered:
            self.source = LayeredSource(self.store.source(), self.snapshot, covered)
            ecosystems = ", ".join(sorted(covered))
            self.described = (
                f"advisory store {self.store.url} ({ecosystems}; others from the shipped snapshot)"
            )

    def warnings(self) -> tuple[str, ...]:
        """Stale store data, for the terminal."""
        if self.store is None or self.source is self.snapshot:
            return ()
        return tuple(self.store.stale())

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def known_vulnerabilities(
    components: Sequence[Component],
    root: str | Path | None = None,
    db_url: str | None = None,
    program: Program | None = None,
    data: AdvisoryData | None = None,
) -> KnownVulnerabilities:
    """Findings for `components`; `root` is the project whose code reachability reads (parsed
    again, unless `program` is the analysis's model of it), `db_url` the database (default: the
    store's default database, if it exists); `data`, advisory data kept open by the caller
    (then `db_url` is not read)."""
    opened = data or AdvisoryData(db_url)
    try:
        result = audit(components, opened.source)
        findings = result.findings
        if opened.store is not None:
            findings = with_exploitation(findings, opened.store.exploitation(cves(findings)))
        if program is not None or root is not None:
            findings = with_reachability(findings, program or str(root), result.advisories)
        return KnownVulnerabilities(findings, result.skipped, opened.warnings(), opened.described)
    finally:
        if data is None:
            opened.close()


class LayeredSource(AdvisorySource):
    """The store for the ecosystems it has records of, the shipped snapshot for the others."""

    def __init__(self, store: AdvisorySource, fallback: AdvisorySource, covered: frozenset[str]) -> None:
        self.store, self.fallback, self.covered = store, fallback, covered

    def _for(self, ecosystem: Ecosystem) -> AdvisorySource:
        return self.store if ecosystem.value in self.covered else self.fallback

    def prefetch(self, keys: Iterable[tuple[Ecosystem, str]]) -> None:
        self.store.prefetch([key for key in keys if key[0].value in self.covered])

    def for_package(self, ecosystem: Ecosystem, name: str) -> Sequence[Advisory]:
        return self._for(ecosystem).for_package(ecosystem, name)

    def package_index(self, ecosystem: Ecosystem, name: str) -> PackageIndex:
        return self._for(ecosystem).package_index(ecosystem, name)

    def facts(self, ids: Collection[str]) -> Mapping[str, AdvisoryFacts]:
        return self.store.facts(ids)  # the snapshot's indexes carry their records' facts

    def text_severity(self, advisory_id: str) -> str | None:
        return self.store.text_severity(advisory_id) or self.fallback.text_severity(advisory_id)

    def affected_symbols(self, advisory_id: str) -> tuple[AffectedSymbols, ...]:
        return self.store.affected_symbols(advisory_id)


def cves(findings: Iterable[Finding]) -> set[str]:
    return {name for f in findings for name in (*f.advisory_ids, *f.aliases) if name.startswith("CVE-")}


def with_exploitation(findings: Sequence[Finding], by_cve: dict[str, Exploitation]) -> tuple[Finding, ...]:
    """Each finding's exploitation evidence, combined over its CVEs: in KEV if any is (the
    earliest due date), known ransomware use if any has it, the highest EPSS score."""
    out = []
    for finding in findings:
        signals = [by_cve[n] for n in (*finding.advisory_ids, *finding.aliases) if n in by_cve]
        if not signals:
            out.append(finding)
            continue
        listed = [s for s in signals if s.in_kev]
        scored = [s for s in signals if s.epss is not None]
        top = max(scored, key=lambda s: s.epss or 0.0) if scored else None
        dues = sorted(s.kev_due_date for s in listed if s.kev_due_date)
        exploitation = Exploitation(
            in_kev=bool(listed),
            kev_ransomware=any(s.kev_ransomware for s in listed),
            kev_due_date=dues[0] if dues else None,
            epss=top.epss if top else None,
            epss_percentile=top.epss_percentile if top else None,
        )
        out.append(replace(finding, exploitation=exploitation))
    return tuple(out)


def with_reachability(
    findings: Sequence[Finding], project: str | Path | Program, advisories: Mapping[str, AdvisoryFacts]
) -> tuple[Finding, ...]:
    """PyPI findings judged against the project's own imports and calls: `project` is its root
    (parsed here, once) or the program the analysis built; `advisories` holds the findings'
    records (`Audit.advisories`)."""
    if not any(f.component is not None and f.component.ecosystem is Ecosystem.PYPI for f in findings):
        return tuple(findings)
    uses = ProjectUses.of_program(project) if isinstance(project, Program) else ProjectUses.of(str(project))
    out = []
    for finding in findings:
        component = finding.component
        if component is None or component.ecosystem is not Ecosystem.PYPI:
            out.append(finding)
            continue
        out.append(judge(finding, uses, [advisories[i] for i in finding.advisory_ids if i in advisories]))
    return tuple(out)
