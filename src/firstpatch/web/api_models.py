"""The JSON API's request and response bodies, and their making from the store's types.

Findings travel as findings-v1 objects (the schema in `firstpatch.model`), the same contract as
the JSON report; around them, the lifecycle and the patch window as the store computes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from firstpatch.fleet.ledger import FleetState, TaskState
from firstpatch.model import Finding, Severity, to_json
from firstpatch.store import (
    FindingStatus,
    LifecycleEvent,
    OpenFindingAge,
    Overview,
    PatchWindow,
    ProjectSummary,
    RunDiff,
    RunSummary,
    TrackedFinding,
)
from firstpatch.web.fleet_view import FleetView
from firstpatch.web.urls import project_key

FINDINGS_V1 = "A finding as findings-v1 JSON (see the schema `findings-v1.json` shipped with firstpatch)."


# Something besides whitespace, and no NUL (PostgreSQL cannot store it in text): said in the
# schema itself, so that clients and the fuzzer know what a valid reason is.
REASON_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
Reason = Annotated[
    str,
    Field(min_length=1, max_length=2000, pattern=REASON_PATTERN, description="Why; kept with the decision."),
]


class Counts(BaseModel):
    critical: int
    high: int
    medium: int
    low: int
    none: int


def counts(by_severity: Mapping[Severity, int]) -> Counts:
    return Counts(**{severity.value: by_severity.get(severity, 0) for severity in Severity})


class Window(BaseModel):
    """How long an open finding has been exposed, against how long the policy allows."""

    opened_at: datetime
    days_open: int
    days_allowed: int | None
    due: datetime | None
    overdue: bool


def window(value: PatchWindow | None) -> Window | None:
    if value is None:
        return None
    return Window(
        opened_at=value.opened_at,
        days_open=value.days_open,
        days_allowed=value.days_allowed,
        due=value.due,
        overdue=value.overdue,
    )


class RunOut(BaseModel):
    id: str
    target: str
    project_key: str
    started: datetime
    finished: datetime
    tool_version: str
    stages: list[str]
    findings: int
    by_severity: Counts
    new: int
    fixed: int


def run_out(summary: RunSummary) -> RunOut:
    return RunOut(
        id=summary.id,
        target=summary.target,
        project_key=project_key(summary.target),
        started=summary.started,
        finished=summary.finished,
        tool_version=summary.tool_version,
        stages=list(summary.stages),
        findings=summary.findings,
        by_severity=counts(summary.by_severity),
        new=summary.new,
        fixed=summary.fixed,
    )


class OldestOpen(BaseModel):
    target: str
    project_key: str
    fingerprint: str
    rule_id: str
    title: str
    severity: Severity
    in_kev: bool
    window: Window


def oldest_out(age: OpenFindingAge | None) -> OldestOpen | None:
    if age is None:
        return None
    made = window(age.window)
    assert made is not None  # noqa: S101 - an open finding always has a window
    return OldestOpen(
        target=age.target,
        project_key=project_key(age.target),
        fingerprint=age.fingerprint,
        rule_id=age.rule_id,
        title=age.title,
        severity=age.severity,
        in_kev=age.in_kev,
        window=made,
    )


class ProjectOut(BaseModel):
    key: str = Field(description="Names the project in API paths.")
    target: str
    runs: int
    last_run: RunOut | None
    by_status: dict[FindingStatus, int]
    open_by_severity: Counts
    open_in_kev: int
    overdue: int
    oldest_open: OldestOpen | None


def project_out(project: ProjectSummary) -> ProjectOut:
    return ProjectOut(
        key=project_key(project.target),
        target=project.target,
        runs=project.runs,
        last_run=run_out(project.last_run) if project.last_run is not None else None,
        by_status=dict(project.by_status),
        open_by_severity=counts(project.open_by_severity),
        open_in_kev=project.open_in_kev,
        overdue=project.overdue,
        oldest_open=oldest_out(project.oldest_open),
    )


class OverviewOut(BaseModel):
    projects: list[ProjectOut]
    by_status: dict[FindingStatus, int]
    open_by_severity: Counts
    open_in_kev: int
    overdue: int
    oldest_open: OldestOpen | None
    trend: list[RunOut] = Field(description="The newest runs of every project, oldest first.")


def overview_out(overview: Overview) -> OverviewOut:
    return OverviewOut(
        projects=[project_out(p) for p in overview.projects],
        by_status=dict(overview.by_status),
        open_by_severity=counts(overview.open_by_severity),
        open_in_kev=overview.open_in_kev,
        overdue=overview.overdue,
        oldest_open=oldest_out(overview.oldest_open),
        trend=[run_out(r) for r in overview.trend],
    )


class TaskCounts(BaseModel):
    """A fleet run's targets, counted by how their task stands."""

    done: int
    unchanged: int
    failed: int
    running: int
    pending: int


