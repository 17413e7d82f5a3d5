"""The shipped migrations build exactly the schema the ORM models describe."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from firstpatch.store import SqlStore, sqlite_url
from firstpatch.store.migrate import alembic_config, current_revision, head_revision, upgrade
from firstpatch.store.tables import Base

TABLES = {"alembic_version", "projects", "runs", "findings", "run_findings"}


def test_opening_an_empty_database_migrates_it_to_head(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "new.db")
    SqlStore(url).close()
    engine = sa.create_engine(url)
    try:
        assert set(sa.inspect(engine).get_table_names()) == TABLES
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision() == "0001"
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    engine = sa.create_engine(sqlite_url(tmp_path / "new.db"))
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_up_again(tmp_path: Path) -> None:
    engine = sa.create_engine(sqlite_url(tmp_path / "new.db"))
    try:
        upgrade(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
        upgrade(engine)
        assert set(sa.inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()


def test_reopening_a_migrated_database_changes_nothing(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "new.db")
    SqlStore(url).close()
    before = (tmp_path / "new.db").read_bytes()
    SqlStore(url).close()
    assert (tmp_path / "new.db").read_bytes() == before


def test_the_migration_renders_for_postgresql_without_a_server() -> None:
    # Offline mode (`alembic upgrade --sql`) compiles the DDL for the dialect: a check that the
    # migration stays dialect-neutral until a PostgreSQL server joins the tests.
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", "postgresql://scanner@db.internal/firstpatch")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    ddl = config.output_buffer.getvalue()
    assert "id SERIAL NOT NULL" in ddl
    assert "started TIMESTAMP WITH TIME ZONE NOT NULL" in ddl
    assert "CREATE INDEX ix_run_findings_finding_id ON run_findings (finding_id)" in ddl
