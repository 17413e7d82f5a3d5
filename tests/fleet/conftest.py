"""A real local Ray instance for the session, and a fresh PostgreSQL database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from firstpatch.fleet import Cluster, ray_cluster


@pytest.fixture(scope="session")
def ray_session() -> Iterator[Cluster]:
    """One local Ray instance with two CPUs for the whole session, shut down at its end."""
    pytest.importorskip("ray", reason="the fleet extra is not installed (pip install 'firstpatch[fleet]')")
    with ray_cluster(workers=2) as cluster:
        yield cluster


@pytest.fixture
def fleet_db(postgres_url: str) -> Iterator[str]:
    """An empty database of its own on the session's PostgreSQL server: the fleet's tables and the
    store's never meet another test's."""
    name = f"fleet_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        server.dispose()
