"""The dashboard's tables brought up to date by their own Alembic environment and version table."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, inspect, select

from firstpatch.store.engine import WRITES

SCRIPT_LOCATION = "firstpatch.web:migrations"
VERSION_TABLE = "firstpatch_web_alembic"
# PostgreSQL advisory locks are named by integers; this one spells "fpwebsch".
_LOCK = 0x6670776562736368


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The dashboard schema's revision; None when the database never had its tables."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(engine: Engine) -> None:
    """Create or migrate the dashboard's tables in one transaction; concurrent openers take turns."""
    with engine.connect() as connection:
        if current_revision(connection) == head_revision():
            return
    with engine.connect() as connection, connection.execution_options(**{WRITES: True}).begin():
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_LOCK)))
        command.upgrade(_config(connection), "head")
