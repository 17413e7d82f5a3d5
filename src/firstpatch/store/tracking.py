"""Saving a run: what it saw, and each of its project's findings moved along the lifecycle.

Runs may be saved out of order (a fleet resuming, an import of old reports), so first and last
sightings are decided by when runs started, not by the order they arrive in, and only a run
newer than everything known about a finding changes its status. A run never overrules a
person's decision made after it started.

Rows are written in bulk (one INSERT ... RETURNING per table, one executemany for updates):
a run of ten thousand findings is three statements, not thirty thousand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, aliased

from firstpatch.model import Finding, FindingKind, Run, to_json
from firstpatch.model.serialize import finding_payload
from firstpatch.store.interface import FindingStatus, StoreError
from firstpatch.store.lifecycle import SCANNER, Transition, on_absence, on_sighting
from firstpatch.store.tables import Base, FindingRow, RunRow, as_utc
from firstpatch.store.triage import event_values, expire_acceptances, lock_project

# The stages that look for each kind of finding. A run that did not look for a kind says nothing
# about whether those findings are still there, so it must not mark them fixed.
STAGES_BY_KIND = {FindingKind.DEPENDENCY: "advisories", FindingKind.CODE: "analysis"}
_FIRST_EXPOSURE = frozenset({FindingStatus.NEW, FindingStatus.CONFIRMED, FindingStatus.PATCHED})


@dataclass(slots=True)
class _Known:
    """A stored finding as this save reads it, and the changes it makes."""

    id: int
    kind: str
    status: FindingStatus
    status_at: datetime
    status_by: str
    opened_at: datetime
    first_at: datetime
    last_at: datetime
    changes: dict[str, Any] = field(default_factory=dict)


def record_run(session: Session, run: Run, now: datetime) -> None:
    """Add `run` and its lifecycle changes to the session's transaction."""
    if session.get(RunRow, run.id) is not None:
        raise StoreError(f"run {run.id} is already stored")
    project_id = lock_project(session, run.target, create=True)
    expire_acceptances(session, now, [project_id])
    session.add(
        RunRow(
            id=run.id,
            project_id=project_id,
            started=run.started,
            finished=run.finished,
            tool_version=run.tool_version,
            stages=list(run.stages),
            skipped=to_json(run.skipped),
            components=to_json(run.components),
        )
    )
    session.flush()
    known = _known(session, project_id)
    when = as_utc(run.started)
    events: list[_Event] = []  # by fingerprint, until new rows have ids
    later = _later_runs(session, project_id, when)
    new_rows: list[dict[str, Any]] = []
    sightings: list[tuple[str, str, str]] = []  # fingerprint, severity, payload; in run order
    seen: set[str] = set()
    for finding in run.findings:
        payload = finding_payload(finding)
        sightings.append((finding.fingerprint, finding.severity.value, payload))
        if finding.fingerprint in seen:
            continue  # the same finding twice in one run (two identical sinks): one sighting
        seen.add(finding.fingerprint)
        entry = known.get(finding.fingerprint)
        if entry is None:
            steps = on_sighting(None, finding, run.id)
            row = _new_row(project_id, run.id, when, finding, payload, steps[-1])
            new_rows.append(row)
            events.extend(_Event(finding.fingerprint, step, when, run.id) for step in steps)
            gone = _gone_since(later, finding.kind.value, steps[-1].after, when)
            if gone is not None:
                row.update(status=gone.step.after.value, status_at=gone.at, status_reason=gone.step.reason)
                events.append(dataclasses.replace(gone, fingerprint=finding.fingerprint))
        else:
            newest = when >= entry.last_at
            steps = _sighted(entry, finding, payload, run.id, when)
            events.extend(_Event(finding.fingerprint, step, when, run.id) for step in steps)
            if newest and entry.status.is_open:
                # Not a person's decision made after those later runs began.
                decided = entry.status_at if not steps and entry.status_by != SCANNER else when
                gone = _gone_since(later, entry.kind, entry.status, max(decided, when))
                if gone is not None:
                    _apply(entry, gone.step, gone.at, SCANNER)
                    events.append(dataclasses.replace(gone, fingerprint=finding.fingerprint))
    looked_for = kinds_looked_for(run.stages)
    for fingerprint, entry in known.items():
        if fingerprint in seen or entry.kind not in looked_for or when <= entry.last_at:
            continue
        if entry.status_by != SCANNER and when <= entry.status_at:
            continue  # a person decided after this run began
        step = on_absence(entry.status, run.id, entry.kind)
        if step is not None:
            _apply(entry, step, when, SCANNER)
            events.append(_Event(fingerprint, step, when, run.id))
    ids = {fingerprint: entry.id for fingerprint, entry in known.items()}
    if new_rows:
        # Plain executemany, then the ids by fingerprint: RETURNING in parameter order makes
        # SQLAlchemy splice batches back together, which took most of a 10,000-finding save.
        session.execute(insert(Base.metadata.tables["findings"]), new_rows)
        ids.update(
            session.execute(
                select(FindingRow.fingerprint, FindingRow.id).where(
                    FindingRow.project_id == project_id,
                    FindingRow.first_seen_run_id == run.id,
                )
            ).all()
        )
    changed = [{"id": entry.id, **entry.changes} for entry in known.values() if entry.changes]
    if changed:
        session.execute(update(FindingRow), changed)
    if sightings:
        session.execute(
            insert(Base.metadata.tables["run_findings"]),
            [
                {
                    "run_id": run.id,
                    "position": position,
                    "finding_id": ids[fp],
                    "severity": sev,
                    "payload": payload,
                }
                for position, (fp, sev, payload) in enumerate(sightings)
            ],
        )
    if events:
        session.execute(
            insert(Base.metadata.tables["finding_events"]),
            [event_values(ids[e.fingerprint], e.step, e.at, SCANNER, e.run) for e in events],
        )


