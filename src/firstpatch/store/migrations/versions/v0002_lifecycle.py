"""The finding lifecycle: statuses beyond open/fixed, an event per transition, patch windows.

Revision ID: 0002
Revises: 0001
Created: 2026-11-29

Findings gain their current state (when and by whom it was set, a risk acceptance's last day,
when the current exposure began) and the columns that lists and counts need without decoding
JSON; `finding_events` keeps every transition. Each run's sightings gain their severity so that
a run's counts are those of that run. Existing rows are carried over: an open finding becomes
new, confirmed or patched by what its newest sighting holds, and gets one event saying so.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

CARRIED_OVER = "carried over from a store without lifecycle history"

# Lightweight tables for the data migration: the schema as it is at this revision, not the models.
_runs = sa.table("runs", sa.column("id", sa.String), sa.column("started", sa.DateTime(timezone=True)))
_findings = sa.table(
    "findings",
    sa.column("id", sa.Integer),
    sa.column("first_seen_run_id", sa.String),
    sa.column("last_seen_run_id", sa.String),
    sa.column("status", sa.String),
    sa.column("payload", sa.Text),
    sa.column("status_at", sa.DateTime(timezone=True)),
    sa.column("status_by", sa.String),
    sa.column("status_reason", sa.Text),
    sa.column("opened_at", sa.DateTime(timezone=True)),
    sa.column("title", sa.Text),
    sa.column("in_kev", sa.Boolean),
    sa.column("risk", sa.Float),
)
_run_findings = sa.table(
    "run_findings",
    sa.column("run_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("severity", sa.String),
    sa.column("payload", sa.Text),
)
_events = sa.table(
    "finding_events",
    sa.column("finding_id", sa.Integer),
    sa.column("run_id", sa.String),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("who", sa.String),
    sa.column("from_status", sa.String),
    sa.column("to_status", sa.String),
    sa.column("reason", sa.Text),
)

_FINDING_COLUMNS = (
    ("status_at", sa.DateTime(timezone=True)),
    ("status_by", sa.String()),
    ("status_reason", sa.Text()),
    ("opened_at", sa.DateTime(timezone=True)),
    ("title", sa.Text()),
    ("in_kev", sa.Boolean()),
    ("risk", sa.Float()),
)


def upgrade() -> None:
    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_finding_events_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_finding_events_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_events")),
    )
    op.create_index(op.f("ix_finding_events_finding_id"), "finding_events", ["finding_id"])
    op.create_index(op.f("ix_finding_events_run_id"), "finding_events", ["run_id"])
    # Added nullable, filled in, then made NOT NULL: SQLite can only add a NOT NULL column with
    # a default, and the values come from each row's payload.
    for name, type_ in _FINDING_COLUMNS:
        op.add_column("findings", sa.Column(name, type_, nullable=True))
    op.add_column("findings", sa.Column("accepted_until", sa.Date(), nullable=True))
    op.add_column("run_findings", sa.Column("severity", sa.String(), nullable=True))
    if not context.is_offline_mode():
        # An SQL script (`alembic upgrade --sql`) cannot read rows: it suits a store with no
        # findings yet, and says so by failing on NOT NULL where there are some.
        _carry_over(op.get_bind())
    with op.batch_alter_table("findings") as batch:
        for name, type_ in _FINDING_COLUMNS:
            batch.alter_column(name, existing_type=type_, nullable=False)
        batch.create_index(batch.f("ix_findings_project_id_status"), ["project_id", "status"])
        batch.create_index(batch.f("ix_findings_status_accepted_until"), ["status", "accepted_until"])
    with op.batch_alter_table("run_findings") as batch:
        batch.alter_column("severity", existing_type=sa.String(), nullable=False)


def _carry_over(connection: sa.Connection) -> None:
    started = dict(connection.execute(sa.select(_runs.c.id, _runs.c.started)).all())
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in connection.execute(sa.select(_findings)).all():
        payload = json.loads(row.payload)
        status = "fixed" if row.status == "fixed" else _open_status(payload)
        # When a finding was fixed is not recorded at 0001; its last sighting is the best bound.
        status_at = started[row.last_seen_run_id] if status == "fixed" else started[row.first_seen_run_id]
        exploitation = payload.get("exploitation") or {}
        updates.append(
            {
                "row_id": row.id,
                "status": status,
                "status_at": status_at,
                "status_by": "firstpatch",
                "status_reason": CARRIED_OVER,
                "opened_at": started[row.first_seen_run_id],
                "title": payload.get("title", ""),
                "in_kev": bool(exploitation.get("in_kev", False)),
                "risk": float(payload.get("risk", 0.0)),
            }
        )
        events.append(
            {
                "finding_id": row.id,
                "run_id": row.last_seen_run_id if status == "fixed" else row.first_seen_run_id,
                "at": status_at,
                "who": "firstpatch",
                "from_status": None,
                "to_status": status,
                "reason": CARRIED_OVER,
            }
        )
    if updates:
        values: dict[str, Any] = {key: sa.bindparam(key) for key in updates[0] if key != "row_id"}
        connection.execute(
            _findings.update().where(_findings.c.id == sa.bindparam("row_id")).values(values), updates
        )
        connection.execute(_events.insert(), events)
    severities = [
        {"key_run": run_id, "key_position": position, "severity": json.loads(payload)["severity"]}
        for run_id, position, payload in connection.execute(
            sa.select(_run_findings.c.run_id, _run_findings.c.position, _run_findings.c.payload)
        )
    ]
    if severities:
        connection.execute(
            _run_findings.update()
            .where(_run_findings.c.run_id == sa.bindparam("key_run"))
            .where(_run_findings.c.position == sa.bindparam("key_position"))
            .values(severity=sa.bindparam("severity")),
            severities,
        )


def _open_status(payload: dict[str, Any]) -> str:
    if (payload.get("patch") or {}).get("status") == "verified":
        return "patched"
    if (payload.get("evidence") or {}).get("status") == "confirmed":
        return "confirmed"
    return "new"


def downgrade() -> None:
    # 0001 knew only open and fixed; who decided what, and when, is lost with the events.
    connection = op.get_bind()
    connection.execute(_findings.update().where(_findings.c.status != "fixed").values(status="open"))
    with op.batch_alter_table("run_findings") as batch:
        batch.drop_column("severity")
    with op.batch_alter_table("findings") as batch:
        batch.drop_index(batch.f("ix_findings_status_accepted_until"))
        batch.drop_index(batch.f("ix_findings_project_id_status"))
        batch.drop_column("accepted_until")
        for name, _type in reversed(_FINDING_COLUMNS):
            batch.drop_column(name)
    op.drop_index(op.f("ix_finding_events_run_id"), table_name="finding_events")
    op.drop_index(op.f("ix_finding_events_finding_id"), table_name="finding_events")
    op.drop_table("finding_events")
