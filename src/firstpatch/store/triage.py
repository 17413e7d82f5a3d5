"""A person's decisions about findings, acceptances that run out, and the per-project lock.

Every change to a project's findings happens while holding its project row locked (PostgreSQL
`FOR NO KEY UPDATE`; SQLite's write transactions lock the whole file anyway), so that a save and
a triage decision, or two saves of the same project by two fleet workers, take turns instead of
each deciding from what the other is about to change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firstpatch.model import Fingerprint, RunId
from firstpatch.store.interface import FindingStatus, LifecycleEvent, NotFoundError, TriageError
from firstpatch.store.lifecycle import SCANNER, Transition, expire
from firstpatch.store.tables import EventRow, FindingRow, ProjectRow


def lock_project(session: Session, target: str, *, create: bool) -> int:
    """The id of `target`'s project row, locked until the transaction ends; created if asked."""
    locked = select(ProjectRow.id).where(ProjectRow.target == target).with_for_update(key_share=True)
    project_id = session.scalar(locked)
    if project_id is not None:
        return project_id
    if not create:
        raise NotFoundError(f"no project {target!r} in the store")
    try:
        # A savepoint, because another worker may create the same project at the same moment:
        # then this insert fails on the unique target and the other worker's row is used.
        with session.begin_nested():
            session.add(ProjectRow(target=target))
    except IntegrityError:
        pass
    project_id = session.scalar(locked)
    if project_id is None:
        raise AssertionError(f"project {target!r} neither inserted nor found")
    return project_id


def decide(
    session: Session,
    target: str,
    fingerprint: Fingerprint,
    rule: Callable[[FindingStatus], Transition],
    *,
    who: str,
    now: datetime,
    accepted_until: date | None = None,
) -> None:
    """Apply a person's decision (`rule` turns the current status into a transition, or refuses)."""
    if not who.strip():
        raise TriageError("who made the decision is required")
    project_id = lock_project(session, target, create=False)
    row = session.scalars(
        select(FindingRow).where(FindingRow.project_id == project_id, FindingRow.fingerprint == fingerprint)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no finding {fingerprint} in project {target!r}")
    try:
        step = rule(FindingStatus(row.status))
    except TriageError as exc:
        raise TriageError(f"finding {fingerprint} in project {target!r}: {exc}") from None
    row.status = step.after.value
    row.status_at = now
    row.status_by = who.strip()
    row.status_reason = step.reason
    row.accepted_until = accepted_until if step.after is FindingStatus.ACCEPTED_RISK else None
    session.add(event_row(row.id, step, now, who.strip()))


def event_row(finding_id: int, step: Transition, at: datetime, who: str, run: str | None = None) -> EventRow:
    return EventRow(**event_values(finding_id, step, at, who, run))


def event_values(
    finding_id: int, step: Transition, at: datetime, who: str, run: str | None
) -> dict[str, Any]:
    return {
        "finding_id": finding_id,
        "run_id": run,
        "at": at,
        "who": who,
        "from_status": step.before.value if step.before is not None else None,
        "to_status": step.after.value,
        "reason": step.reason,
    }


def expire_acceptances(
    session: Session, now: datetime, project_ids: Iterable[int] | None = None
) -> list[LifecycleEvent]:
    """Reopen accepted risks whose last day is before `now`'s date (UTC), in the given projects."""
    query = (
        select(FindingRow.project_id, FindingRow.id)
        .where(FindingRow.status == FindingStatus.ACCEPTED_RISK.value)
        .where(FindingRow.accepted_until < now.date())
    )
    if project_ids is not None:
        query = query.where(FindingRow.project_id.in_(list(project_ids)))
    due = session.execute(query).all()
    if not due:
        return []
    # Locked in id order, so that two expiring sessions cannot each hold what the other waits for.
    for project_id in sorted({project_id for project_id, _ in due}):
        session.execute(
            select(ProjectRow.id).where(ProjectRow.id == project_id).with_for_update(key_share=True)
        )
    events: list[LifecycleEvent] = []
    targets: dict[int, str] = {}
    for _, finding_id in due:
        # Re-read under the lock: another session may have expired or re-accepted it meanwhile.
        row = session.get(FindingRow, finding_id, populate_existing=True)
        if row is None or row.status != FindingStatus.ACCEPTED_RISK or row.accepted_until is None:
            continue
        if row.accepted_until >= now.date():
            continue
        step = expire(row.accepted_until, row.status_reason)
        row.status = step.after.value
        row.status_at = now
        row.status_by = SCANNER
        row.status_reason = step.reason
        row.accepted_until = None  # the day is kept in the reason and the event
        session.add(event_row(row.id, step, now, SCANNER))
        if row.project_id not in targets:
            targets[row.project_id] = session.scalars(
                select(ProjectRow.target).where(ProjectRow.id == row.project_id)
            ).one()
        events.append(
            LifecycleEvent(
                target=targets[row.project_id],
                fingerprint=Fingerprint(row.fingerprint),
                at=now,
                who=SCANNER,
                before=step.before,
                after=step.after,
                reason=step.reason,
                run=None,
            )
        )
    return events


def as_event(target: str, fingerprint: str, row: EventRow) -> LifecycleEvent:
    return LifecycleEvent(
        target=target,
        fingerprint=Fingerprint(fingerprint),
        at=row.at,
        who=row.who,
        before=FindingStatus(row.from_status) if row.from_status is not None else None,
        after=FindingStatus(row.to_status),
        reason=row.reason,
        run=RunId(row.run_id) if row.run_id is not None else None,
    )
