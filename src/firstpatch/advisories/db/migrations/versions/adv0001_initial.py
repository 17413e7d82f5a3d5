"""The advisory tables: OSV records and their package index, KEV, EPSS, and sources.

Revision ID: adv0001
Revises:
Created: 2026-11-29

Written out in full rather than imported from `tables.py`: a migration must keep creating the
schema as it was at this revision, whatever the tables become later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "adv0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "advisory_records",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_advisory_records"),
    )
    op.create_index("ix_advisory_records_digest", "advisory_records", ["digest"])
    op.create_table(
        "advisory_packages",
        sa.Column("ecosystem", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["advisory_records.id"],
            name="fk_advisory_packages_record_id_advisory_records",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ecosystem", "name", "record_id", name="pk_advisory_packages"),
    )
    op.create_index("ix_advisory_packages_record_id", "advisory_packages", ["record_id"])
    op.create_table(
        "advisory_kev",
        sa.Column("cve", sa.String(), nullable=False),
        sa.Column("vendor", sa.String(), nullable=False),
        sa.Column("product", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("date_added", sa.String(), nullable=False),
        sa.Column("due_date", sa.String(), nullable=True),
        sa.Column("ransomware", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("cve", name="pk_advisory_kev"),
    )
    op.create_table(
        "advisory_epss",
        sa.Column("cve", sa.String(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("percentile", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("cve", name="pk_advisory_epss"),
    )
    op.create_table(
        "advisory_sources",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_advisory_sources"),
    )


def downgrade() -> None:
    for table in (
        "advisory_sources",
        "advisory_epss",
        "advisory_kev",
        "advisory_packages",
        "advisory_records",
    ):
        op.drop_table(table)
