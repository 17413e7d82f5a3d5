"""Alembic's entry point for the advisory tables: their own environment and version table, so
that they migrate independently of the store package's tables in the same database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from firstpatch.advisories.db.schema import MIGRATIONS
from firstpatch.advisories.db.tables import metadata


def _include(name: str | None, type_: str, *_: object) -> bool:
    # Autogenerate must never see the store package's tables as ours to drop.
    return type_ != "table" or (name or "").startswith("advisory_")


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise TypeError("the advisory store migrates only the connection it hands over")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=MIGRATIONS.version_table,
        include_name=_include,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
