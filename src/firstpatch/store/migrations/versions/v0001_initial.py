"""The initial schema: projects, runs, findings tracked by fingerprint, and which run saw which.

Revision ID: 0001
Revises:
Created: 2026-11-29

Written out in full rather than imported from `tables.py`: a migration must keep creating the
schema as it was at this revision, whatever the models become later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("target", name=op.f("uq_projects_target")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tool_version", sa.String(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_runs_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_project_id_started"), "runs", ["project_id", "started"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("first_seen_run_id", sa.String(), nullable=False),
        sa.Column("last_seen_run_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("rule_id", sa.String(), nullable=False),
        sa.Column("cwe", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_seen_run_id"], ["runs.id"], name=op.f("fk_findings_first_seen_run_id_runs")
        ),
        sa.ForeignKeyConstraint(
            ["last_seen_run_id"], ["runs.id"], name=op.f("fk_findings_last_seen_run_id_runs")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_findings_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("project_id", "fingerprint", name=op.f("uq_findings_project_id_fingerprint")),
    )
    op.create_table(
        "run_findings",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_run_findings_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_findings_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_run_findings")),
    )
    op.create_index(op.f("ix_run_findings_finding_id"), "run_findings", ["finding_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_run_findings_finding_id"), table_name="run_findings")
    op.drop_table("run_findings")
    op.drop_table("findings")
    op.drop_index(op.f("ix_runs_project_id_started"), table_name="runs")
    op.drop_table("runs")
    op.drop_table("projects")
