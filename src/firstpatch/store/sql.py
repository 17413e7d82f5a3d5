"""`SqlStore`: runs and the findings' lifecycle in any SQLAlchemy database (SQLite, PostgreSQL).

A finding is one row per (project, fingerprint): `first_seen` is the earliest run that saw it,
`last_seen` and `payload` the newest. Each run also keeps every finding as *it* saw it, so that
`load_run` gives back exactly the run that was saved, even after later runs moved the lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, make_url, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, aliased, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from firstpatch.model import (
    Component,
    Finding,
    FindingKind,
    Fingerprint,
    Run,
    RunId,
    Skipped,
    from_json,
    to_json,
)
from firstpatch.model.serialize import finding_payload
from firstpatch.store.interface import FindingStatus, Store, StoreError, TrackedFinding
from firstpatch.store.migrate import upgrade
from firstpatch.store.tables import FindingRow, ProjectRow, RunFindingRow, RunRow, as_utc

T = TypeVar("T")

# The stages that look for each kind of finding. A run that did not look for a kind says nothing
# about whether those findings are still there, so it must not mark them fixed.
_STAGES_BY_KIND = {FindingKind.DEPENDENCY: "advisories", FindingKind.CODE: "analysis"}


class SqlStore(Store):
    def __init__(self, url: str) -> None:
        """Open the database at `url` and migrate it to the newest schema."""
        parsed = _parse(url)
        self._shown = parsed.render_as_string(hide_password=True)
        self._engine = _engine(parsed)
        try:
            with _translated(f"cannot open database {self._shown}"):
                upgrade(self._engine)
        except StoreError:
            self._engine.dispose()
            raise
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    def save_run(self, run: Run) -> None:
        with _translated(f"cannot save run {run.id} to {self._shown}"), self._sessions.begin() as session:
            if session.get(RunRow, run.id) is not None:
                raise StoreError(f"run {run.id} is already stored in {self._shown}")
            project = _project(session, run.target)
            session.add(
                RunRow(
                    id=run.id,
                    project=project,
                    started=run.started,
                    finished=run.finished,
                    tool_version=run.tool_version,
                    stages=list(run.stages),
                    skipped=to_json(run.skipped),
                    components=to_json(run.components),
                )
            )
            session.flush()
            _track(session, project, run)

    def runs(self, target: str | None = None) -> Sequence[Run]:
        with _translated(f"cannot read runs from {self._shown}"), self._sessions() as session:
            query = select(RunRow).order_by(RunRow.started.desc(), RunRow.id.desc())
            if target is not None:
                query = query.join(RunRow.project).where(ProjectRow.target == target)
            return [_run(session, row) for row in session.scalars(query)]

    def load_run(self, run_id: RunId) -> Run:
        with _translated(f"cannot read run {run_id} from {self._shown}"), self._sessions() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise StoreError(f"no run {run_id!r} in {self._shown}")
            return _run(session, row)

    def tracked_findings(self, target: str) -> Sequence[TrackedFinding]:
        first, last = aliased(RunRow), aliased(RunRow)
        query = (
            select(FindingRow, first, last)
            .join(first, FindingRow.first_seen_run_id == first.id)
            .join(last, FindingRow.last_seen_run_id == last.id)
            .join(ProjectRow, FindingRow.project_id == ProjectRow.id)
            .where(ProjectRow.target == target)
            .order_by(first.started, FindingRow.id)
        )
        with _translated(f"cannot read findings from {self._shown}"), self._sessions() as session:
            return [
                TrackedFinding(
                    fingerprint=Fingerprint(row.fingerprint),
                    status=FindingStatus(row.status),
                    first_seen=RunId(first_run.id),
                    first_seen_at=first_run.started,
                    last_seen=RunId(last_run.id),
                    last_seen_at=last_run.started,
                    finding=_decode(Finding, row.payload, row.fingerprint),
                )
                for row, first_run, last_run in session.execute(query)
            ]


def _project(session: Session, target: str) -> ProjectRow:
    project = session.scalars(select(ProjectRow).where(ProjectRow.target == target)).one_or_none()
    if project is None:
        project = ProjectRow(target=target)
        session.add(project)
        session.flush()
    return project


def _track(session: Session, project: ProjectRow, run: Run) -> None:
    """Record what `run` saw and move each of the project's findings along its lifecycle.

    Runs may be saved out of order (a fleet resuming, an import of old reports), so first and
    last sightings are decided by when runs started, not by the order they arrive in.
    """
    query = select(RunRow.id, RunRow.started).where(RunRow.project_id == project.id)
    started: dict[str, datetime] = dict(session.execute(query).all())
    now = as_utc(run.started)
    rows = session.scalars(select(FindingRow).where(FindingRow.project_id == project.id))
    known = {row.fingerprint: row for row in rows}
    seen: set[str] = set()
    for position, finding in enumerate(run.findings):
        payload = finding_payload(finding)
        row = known.get(finding.fingerprint)
        if row is None:
            row = FindingRow(
                project_id=project.id,
                fingerprint=finding.fingerprint,
                first_seen_run_id=run.id,
                last_seen_run_id=run.id,
                status=FindingStatus.OPEN,
                payload=payload,
                **_columns(finding),
            )
            session.add(row)
            known[finding.fingerprint] = row
        else:
            if now < started[row.first_seen_run_id]:
                row.first_seen_run_id = run.id
            if now >= started[row.last_seen_run_id]:
                row.last_seen_run_id = run.id
                row.status = FindingStatus.OPEN
                row.payload = payload
                for name, value in _columns(finding).items():
                    setattr(row, name, value)
        session.add(RunFindingRow(run_id=run.id, position=position, finding=row, payload=payload))
        seen.add(finding.fingerprint)
    looked_for = _kinds_looked_for(run.stages)
    for fingerprint, row in known.items():
        if fingerprint not in seen and row.kind in looked_for and now > started[row.last_seen_run_id]:
            row.status = FindingStatus.FIXED


def _kinds_looked_for(stages: Sequence[str]) -> set[str]:
    # A run that names no stages was made by something other than a scan: take it as complete.
    if not stages:
        return {kind.value for kind in FindingKind}
    return {kind.value for kind, stage in _STAGES_BY_KIND.items() if stage in stages}


def _columns(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind.value,
        "rule_id": finding.rule_id,
        "cwe": finding.cwe,
        "severity": finding.severity.value,
    }


def _run(session: Session, row: RunRow) -> Run:
    payloads = session.scalars(
        select(RunFindingRow.payload).where(RunFindingRow.run_id == row.id).order_by(RunFindingRow.position)
    )
    return Run(
        id=RunId(row.id),
        target=row.project.target,
        started=row.started,
        finished=row.finished,
        tool_version=row.tool_version,
        findings=tuple(_decode(Finding, payload, row.id) for payload in payloads),
        components=tuple(_decode(Component, item, row.id) for item in row.components),
        skipped=tuple(_decode(Skipped, item, row.id) for item in row.skipped),
        stages=tuple(row.stages),
    )


def _decode(cls: type[T], data: Any, where: str) -> T:
    """A stored value back as its model type; `data` is JSON text or already-parsed JSON."""
    try:
        return from_json(cls, json.loads(data) if isinstance(data, str) else data)
    except (TypeError, KeyError, ValueError) as exc:
        raise StoreError(f"{where}: a stored {cls.__name__} does not match findings-v1: {exc}") from exc


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        # The text is not echoed: a mistyped URL may still hold a password.
        raise StoreError(
            "not a database URL; expected e.g. sqlite:///path/to/firstpatch.db "
            "or postgresql+psycopg://user@host/dbname"
        ) from None


def _engine(url: URL) -> Engine:
    shown = url.render_as_string(hide_password=True)
    options: dict[str, Any] = {}
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if in_memory:
        # Every connection to ":memory:" is a new, empty database: share one.
        options["poolclass"] = StaticPool
    try:
        engine = create_engine(url, **options)
    except NoSuchModuleError:
        raise StoreError(f"{shown}: unknown database kind {url.drivername!r}") from None
    except ImportError as exc:
        raise StoreError(f"{shown}: the driver for {url.drivername} is not installed ({exc.name})") from None
    except ArgumentError as exc:
        raise StoreError(f"{shown}: {_first_line(exc)}") from None
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys)
    return engine


def _sqlite_foreign_keys(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """SQLAlchemy's and Alembic's errors as a one-line `StoreError` saying what failed."""
    try:
        yield
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        raise StoreError(f"{action}: {_first_line(orig if orig is not None else exc)}") from exc
    except CommandError as exc:
        # Alembic's usual complaint here: the database was migrated by a newer firstpatch.
        raise StoreError(f"{action}: {_first_line(exc)} (was it written by a newer firstpatch?)") from exc
    except OSError as exc:
        raise StoreError(f"{action}: {exc.strerror or exc}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