@dataclass(frozen=True, slots=True)
class _Event:
    fingerprint: str
    step: Transition
    at: datetime
    run: str


def _later_runs(session: Session, project_id: int, when: datetime) -> list[tuple[str, datetime, set[str]]]:
    """The project's runs saved already that started after `when`, oldest first, with the kinds
    of finding each looked for."""
    query = (
        select(RunRow.id, RunRow.started, RunRow.stages)
        .where(RunRow.project_id == project_id, RunRow.started > when)
        .order_by(RunRow.started, RunRow.id)
    )
    return [(run_id, started, kinds_looked_for(stages)) for run_id, started, stages in session.execute(query)]


def _gone_since(
    later: list[tuple[str, datetime, set[str]]], kind: str, status: FindingStatus, after: datetime
) -> _Event | None:
    """For a finding sighted by a run older than runs saved before it: the first of those newer
    runs (started after `after`) that looked for its kind, which, not having seen it (else this
    sighting would not be its newest), fixed it."""
    for run_id, started, kinds in later:
        if started > after and kind in kinds:
            step = on_absence(status, run_id, kind)
            return _Event("", step, started, run_id) if step is not None else None
    return None


def _known(session: Session, project_id: int) -> dict[str, _Known]:
    first, last = aliased(RunRow), aliased(RunRow)
    query = (
        select(
            FindingRow.fingerprint,
            FindingRow.id,
            FindingRow.kind,
            FindingRow.status,
            FindingRow.status_at,
            FindingRow.status_by,
            FindingRow.opened_at,
            first.started,
            last.started,
        )
        .join(first, FindingRow.first_seen_run_id == first.id)
        .join(last, FindingRow.last_seen_run_id == last.id)
        .where(FindingRow.project_id == project_id)
    )
    rows = session.execute(query)
    return {
        fingerprint: _Known(id_, kind, FindingStatus(status), at, by, opened_at, first_at, last_at)
        for fingerprint, id_, kind, status, at, by, opened_at, first_at, last_at in rows
    }


def _sighted(entry: _Known, finding: Finding, payload: str, run_id: str, when: datetime) -> list[Transition]:
    changes = entry.changes
    if when < entry.first_at:
        changes["first_seen_run_id"] = run_id
        if entry.status in _FIRST_EXPOSURE and entry.opened_at == entry.first_at:
            changes["opened_at"] = when  # the first exposure began earlier than was known
    if when < entry.last_at:
        return []  # an older sighting: the newer one stays the finding's current form
    changes.update(last_seen_run_id=run_id, payload=payload, **_columns(finding))
    if entry.status is FindingStatus.FIXED and when <= entry.status_at:
        return []  # seen before the run that found it gone
    steps = on_sighting(entry.status, finding, run_id)
    if steps and steps[0].after is FindingStatus.REOPENED:
        changes["opened_at"] = when  # a new exposure, with a new patch window
    for step in steps:
        _apply(entry, step, when, SCANNER)
    return steps


def _apply(entry: _Known, step: Transition, when: datetime, who: str) -> None:
    entry.status = step.after
    # A run never accepts a risk, so whatever it moves a finding to has no acceptance day.
    entry.changes.update(
        status=step.after.value, status_at=when, status_by=who, status_reason=step.reason, accepted_until=None
    )


def _new_row(
    project_id: int, run_id: str, when: datetime, finding: Finding, payload: str, last: Transition
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "fingerprint": finding.fingerprint,
        "first_seen_run_id": run_id,
        "last_seen_run_id": run_id,
        "status": last.after.value,
        "status_at": when,
        "status_by": SCANNER,
        "status_reason": last.reason,
        "accepted_until": None,
        "opened_at": when,
        "payload": payload,
        **_columns(finding),
    }


def _columns(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind.value,
        "rule_id": finding.rule_id,
        "title": finding.title,
        "cwe": finding.cwe,
        "severity": finding.severity.value,
        "in_kev": finding.exploitation is not None and finding.exploitation.in_kev,
        "risk": finding.risk,
    }


def kinds_looked_for(stages: Sequence[str]) -> set[str]:
    # A run that names no stages was made by something other than a scan: take it as complete.
    if not stages:
        return {kind.value for kind in FindingKind}
    return {kind.value for kind, stage in STAGES_BY_KIND.items() if stage in stages}
