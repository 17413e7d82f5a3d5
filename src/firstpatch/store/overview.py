"""The store at a glance: open findings per project by status, severity and KEV, against deadlines.

Counted in the database with GROUP BY, not by loading findings: the overview of a fleet stays
one small query per question however many findings it holds. Whether a finding is overdue
depends on the policy, which the caller chooses, so the policy becomes a CASE of cut-off times.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from firstpatch.model import Fingerprint, Severity
from firstpatch.store.interface import (
    OPEN_STATUSES,
    FindingStatus,
    OpenFindingAge,
    Overview,
    ProjectSummary,
    RunSummary,
)
from firstpatch.store.policy import DeadlinePolicy
from firstpatch.store.queries import run_summaries, runs_query, window
from firstpatch.store.tables import FindingRow, ProjectRow, RunRow, UtcDateTime

_OPEN = [status.value for status in OPEN_STATUSES]


def project_summaries(session: Session, policy: DeadlinePolicy, now: datetime) -> list[ProjectSummary]:
    projects = dict(session.execute(select(ProjectRow.id, ProjectRow.target)).all())
    by_status: dict[int, Counter[FindingStatus]] = {pid: Counter() for pid in projects}
    by_severity: dict[int, Counter[Severity]] = {pid: Counter() for pid in projects}
    in_kev: Counter[int] = Counter()
    overdue: Counter[int] = Counter()
    counts = select(
        FindingRow.project_id,
        FindingRow.status,
        FindingRow.severity,
        FindingRow.in_kev,
        func.count(),
        func.sum(case((FindingRow.opened_at < _overdue_before(policy, now), 1), else_=0)),
    ).group_by(FindingRow.project_id, FindingRow.status, FindingRow.severity, FindingRow.in_kev)
    for project_id, status, severity, kev, count, late in session.execute(counts):
        by_status[project_id][FindingStatus(status)] += count
        if status in _OPEN:
            by_severity[project_id][Severity(severity)] += count
            in_kev[project_id] += count if kev else 0
            overdue[project_id] += int(late or 0)
    run_counts = dict(
        session.execute(select(RunRow.project_id, func.count()).group_by(RunRow.project_id)).all()
    )
    latest = _latest_runs(session)
    oldest = _oldest_open(session, projects, policy, now)
    summaries = [
        ProjectSummary(
            target=target,
            runs=run_counts.get(project_id, 0),
            last_run=latest.get(target),
            by_status={status: by_status[project_id][status] for status in FindingStatus},
            open_by_severity={severity: by_severity[project_id][severity] for severity in Severity},
            open_in_kev=in_kev[project_id],
            overdue=overdue[project_id],
            oldest_open=oldest.get(project_id),
        )
        for project_id, target in projects.items()
    ]
    return sorted(summaries, key=lambda summary: summary.target)


def overview(session: Session, policy: DeadlinePolicy, now: datetime, trend_runs: int) -> Overview:
    projects = project_summaries(session, policy, now)
    ages = [p.oldest_open for p in projects if p.oldest_open is not None]
    trend = run_summaries(session, runs_query(None).limit(trend_runs)) if trend_runs > 0 else []
    return Overview(
        projects=tuple(projects),
        by_status={status: sum(p.by_status[status] for p in projects) for status in FindingStatus},
        open_by_severity={
            severity: sum(p.open_by_severity[severity] for p in projects) for severity in Severity
        },
        open_in_kev=sum(p.open_in_kev for p in projects),
        overdue=sum(p.overdue for p in projects),
        oldest_open=min(ages, key=lambda age: (age.window.opened_at, age.target)) if ages else None,
        trend=tuple(reversed(trend)),
    )


def _overdue_before(policy: DeadlinePolicy, now: datetime) -> ColumnElement[datetime]:
    """Per finding, the opening time before which it is overdue as of `now`; NULL without a deadline."""
    whens: list[tuple[ColumnElement[bool], ColumnElement[datetime]]] = []
    for severity in Severity:
        for kev in (True, False):
            days = policy.days_allowed(severity, kev)
            if days is not None:
                condition = and_(FindingRow.severity == severity.value, FindingRow.in_kev == kev)
                whens.append((condition, bindparam(None, now - timedelta(days=days), type_=UtcDateTime)))
    if not whens:
        return bindparam(None, None, type_=UtcDateTime)
    return case(*whens, else_=None)


def _latest_runs(session: Session) -> dict[str, RunSummary]:
    ranked = select(
        RunRow.id,
        func.row_number()
        .over(partition_by=RunRow.project_id, order_by=(RunRow.started.desc(), RunRow.id.desc()))
        .label("rank"),
    ).subquery()
    newest = select(RunRow).join(ranked, ranked.c.id == RunRow.id).where(ranked.c.rank == 1)
    return {summary.target: summary for summary in run_summaries(session, newest)}


def _oldest_open(
    session: Session, projects: dict[int, str], policy: DeadlinePolicy, now: datetime
) -> dict[int, OpenFindingAge]:
    ranked = (
        select(
            FindingRow.id,
            func.row_number()
            .over(partition_by=FindingRow.project_id, order_by=(FindingRow.opened_at, FindingRow.id))
            .label("rank"),
        )
        .where(FindingRow.status.in_(_OPEN))
        .subquery()
    )
    oldest = select(FindingRow).join(ranked, ranked.c.id == FindingRow.id).where(ranked.c.rank == 1)
    return {
        row.project_id: OpenFindingAge(
            target=projects[row.project_id],
            fingerprint=Fingerprint(row.fingerprint),
            rule_id=row.rule_id,
            title=row.title,
            severity=Severity(row.severity),
            in_kev=row.in_kev,
            window=window(row.opened_at, Severity(row.severity), row.in_kev, policy, now),
        )
        for row in session.scalars(oldest)
    }
