"""Schemas brought up to date with Alembic, configured in code (no alembic.ini).

Three packages keep tables in one database, each with its own Alembic environment and version
table: the store's runs and findings, the advisories, the dashboard's accounts. Opening any of
them checks its revision with a plain query against the head it ships; Alembic itself, which
takes longer to import than a small scan takes to run, loads only when there is migrating to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, column, func, inspect, select, table

from firstpatch.store.engine import WRITES
from firstpatch.store.interface import StoreError

if TYPE_CHECKING:
    from alembic.config import Config


@dataclass(frozen=True)
class Migrations:
    """One Alembic environment: where its scripts are, its newest revision, its version table."""

    script_location: str  # a package resource, so that scripts are found wherever firstpatch is
    head: str  # the newest revision shipped; a test holds it to what the scripts say
    lock: int  # a PostgreSQL advisory lock, named by any fixed integer
    version_table: str = "alembic_version"

    def config(self, connection: Connection | None = None) -> Config:
        """An Alembic config for these scripts; with `connection`, env.py migrates that connection."""
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", self.script_location)
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def script_head(self) -> str | None:
        """The head as Alembic reads it from the scripts."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self.config()).get_current_head()

    def current_revision(self, connection: Connection) -> str | None:
        """The revision the database is at; None when these tables were never created."""
        if not inspect(connection).has_table(self.version_table):
            return None
        versions = table(self.version_table, column("version_num"))
        return connection.execute(select(versions.c.version_num)).scalar()

    def upgrade(self, engine: Engine, revision: str = "head") -> None:
        """Migrate to `revision` in one transaction: a failed migration leaves the schema as it
        was. Several workers may open a new database at once; they take turns (an advisory lock
        on PostgreSQL, the write lock on SQLite) and the later ones find nothing left to do."""
        if revision == "head":
            with engine.connect() as connection:
                if self.current_revision(connection) == self.head:
                    return
        from alembic import command

        with self._migrating(engine) as connection:
            command.upgrade(self.config(connection), revision)

    def downgrade(self, engine: Engine, revision: str) -> None:
        """Migrate down to `revision` (tests and recovery; firstpatch never does it on its own)."""
        from alembic import command

        with self._migrating(engine) as connection:
            command.downgrade(self.config(connection), revision)

    @contextmanager
    def _migrating(self, engine: Engine) -> Iterator[Connection]:
        """A connection in a write transaction that migrations may alter tables in, one at a time."""
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Alembic rebuilds a table to alter a column on SQLite, which dropping the old
                # table breaks while foreign keys are enforced; the pragma only takes effect
                # outside a transaction, so it is set on the driver's connection before ours begins.
                _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
            try:
                with connection.execution_options(**{WRITES: True}).begin():
                    if connection.dialect.name == "postgresql":
                        connection.execute(select(func.pg_advisory_xact_lock(self.lock)))
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


# The store's runs and findings. The lock spells "fpmigrat".
STORE = Migrations("firstpatch.store:migrations", head="0002", lock=0x66706D6967726174)


def alembic_config(connection: Connection | None = None) -> Config:
    return STORE.config(connection)


def head_revision() -> str:
    """The newest revision of the store's schema this firstpatch ships."""
    return STORE.head


def current_revision(connection: Connection) -> str | None:
    return STORE.current_revision(connection)


def upgrade(engine: Engine, revision: str = "head") -> None:
    STORE.upgrade(engine, revision)


def downgrade(engine: Engine, revision: str) -> None:
    STORE.downgrade(engine, revision)
