"""The store's tables as SQLAlchemy ORM classes; `migrations/` creates them in a database.

Dialect-neutral on purpose (SQLite by default, PostgreSQL for a team): unbounded strings, the
generic JSON type, and times kept as UTC instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Named constraints let a later migration drop or alter them on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """SQLite keeps no time zone and PostgreSQL returns its session's: store UTC, return aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProjectRow(Base):
    """One scanned target, named by its path (or other target string) as the run gave it."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String, unique=True)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (Index(None, "project_id", "started"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    started: Mapped[datetime] = mapped_column(UtcDateTime)
    finished: Mapped[datetime] = mapped_column(UtcDateTime)
    tool_version: Mapped[str] = mapped_column(String)
    # findings-v1 JSON of the run's parts that are not findings, kept whole for load_run.
    stages: Mapped[list[str]] = mapped_column(JSON)
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    project: Mapped[ProjectRow] = relationship()


class FindingRow(Base):
    """A finding tracked across the runs of one project: one row per fingerprint.

    The row holds the current state; `finding_events` holds how it got there.
    """

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("project_id", "fingerprint"),
        Index(None, "project_id", "status"),
        Index(None, "status", "accepted_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    fingerprint: Mapped[str] = mapped_column(String)
    first_seen_run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    last_seen_run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    status: Mapped[str] = mapped_column(String)
    # The newest transition, copied from its event so that lists need no join.
    status_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_by: Mapped[str] = mapped_column(String)
    status_reason: Mapped[str] = mapped_column(Text)
    accepted_until: Mapped[date | None] = mapped_column(Date)  # last day a risk acceptance holds
    # Start of the current exposure, from which the patch window is counted.
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Copied out of the payload so that the dashboard can filter and count without decoding JSON.
    kind: Mapped[str] = mapped_column(String)
    rule_id: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(Text)
    cwe: Mapped[int | None] = mapped_column()
    severity: Mapped[str] = mapped_column(String)
    in_kev: Mapped[bool] = mapped_column(Boolean)
    risk: Mapped[float] = mapped_column(Float)
    payload: Mapped[str] = mapped_column(Text)  # findings-v1 JSON of the newest sighting

    first_seen: Mapped[RunRow] = relationship(foreign_keys=[first_seen_run_id])
    last_seen: Mapped[RunRow] = relationship(foreign_keys=[last_seen_run_id])


class RunFindingRow(Base):
    """That a run saw a finding, and the finding as that run saw it (lines and proof change)."""

    __tablename__ = "run_findings"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)  # order within the run
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    severity: Mapped[str] = mapped_column(String)  # as this run rated it, for per-run counts
    payload: Mapped[str] = mapped_column(Text)

    finding: Mapped[FindingRow] = relationship()


class EventRow(Base):
    """One transition of a finding's status: appended, never updated, so history is kept whole."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), index=True)  # the run that caused it
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    who: Mapped[str] = mapped_column(String)
    from_status: Mapped[str | None] = mapped_column(String)  # None for the first sighting
    to_status: Mapped[str] = mapped_column(String)
    reason: Mapped[str] = mapped_column(Text)
