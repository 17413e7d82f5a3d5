"""The advisory tables, brought up to date by their own Alembic environment and version table."""

from __future__ import annotations

from firstpatch.store.migrate import Migrations

# The lock spells "fpadvsch".
MIGRATIONS = Migrations(
    "firstpatch.advisories.db:migrations",
    head="adv0002",
    lock=0x667061647673_6368,
    version_table="firstpatch_advisories_alembic",
)
upgrade = MIGRATIONS.upgrade
