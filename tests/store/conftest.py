"""Every store test runs on SQLite and on the real PostgreSQL server from tests/conftest.py.

Each PostgreSQL test gets a schema of its own on the session's server, created empty and dropped
afterwards, so that tests neither see each other's rows nor depend on the order they run in (a
schema takes milliseconds to create where a database takes half a second). The store's URL names
it as libpq's search_path, the way a team would point firstpatch at a schema of a shared server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from firstpatch.store import SqlStore, sqlite_url

BACKENDS = ["sqlite", "postgresql"]


def _fresh_postgres_database(server_url: str) -> Iterator[str]:
    name = f"fp_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.schema.CreateSchema(name))
        url = sa.make_url(server_url).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(sa.schema.DropSchema(name, cascade=True))
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "firstpatch.db")
        return
    yield from _fresh_postgres_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def postgres_db_url(postgres_url: str) -> Iterator[str]:
    """An empty PostgreSQL database only, for tests about PostgreSQL's own behaviour."""
    yield from _fresh_postgres_database(postgres_url)


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    with SqlStore(db_url) as opened:
        yield opened


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """A plain engine on the same database, for looking at rows the way another client would."""
    opened = sa.create_engine(db_url)
    yield opened
    opened.dispose()
