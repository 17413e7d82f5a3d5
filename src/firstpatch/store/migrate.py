"""The store's schema brought up to date with Alembic, configured in code (no alembic.ini)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

# A package resource, so that migrations are found wherever firstpatch is installed.
SCRIPT_LOCATION = "firstpatch.store:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for our migrations; with `connection`, env.py migrates that connection."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision this firstpatch ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for a database Alembic never touched."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision` in one transaction: a failed migration leaves the schema as it was
    where the dialect has transactional DDL (PostgreSQL, SQLite)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
