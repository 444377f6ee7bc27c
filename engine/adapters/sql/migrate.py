"""Migrate Banfa's database with Alembic: the scripts live in `migrations/` beside this module."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from engine.adapters.sql.connection import begin_immediate, take_turns

if TYPE_CHECKING:  # alembic takes a third of a second to import; only migrating needs it
    from alembic.config import Config

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Build the Alembic configuration in code: the scripts inside the package, and the connection to use.

    For a new revision: `command.revision(alembic_config(conn), "message", autogenerate=True)`.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def is_current(db_engine: Engine) -> bool:
    """Tell, with one query and without loading Alembic, whether the database is at the newest revision."""
    from engine.adapters.sql.migrations import HEAD

    try:
        with db_engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
    except sa.exc.DBAPIError:
        return False


def migrate(db_engine: Engine) -> None:
    """Upgrade the database to the newest revision; a database already there is left as it is.

    One transaction; concurrent callers take turns, so the second finds the work done.
    """
    with begin_immediate(db_engine) as conn:
        take_turns(conn, "banfa.migrations")
        from alembic import command

        command.upgrade(alembic_config(conn), "head")


def current_revision(db_engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it has never been migrated."""
    with db_engine.connect() as conn:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
