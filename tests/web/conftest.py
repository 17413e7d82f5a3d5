"""Fixtures for the dashboard tests: a seeded store on SQLite and on the real PostgreSQL server
from tests/conftest.py (a schema of its own per test), with its accounts."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from web_site import Site, build_site, cheap_hasher, open_site, populate

from firstpatch.store import SqlStore, sqlite_url
from firstpatch.web import Accounts


def _postgres_schema(server_url: str) -> Iterator[str]:
    name = f"fpweb_{uuid.uuid4().hex[:16]}"
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


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind the dashboard runs on."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "firstpatch.db")
        return
    yield from _postgres_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "firstpatch.db")


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A seeded SQLite database, made once; each test works on a copy of the file."""
    path = tmp_path_factory.mktemp("seeded") / "firstpatch.db"
    url = sqlite_url(path)
    with SqlStore(url) as store, Accounts(url, cheap_hasher()) as accounts:
        tokens = populate(store, accounts)
    return path, tokens


@pytest.fixture
def site(seeded_sqlite: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Site]:
    """The dashboard over a seeded SQLite store of its own."""
    template, tokens = seeded_sqlite
    copy = tmp_path / "firstpatch.db"
    shutil.copyfile(template, copy)
    yield from open_site(sqlite_url(copy), tokens)


@pytest.fixture
def any_site(any_db_url: str) -> Iterator[Site]:
    """The dashboard over a seeded store on SQLite and on PostgreSQL."""
    yield from build_site(any_db_url)