class FleetTaskOut(BaseModel):
    position: int = Field(description="The target's place in the fleet's list, from 0.")
    target: str
    kind: str = Field(description="`path`, `git`, `rootfs` or `sbom`.")
    state: TaskState
    revision: str | None = Field(description="The revision scanned or tried; None when unknown.")
    reason: str | None = Field(description="Why the target failed; None unless it did.")
    run_id: str | None = Field(description="The store's run, when done or unchanged.")
    project_key: str | None = Field(
        description="The key of the target's project, when it was scanned and the store has runs of it."
    )
    started: datetime | None
    finished: datetime | None


class FleetOut(BaseModel):
    id: str
    source: str = Field(description="The target list the fleet run was given.")
    configuration: str = Field(description="The scan configuration every target was scanned with.")
    state: FleetState
    started: datetime
    finished: datetime | None = Field(description="None while the fleet runs.")
    counts: TaskCounts
    tasks: list[FleetTaskOut] = Field(description="Every target of the list, in its order.")


def fleet_out(view: FleetView) -> FleetOut:
    fleet = view.fleet
    return FleetOut(
        id=fleet.id,
        source=fleet.source,
        configuration=fleet.configuration,
        state=fleet.state,
        started=fleet.started,
        finished=fleet.finished,
        counts=TaskCounts(**{state.value: n for state, n in view.counts}),
        tasks=[
            FleetTaskOut(
                position=task.position,
                target=task.target,
                kind=task.kind,
                state=task.state,
                revision=task.revision,
                reason=task.reason,
                run_id=task.run_id,
                project_key=project_key(project) if (project := view.project_of(task)) else None,
                started=task.started,
                finished=task.finished,
            )
            for task in fleet.tasks
        ],
    )


class TrackedOut(BaseModel):
    target: str
    project_key: str
    fingerprint: str
    status: FindingStatus
    first_seen: str
    first_seen_at: datetime
    last_seen: str
    last_seen_at: datetime
    status_at: datetime
    status_by: str
    status_reason: str
    accepted_until: date | None
    window: Window | None
    finding: dict[str, Any] = Field(description=FINDINGS_V1)


def tracked_out(tracked: TrackedFinding) -> TrackedOut:
    return TrackedOut(
        target=tracked.target,
        project_key=project_key(tracked.target),
        fingerprint=tracked.fingerprint,
        status=tracked.status,
        first_seen=tracked.first_seen,
        first_seen_at=tracked.first_seen_at,
        last_seen=tracked.last_seen,
        last_seen_at=tracked.last_seen_at,
        status_at=tracked.status_at,
        status_by=tracked.status_by,
        status_reason=tracked.status_reason,
        accepted_until=tracked.accepted_until,
        window=window(tracked.window),
        finding=to_json(tracked.finding),
    )


class FindingsPage(BaseModel):
    target: str
    limit: int
    offset: int
    findings: list[TrackedOut]


class EventOut(BaseModel):
    at: datetime
    who: str
    before: FindingStatus | None = Field(description="None for the first sighting.")
    after: FindingStatus
    reason: str
    run: str | None = Field(description="The run that caused it; None for a person's decision.")


def event_out(event: LifecycleEvent) -> EventOut:
    return EventOut(
        at=event.at, who=event.who, before=event.before, after=event.after, reason=event.reason, run=event.run
    )


def _findings(found: tuple[Finding, ...]) -> list[dict[str, Any]]:
    return [to_json(f) for f in found]


class DiffOut(BaseModel):
    base: RunOut
    head: RunOut
    new: list[dict[str, Any]] = Field(description="In head, not in base. " + FINDINGS_V1)
    fixed: list[dict[str, Any]] = Field(description="In base, gone from head, which looked for their kind.")
    still_open: list[dict[str, Any]]
    not_checked: list[dict[str, Any]] = Field(description="In base; head did not look for their kind.")


def diff_out(diff: RunDiff) -> DiffOut:
    return DiffOut(
        base=run_out(diff.base),
        head=run_out(diff.head),
        new=_findings(diff.new),
        fixed=_findings(diff.fixed),
        still_open=_findings(diff.still_open),
        not_checked=_findings(diff.not_checked),
    )


class MeOut(BaseModel):
    name: str
    role: str
    can_triage: bool
    signed_in_with: str = Field(description="`session` (a browser) or `token`.")


class AcceptRisk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason
    expires: date = Field(
        description="The last day the risk stays accepted; the finding reopens the day after."
    )


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class Problem(BaseModel):
    detail: str
