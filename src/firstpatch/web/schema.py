"""The dashboard's tables, brought up to date by their own Alembic environment and version table."""

from __future__ import annotations

from firstpatch.store.migrate import Migrations

# The lock spells "fpwebsch".
MIGRATIONS = Migrations(
    "firstpatch.web:migrations",
    head="web0001",
    lock=0x6670776562736368,
    version_table="firstpatch_web_alembic",
)
upgrade = MIGRATIONS.upgrade
