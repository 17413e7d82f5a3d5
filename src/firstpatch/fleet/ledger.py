"""The fleet's own bookkeeping, in the store's database beside the store's tables.

The store keeps runs and findings; it has no place for a target that failed, for a fleet run's
progress, or for which revision of which target a configuration has scanned. Those live here,
in `fleet_*` tables that this module creates itself (`create_all`, no migrations of its own yet),
written only by the driver.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from firstpatch.fleet.interface import FleetTarget
from firstpatch.store import StoreError

_CHUNK = 500  # names per IN (...) list


class TaskState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"  # scanned, run saved
    UNCHANGED = "unchanged"  # at a revision this configuration had scanned: nothing to do
    FAILED = "failed"


class FleetState(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"  # stopped by the user; a re-run resumes
    ABORTED = "aborted"  # the store could not be written


class _Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class FleetRunRow(_Base):
    __tablename__ = "fleet_runs"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String)  # the target list, as given
    configuration: Mapped[str] = mapped_column(String)
    state: Mapped[str] = mapped_column(String)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


class FleetTaskRow(_Base):
    __tablename__ = "fleet_tasks"
    __table_args__ = (UniqueConstraint("fleet_run_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fleet_run_id: Mapped[str] = mapped_column(ForeignKey("fleet_runs.id"), index=True)
    position: Mapped[int] = mapped_column()  # in the list
    target: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    state: Mapped[str] = mapped_column(String)
    revision: Mapped[str | None] = mapped_column(String)
    run_id: Mapped[str | None] = mapped_column(String)  # the store's run, when done or unchanged
    reason: Mapped[str | None] = mapped_column(Text)  # why it failed
    started: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScannedRow(_Base):
    """That a configuration scanned a target at a revision, and the run it saved."""

    __tablename__ = "fleet_scanned"

    target: Mapped[str] = mapped_column(String, primary_key=True)
    revision: Mapped[str] = mapped_column(String, primary_key=True)
    configuration: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String)
    scanned: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class TaskRecord:
    position: int
    target: str
    kind: str
    state: TaskState
    revision: str | None
    run_id: str | None
    reason: str | None
    started: datetime | None
    finished: datetime | None


@dataclass(frozen=True, slots=True)
class FleetRecord:
    id: str
    source: str
    configuration: str
    state: FleetState
    started: datetime
    finished: datetime | None
    settings: dict[str, Any]
    tasks: tuple[TaskRecord, ...]

    def count(self, *states: TaskState) -> int:
        return sum(task.state in states for task in self.tasks)


class FleetLedger:
    def __init__(self, url: str, *, create_tables: bool = True) -> None:
        """The ledger in the database at `url`, its tables created if need be. A reader that
        does not own the database's schema (the dashboard) passes `create_tables=False` and
        reads with `newest`, which finds no fleet run while the tables are absent."""
        try:
            self._engine = _engine(url)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StoreError(f"not a database URL the fleet can open: {_first_line(exc)}") from None
        except ImportError as exc:
            raise StoreError(f"the database driver is not installed ({exc.name})") from None
        self._shown = self._engine.url.render_as_string(hide_password=True)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        if not create_tables:
            return
        try:
            self._create_tables()
        except StoreError:
            self._engine.dispose()
            raise

    def __enter__(self) -> FleetLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    def begin(
        self, source: str, targets: Sequence[FleetTarget], configuration: str, settings: dict[str, Any]
    ) -> str:
        """A new fleet run with every target pending; its id."""
        fleet_id = uuid.uuid4().hex
        now = _now()
        with self._session("start a fleet run") as session:
            session.add(
                FleetRunRow(
                    id=fleet_id,
                    source=source,
                    configuration=configuration,
                    state=FleetState.RUNNING,
                    started=now,
                    settings=settings,
                )
            )
            session.flush()
            session.add_all(
                FleetTaskRow(
                    fleet_run_id=fleet_id,
                    position=position,
                    target=target.name,
                    kind=target.kind,
                    state=TaskState.PENDING,
                )
                for position, target in enumerate(targets)
            )
        return fleet_id

    def scanned(self, targets: Sequence[str], configuration: str) -> dict[str, dict[str, str]]:
        """For each target, the revisions `configuration` has scanned and the run each saved."""
        found: dict[str, dict[str, str]] = {}
        with self._session("read scanned revisions") as session:
            for start in range(0, len(targets), _CHUNK):
                query = select(ScannedRow).where(
                    ScannedRow.configuration == configuration,
                    ScannedRow.target.in_(targets[start : start + _CHUNK]),
                )
                for row in session.scalars(query):
                    found.setdefault(row.target, {})[row.revision] = row.run_id
        return found

    def started(self, fleet_id: str, position: int) -> None:
        self._set(fleet_id, [position], state=TaskState.RUNNING, started=_now(), finished=None, reason=None)

    def settle(
        self,
        fleet_id: str,
        position: int,
        state: TaskState,
        revision: str | None = None,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        """A task's end: done (with its run), unchanged, or failed (with why)."""
        self._set(
            fleet_id,
            [position],
            state=state,
            revision=revision,
            run_id=run_id,
            reason=reason,
            finished=_now(),
        )

    def scanned_into(
        self, fleet_id: str, position: int, target: str, revision: str, configuration: str, run_id: str
    ) -> None:
        """A task done: its run saved, and that `configuration` has scanned `target` at
        `revision` (kept once), in one transaction."""
        try:
            self._scanned_into(fleet_id, position, target, revision, configuration, run_id, record=True)
        except StoreError as exc:
            # Another fleet recorded the same scan between the look and the insert: it is kept.
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            self._scanned_into(fleet_id, position, target, revision, configuration, run_id, record=False)

    def _scanned_into(
        self,
        fleet_id: str,
        position: int,
        target: str,
        revision: str,
        configuration: str,
        run_id: str,
        *,
        record: bool,
    ) -> None:
        with self._session("record a finished task") as session:
            if record and session.get(ScannedRow, (target, revision, configuration)) is None:
                session.add(
                    ScannedRow(
                        target=target,
                        revision=revision,
                        configuration=configuration,
                        run_id=run_id,
                        scanned=_now(),
                    )
                )
            session.execute(
                update(FleetTaskRow)
                .where(FleetTaskRow.fleet_run_id == fleet_id, FleetTaskRow.position == position)
                .values(state=TaskState.DONE, revision=revision, run_id=run_id, reason=None, finished=_now())
            )

    def requeue(self, fleet_id: str, positions: Sequence[int]) -> None:
        """Tasks that were running when the fleet stopped: pending again, for a re-run to resume."""
        if positions:
            self._set(fleet_id, positions, state=TaskState.PENDING, started=None)

    def end(self, fleet_id: str, state: FleetState) -> FleetRecord:
        """Close the fleet run in `state`; the run as recorded, read in the same transaction."""
        with self._session("finish a fleet run") as session:
            session.execute(
                update(FleetRunRow).where(FleetRunRow.id == fleet_id).values(state=state, finished=_now())
            )
            run = session.get(FleetRunRow, fleet_id)
            if run is None:
                raise StoreError(f"no fleet run {fleet_id!r} in {self._shown}")
            return _record(session, run)

    def fleet(self, fleet_id: str | None = None) -> FleetRecord:
        """A fleet run and its tasks: the one named (an id or a unique prefix), else the newest."""
        with self._session("read fleet runs") as session:
            query = select(FleetRunRow).order_by(FleetRunRow.started.desc())
            if fleet_id is not None:
                query = query.where(FleetRunRow.id.startswith(fleet_id, autoescape=True))
            rows = session.scalars(query.limit(2)).all()
            if not rows:
                wanted = f"no fleet run {fleet_id!r}" if fleet_id else "no fleet run yet"
                raise StoreError(f"{wanted} in {self._shown}")
            if fleet_id is not None and len(rows) > 1 and rows[0].id != fleet_id:
                raise StoreError(f"{fleet_id!r} names more than one fleet run in {self._shown}")
            return _record(session, rows[0])

    def newest(self) -> FleetRecord | None:
        """The newest fleet run; None when there is none, or no fleet tables (nothing is made)."""
        with self._session("read fleet runs") as session:
            inspector = inspect(session.connection())
            if not all(inspector.has_table(row.__tablename__) for row in (FleetRunRow, FleetTaskRow)):
                return None
            run = session.scalars(select(FleetRunRow).order_by(FleetRunRow.started.desc()).limit(1)).first()
            return _record(session, run) if run is not None else None

    def _set(self, fleet_id: str, positions: Sequence[int], **values: Any) -> None:
        with self._session("update a fleet task") as session:
            session.execute(
                update(FleetTaskRow)
                .where(FleetTaskRow.fleet_run_id == fleet_id, FleetTaskRow.position.in_(positions))
                .values(**values)
            )

    def _create_tables(self) -> None:
        try:
            with self._session("create the fleet tables") as session:
                _Base.metadata.create_all(session.connection())
        except StoreError:
            # Two fleets starting at once on an empty PostgreSQL database both try to create the
            # tables; the loser finds them made on its second look.
            with self._session("create the fleet tables") as session:
                _Base.metadata.create_all(session.connection())

    @contextmanager
    def _session(self, action: str) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None)
            raise StoreError(f"cannot {action} in {self._shown}: {_first_line(orig or exc)}") from exc


def _record(session: Session, run: FleetRunRow) -> FleetRecord:
    tasks = session.scalars(
        select(FleetTaskRow).where(FleetTaskRow.fleet_run_id == run.id).order_by(FleetTaskRow.position)
    )
    return FleetRecord(
        id=run.id,
        source=run.source,
        configuration=run.configuration,
        state=FleetState(run.state),
        started=_utc(run.started),
        finished=_utc(run.finished) if run.finished else None,
        settings=dict(run.settings),
        tasks=tuple(
            TaskRecord(
                position=task.position,
                target=task.target,
                kind=task.kind,
                state=TaskState(task.state),
                revision=task.revision,
                run_id=task.run_id,
                reason=task.reason,
                started=_utc(task.started) if task.started else None,
                finished=_utc(task.finished) if task.finished else None,
            )
            for task in tasks
        ),
    )


@functools.lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    """One engine per database for the process, as SQLAlchemy advises: a driver that runs fleet
    after fleet (a scheduler) keeps its compiled statements instead of compiling them again for
    each run; `close` only returns the engine's connections."""
    return create_engine(url)


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone; what went in was UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
