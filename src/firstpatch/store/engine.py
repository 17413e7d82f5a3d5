"""Connecting to the store's database, translating its errors, and retrying lost races.

SQLite and PostgreSQL differ in how concurrent writers collide: SQLite locks the whole file
(a busy database), PostgreSQL detects deadlocks and serialisation failures per transaction.
Both are transient, so a write that meets one is run again from the start.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from firstpatch.store.interface import StoreError

T = TypeVar("T")

# An execution option: connections carrying it begin SQLite transactions with BEGIN IMMEDIATE,
# taking the write lock at once. A deferred transaction that reads and then writes can fail at
# once with "database is locked" instead of waiting for the other writer.
WRITES = "firstpatch_writes"
SQLITE_BUSY_TIMEOUT = 60.0  # seconds a writer waits for another to commit
ATTEMPTS = 6

# PostgreSQL SQLSTATEs that mean "another transaction got there first; try again".
_PG_TRANSIENT = {"40001", "40P01", "23505"}  # serialization_failure, deadlock_detected, unique_violation
_SQLITE_TRANSIENT = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT"}


def parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        # The text is not echoed: a mistyped URL may still hold a password.
        raise StoreError(
            "not a database URL; expected e.g. sqlite:///path/to/firstpatch.db "
            "or postgresql+psycopg://user@host/dbname"
        ) from None


def shown(url: URL) -> str:
    """The URL as errors may print it: without its password."""
    return url.render_as_string(hide_password=True)


def open_engine(url: URL) -> Engine:
    options: dict[str, Any] = {}
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
        if url.database in (None, "", ":memory:"):
            # Every connection to ":memory:" is a new, empty database: share one.
            options["poolclass"] = StaticPool
            options["connect_args"]["check_same_thread"] = False
    try:
        engine = create_engine(url, **options)
    except NoSuchModuleError:
        raise StoreError(f"{shown(url)}: unknown database kind {url.drivername!r}") from None
    except ImportError as exc:
        raise StoreError(
            f"{shown(url)}: the driver for {url.drivername} is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'firstpatch[postgres]'"
        ) from None
    except ArgumentError as exc:
        raise StoreError(f"{shown(url)}: {first_line(exc)}") from None
    if sqlite:
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling never emits BEGIN for reads or DDL; take it over
    # (SQLAlchemy's documented recipe) so that every transaction is one, and migrations are atomic.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def retrying(action: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """`action()`, run again after a short random pause when it lost a race to another writer."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
        # Jittered exponential backoff, so that colliding writers do not collide again.
        time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not secrecy
    raise AssertionError("unreachable: the last attempt returns or raises")


def is_transient(exc: DBAPIError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_TRANSIENT:
        return True
    return getattr(orig, "sqlite_errorname", None) in _SQLITE_TRANSIENT


@contextmanager
def translated(action: str) -> Iterator[None]:
    """SQLAlchemy's and Alembic's errors as a one-line `StoreError` saying what failed."""
    try:
        yield
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        raise StoreError(f"{action}: {first_line(orig if orig is not None else exc)}") from exc
    except OSError as exc:
        raise StoreError(f"{action}: {exc.strerror or exc}") from exc
    except Exception as exc:
        # Alembic's usual complaint here: the database was migrated by a newer firstpatch.
        # (Alembic loads only to migrate, so without it loaded no error can be its own.)
        alembic = sys.modules.get("alembic.util")
        if alembic is None or not isinstance(exc, alembic.CommandError):
            raise
        raise StoreError(f"{action}: {first_line(exc)} (was it written by a newer firstpatch?)") from exc


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
