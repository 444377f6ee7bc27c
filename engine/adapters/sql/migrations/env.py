"""Run Banfa's migrations on the connection that `engine.adapters.sql.migrate.migrate` hands over.

There is no alembic.ini and no URL here: the caller builds the configuration with
`engine.adapters.sql.migrate.alembic_config(connection)` and Alembic runs in that connection's transaction.
Offline mode (SQL scripts) is not supported.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from engine.adapters.sql.schema import AwareDateTime, metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write an AwareDateTime column as sa.DateTime(timezone=True), so a revision never imports Banfa."""
    if type_ == "type" and isinstance(obj, AwareDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations() -> None:
    """Configure the migration context on the given connection and run the migrations in one transaction."""
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or connection is None:
        raise RuntimeError(
            "run migrations through engine.adapters.sql.migrate.migrate, which passes a connection"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
