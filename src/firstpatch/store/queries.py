"""Reading the store: whole runs, run summaries, diffs, and findings with their patch windows."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from firstpatch.model import Component, Finding, Fingerprint, Run, RunId, Severity, Skipped, from_json
from firstpatch.store.interface import (
    FindingStatus,
    LifecycleEvent,
    NotFoundError,
    PatchWindow,
    RunDiff,
    RunSummary,
    StoreError,
    TrackedFinding,
)
from firstpatch.store.policy import DeadlinePolicy
from firstpatch.store.tables import EventRow, FindingRow, ProjectRow, RunFindingRow, RunRow
from firstpatch.store.tracking import kinds_looked_for
from firstpatch.store.triage import as_event

T = TypeVar("T")
_AMBIGUOUS_SHOWN = 5


def load_run(session: Session, run_id: str) -> Run:
    row = session.get(RunRow, run_id)
    if row is None:
        raise NotFoundError(f"no run {run_id!r}")
    return whole_run(session, row)


def whole_run(session: Session, row: RunRow) -> Run:
    payloads = session.scalars(
        select(RunFindingRow.payload).where(RunFindingRow.run_id == row.id).order_by(RunFindingRow.position)
    )
    return Run(
        id=RunId(row.id),
        target=row.project.target,
        started=row.started,
        finished=row.finished,
        tool_version=row.tool_version,
        findings=tuple(decode(Finding, payload, row.id) for payload in payloads),
        components=tuple(decode(Component, item, row.id) for item in row.components),
        skipped=tuple(decode(Skipped, item, row.id) for item in row.skipped),
        stages=tuple(row.stages),
    )


def runs_query(target: str | None) -> Select[RunRow]:
    query = select(RunRow).order_by(RunRow.started.desc(), RunRow.id.desc())
    if target is not None:
        query = query.join(RunRow.project).where(ProjectRow.target == target)
    return query


def run_summaries(session: Session, query: Select[RunRow]) -> list[RunSummary]:
    """Summaries of the runs `query` selects, in its order, with three grouped counts for all."""
    rows = list(session.scalars(query))
    if not rows:
        return []
    ids = [row.id for row in rows]
    by_severity: dict[str, dict[Severity, int]] = defaultdict(dict)
    severity_counts = (
        select(RunFindingRow.run_id, RunFindingRow.severity, func.count(RunFindingRow.finding_id.distinct()))
        .where(RunFindingRow.run_id.in_(ids))
        .group_by(RunFindingRow.run_id, RunFindingRow.severity)
    )
    for run_id, severity, count in session.execute(severity_counts):
        by_severity[run_id][Severity(severity)] = count
    new_counts = (
        select(FindingRow.first_seen_run_id, func.count())
        .where(FindingRow.first_seen_run_id.in_(ids))
        .group_by(FindingRow.first_seen_run_id)
    )
    new: dict[str, int] = dict(session.execute(new_counts).all())
    fixed_counts = (
        select(EventRow.run_id, func.count())
        .where(EventRow.run_id.in_(ids), EventRow.to_status == FindingStatus.FIXED.value)
        .group_by(EventRow.run_id)
    )
    fixed: dict[str | None, int] = dict(session.execute(fixed_counts).all())
    return [
        RunSummary(
            id=RunId(row.id),
            target=row.project.target,
            started=row.started,
            finished=row.finished,
            tool_version=row.tool_version,
            stages=tuple(row.stages),
            # Counted per severity, so a fingerprint seen at two severities in one run counts twice.
            findings=sum(by_severity[row.id].values()),
            by_severity={severity: by_severity[row.id].get(severity, 0) for severity in Severity},
            new=new.get(row.id, 0),
            fixed=fixed.get(row.id, 0),
        )
        for row in rows
    ]


def resolve_run(session: Session, id_or_prefix: str) -> RunId:
    if session.get(RunRow, id_or_prefix) is not None:
        return RunId(id_or_prefix)
    query = select(RunRow.id).where(RunRow.id.startswith(id_or_prefix, autoescape=True))
    found = list(session.scalars(query.order_by(RunRow.id).limit(_AMBIGUOUS_SHOWN + 1)))
    if not id_or_prefix or not found:
        raise NotFoundError(f"no run {id_or_prefix!r}")
    if len(found) > 1:
        raise StoreError(f"{id_or_prefix!r} names several runs ({_listed(found)}); give more of the id")
    return RunId(found[0])


def diff_runs(session: Session, base_id: str, head_id: str) -> RunDiff:
    summaries = {
        s.id: s for s in run_summaries(session, select(RunRow).where(RunRow.id.in_([base_id, head_id])))
    }
    for run_id in (base_id, head_id):
        if run_id not in summaries:
            raise NotFoundError(f"no run {run_id!r}")
    base, head = _sighted(session, base_id), _sighted(session, head_id)
    looked_for = kinds_looked_for(summaries[RunId(head_id)].stages)
    gone = [finding for fingerprint, finding in base.items() if fingerprint not in head]
    return RunDiff(
        base=summaries[RunId(base_id)],
        head=summaries[RunId(head_id)],
        new=tuple(finding for fingerprint, finding in head.items() if fingerprint not in base),
        fixed=tuple(finding for finding in gone if finding.kind.value in looked_for),
        still_open=tuple(finding for fingerprint, finding in head.items() if fingerprint in base),
        not_checked=tuple(finding for finding in gone if finding.kind.value not in looked_for),
    )


def _sighted(session: Session, run_id: str) -> dict[str, Finding]:
    """A run's findings by fingerprint, each as the run first reported it."""
    payloads = session.scalars(
        select(RunFindingRow.payload).where(RunFindingRow.run_id == run_id).order_by(RunFindingRow.position)
    )
    found: dict[str, Finding] = {}
    for payload in payloads:
        finding = decode(Finding, payload, run_id)
        found.setdefault(finding.fingerprint, finding)
    return found


