"""Alembic's entry point for the dashboard's tables: their own environment and version table,
so that they migrate independently of the store's and the advisories' tables in the same database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from firstpatch.web.schema import MIGRATIONS
from firstpatch.web.tables import PREFIX, Base


def _include(name: str | None, type_: str, *_: object) -> bool:
    # Autogenerate must never take the other packages' tables for ours to drop.
    return type_ != "table" or (name or "").startswith(PREFIX)


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise TypeError("the dashboard migrates only the connection it hands over")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=MIGRATIONS.version_table,
        include_name=_include,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
