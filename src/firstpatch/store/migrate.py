"""The store's schema brought up to date with Alembic, configured in code (no alembic.ini)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, select

from firstpatch.store.engine import WRITES
from firstpatch.store.interface import StoreError

# A package resource, so that migrations are found wherever firstpatch is installed.
SCRIPT_LOCATION = "firstpatch.store:migrations"
# Any fixed number: PostgreSQL advisory locks are named by integers. Spells "fpmigrat".
_MIGRATION_LOCK = 0x66706D6967726174


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for our migrations; with `connection`, env.py migrates that connection."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest revision this firstpatch ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for a database Alembic never touched."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision` in one transaction: a failed migration leaves the schema as it was.

    Several workers may open a new database at once; they take turns (an advisory lock on
    PostgreSQL, the write lock on SQLite) and the later ones find nothing left to do.
    """
    if revision == "head":
        with engine.connect() as connection:
            if current_revision(connection) == head_revision():
                return
    with _migrating(engine) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate down to `revision` (tests and recovery; firstpatch never does it on its own)."""
    with _migrating(engine) as connection:
        command.downgrade(alembic_config(connection), revision)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction that migrations may alter tables in, one at a time."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Alembic rebuilds a table to alter a column on SQLite, which dropping the old table
            # breaks while foreign keys are enforced; the pragma only takes effect outside a
            # transaction, so it is set on the driver's connection before ours begins.
            _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
        try:
            with connection.execution_options(**{WRITES: True}).begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise StoreError("a migration left rows that point at rows that are gone")
        finally:
            if sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()
