"""Alembic's entry point: migrate the connection the store hands over, or a URL from a config.

The store passes its open connection in `config.attributes["connection"]`, so migrations run in
the same transaction and on the same (possibly in-memory) database as the store uses.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from firstpatch.store.tables import Base


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    config = context.config
    if context.is_offline_mode():  # `alembic upgrade --sql`: print the DDL instead of running it
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=Base.metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _migrate(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no connection in config.attributes and no sqlalchemy.url to open one")
    engine = create_engine(url)
    try:
        with engine.begin() as opened:
            _migrate(opened)
    finally:
        engine.dispose()


_run()
