"""`firstpatch fleet status`: a fleet run's progress and the open findings across its projects."""

from __future__ import annotations

from dataclasses import dataclass

from firstpatch.fleet.ledger import FleetLedger, FleetRecord, TaskState
from firstpatch.model import Severity
from firstpatch.store import open_store

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NONE)


@dataclass(frozen=True, slots=True)
class ProjectFindings:
    """A project's open findings, counted by severity (in `SEVERITIES` order)."""

    target: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def count(self, severity: Severity) -> int:
        return self.counts[SEVERITIES.index(severity)]


@dataclass(frozen=True, slots=True)
class FleetStatus:
    fleet: FleetRecord
    projects: tuple[ProjectFindings, ...]  # every target the fleet scanned or found unchanged

    def open_total(self, severity: Severity | None = None) -> int:
        if severity is None:
            return sum(project.total for project in self.projects)
        return sum(project.count(severity) for project in self.projects)


def fleet_status(store_url: str, fleet_id: str | None = None) -> FleetStatus:
    """The fleet run named by `fleet_id` (or a unique prefix of it), else the newest."""
    with FleetLedger(store_url) as ledger:
        fleet = ledger.fleet(fleet_id)
    scanned = [task.target for task in fleet.tasks if task.state in (TaskState.DONE, TaskState.UNCHANGED)]
    store = open_store(store_url)
    try:
        summaries = {summary.target: summary for summary in store.projects()}
    finally:
        store.close()
    projects = []
    for target in scanned:
        summary = summaries.get(target)
        counts = summary.open_by_severity if summary is not None else {}
        projects.append(ProjectFindings(target, tuple(counts.get(severity, 0) for severity in SEVERITIES)))
    return FleetStatus(fleet, tuple(projects))