def tracked_findings(
    session: Session,
    target: str,
    *,
    statuses: frozenset[FindingStatus] | None,
    fingerprint: str | None,
    policy: DeadlinePolicy,
    now: datetime,
    page: tuple[int | None, int],
) -> list[TrackedFinding]:
    first, last = aliased(RunRow), aliased(RunRow)
    query = (
        select(FindingRow, first.started, last.started)
        .join(first, FindingRow.first_seen_run_id == first.id)
        .join(last, FindingRow.last_seen_run_id == last.id)
        .join(ProjectRow, FindingRow.project_id == ProjectRow.id)
        .where(ProjectRow.target == target)
        .order_by(first.started, FindingRow.id)
    )
    if statuses is not None:
        query = query.where(FindingRow.status.in_([status.value for status in statuses]))
    if fingerprint is not None:
        query = query.where(FindingRow.fingerprint == fingerprint)
    limit, offset = page
    query = query.limit(limit).offset(offset or None)
    return [
        TrackedFinding(
            target=target,
            fingerprint=Fingerprint(row.fingerprint),
            status=FindingStatus(row.status),
            first_seen=RunId(row.first_seen_run_id),
            first_seen_at=first_at,
            last_seen=RunId(row.last_seen_run_id),
            last_seen_at=last_at,
            status_at=row.status_at,
            status_by=row.status_by,
            status_reason=row.status_reason,
            accepted_until=row.accepted_until,
            window=window(row.opened_at, Severity(row.severity), row.in_kev, policy, now)
            if FindingStatus(row.status).is_open
            else None,
            finding=decode(Finding, row.payload, row.fingerprint),
        )
        for row, first_at, last_at in session.execute(query)
    ]


def window(
    opened_at: datetime, severity: Severity, in_kev: bool, policy: DeadlinePolicy, now: datetime
) -> PatchWindow:
    """The patch window of a finding open since `opened_at`, as of `now`."""
    days_allowed = policy.days_allowed(severity, in_kev)
    due = opened_at + timedelta(days=days_allowed) if days_allowed is not None else None
    return PatchWindow(
        opened_at=opened_at,
        days_open=max((now - opened_at).days, 0),
        days_allowed=days_allowed,
        due=due,
        overdue=due is not None and now > due,
    )


def acceptances_due(session: Session, now: datetime) -> bool:
    """Whether any accepted risk's last day is before `now`'s date."""
    query = select(FindingRow.id).where(
        FindingRow.status == FindingStatus.ACCEPTED_RISK.value, FindingRow.accepted_until < now.date()
    )
    return session.scalars(query.limit(1)).first() is not None


def events(session: Session, target: str, fingerprint: str) -> list[LifecycleEvent]:
    query = (
        select(EventRow)
        .join(FindingRow, EventRow.finding_id == FindingRow.id)
        .join(ProjectRow, FindingRow.project_id == ProjectRow.id)
        .where(ProjectRow.target == target, FindingRow.fingerprint == fingerprint)
        # Recorded order, not `at`: runs saved out of order carry their own older times, and only
        # the recorded order makes each event start from the status the previous one ended in.
        .order_by(EventRow.id)
    )
    found = [as_event(target, fingerprint, row) for row in session.scalars(query)]
    if not found:
        raise NotFoundError(f"no finding {fingerprint} in project {target!r}")
    return found


def locate(session: Session, fingerprint_or_prefix: str, target: str | None) -> tuple[str, Fingerprint]:
    query = select(ProjectRow.target, FindingRow.fingerprint).join(
        ProjectRow, FindingRow.project_id == ProjectRow.id
    )
    if target is not None:
        query = query.where(ProjectRow.target == target)
    exact = session.execute(query.where(FindingRow.fingerprint == fingerprint_or_prefix)).all()
    found = exact or (
        session.execute(
            query.where(FindingRow.fingerprint.startswith(fingerprint_or_prefix, autoescape=True))
            .order_by(ProjectRow.target, FindingRow.fingerprint)
            .limit(_AMBIGUOUS_SHOWN + 1)
        ).all()
        if fingerprint_or_prefix
        else []
    )
    where = f" in project {target!r}" if target is not None else ""
    if not found:
        raise NotFoundError(f"no finding {fingerprint_or_prefix!r}{where}")
    if len(found) > 1:
        if len({fingerprint for _, fingerprint in found}) == 1:
            raise StoreError(
                f"finding {found[0][1]} is in several projects ({_listed([t for t, _ in found])}); name one"
            )
        raise StoreError(
            f"{fingerprint_or_prefix!r} names several findings{where} "
            f"({_listed([fp for _, fp in found])}); give more of the fingerprint"
        )
    return found[0][0], Fingerprint(found[0][1])


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_AMBIGUOUS_SHOWN])
    return shown + (", …" if len(names) > _AMBIGUOUS_SHOWN else "")


def decode(cls: type[T], data: Any, where: str) -> T:
    """A stored value back as its model type; `data` is JSON text or already-parsed JSON."""
    try:
        return from_json(cls, json.loads(data) if isinstance(data, str) else data)
    except (TypeError, KeyError, ValueError) as exc:
        raise StoreError(f"{where}: a stored {cls.__name__} does not match findings-v1: {exc}") from exc
