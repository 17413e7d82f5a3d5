"""Records' findings fields in columns, each package's records compiled for matching, and a
marker of the compiled form.

Revision ID: adv0002
Revises: adv0001
Created: 2026-11-30

The new columns and `advisory_matching` are derived from each record's JSON; the store fills
them when the marker in `advisory_meta` is not the current one (right after this migration, and
whenever the compiled form or the version libraries change), so no data is touched here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "adv0002"
down_revision: str | None = "adv0001"
branch_labels: str | None = None
depends_on: str | None = None

_TEXT_COLUMNS = ("summary", "details", "aliases", "vectors")


def upgrade() -> None:
    with op.batch_alter_table("advisory_records") as batch:
        for name in _TEXT_COLUMNS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("text_severity", sa.String(), nullable=True))
    op.create_table(
        "advisory_matching",
        sa.Column("ecosystem", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("ecosystem", "name", name="pk_advisory_matching"),
    )
    op.create_table(
        "advisory_meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_advisory_meta"),
    )


def downgrade() -> None:
    op.drop_table("advisory_meta")
    op.drop_table("advisory_matching")
    with op.batch_alter_table("advisory_records") as batch:
        for name in (*_TEXT_COLUMNS, "text_severity"):
            batch.drop_column(name)
