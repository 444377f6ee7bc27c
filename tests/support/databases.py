"""Give tests databases: a SQLite file always, PostgreSQL when there is a server to use.

The server is the one BANFA_TEST_DATABASE_URL names (CI sets it), else one that answers at the default
address (127.0.0.1:5432, user postgres), as on a development machine; without either, the PostgreSQL tests
are skipped and the run says so in its header and summary. On PostgreSQL the session makes a database of its own on that server (`banfa_t_<random>`), on first use, and
`drop_scratch_database` drops it at the end. In it each test gets a fresh schema (`empty_database_url`), or
the session's one migrated engine with every table emptied (`emptied_postgresql_engine`), so no test sees
another's rows. A configured server that cannot be reached fails the test: it is never skipped.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

import pytest
from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.exc import OperationalError

from engine.adapters.sql.connection import make_engine
from engine.adapters.sql.migrate import migrate
from engine.adapters.sql.schema import metadata

ENV = "BANFA_TEST_DATABASE_URL"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NO_SERVER = f"{ENV} is not set and no PostgreSQL server answers at 127.0.0.1:5432"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
KINDS = (SQLITE, POSTGRESQL)


@functools.cache
def configured_url() -> str | None:
    """Return the PostgreSQL URL the tests were given, else the default one when a server answers there."""
    given = os.environ.get(ENV)
    if given:
        return given
    probe = _autocommit(make_url(DEFAULT_URL))
    try:
        with probe.connect():
            return DEFAULT_URL
    except OperationalError:
        return None
    finally:
        probe.dispose()


def describe() -> str:
    """One line for the test run's header: which PostgreSQL the tests use, or why they skip it."""
    url = configured_url()
    if url is None:
        return f"PostgreSQL: none; the postgresql tests are skipped ({NO_SERVER})"
    where = ENV if os.environ.get(ENV) else "the default address"
    return f"PostgreSQL: {make_url(url).render_as_string(hide_password=True)} (from {where})"


class ScratchDatabase:
    """A database of the session's own on a PostgreSQL server: made on first use, dropped by `drop`."""

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url).set(drivername="postgresql+psycopg")
        self.name = f"banfa_t_{secrets.token_hex(6)}"
        self.url: URL = self.server.set(database=self.name)
        self._admin = _autocommit(self.server)
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self._inside = _autocommit(self.url)
        self._shared: Engine | None = None

    def schema_url(self) -> str:
        """Create an empty schema and return a URL whose connections work in it."""
        schema = f"t_{secrets.token_hex(6)}"
        with self._inside.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = self.url.update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def shared_engine(self) -> Engine:
        """Return the session's migrated engine with every table emptied."""
        if self._shared is None:
            self._shared = make_engine(self.schema_url())
            migrate(self._shared)
        with self._shared.begin() as conn:  # DELETE, not TRUNCATE: on a few rows it is 50 times faster
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        return self._shared

    def drop(self) -> None:
        """Close every connection and drop the database."""
        if self._shared is not None:
            self._shared.dispose()
        self._inside.dispose()
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.dispose()


def _autocommit(url: URL) -> Engine:
    """Make an engine for statements that cannot run in a transaction, such as CREATE DATABASE."""
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


_scratch: ScratchDatabase | None = None


def scratch_database() -> ScratchDatabase:
    """Return the session's scratch database, making it on first use; skip when no server is configured."""
    global _scratch
    url = configured_url()
    if url is None:
        pytest.skip(NO_SERVER)
    if _scratch is None:
        _scratch = ScratchDatabase(url)
    return _scratch


def drop_scratch_database() -> None:
    """Drop the session's scratch database, if one was made."""
    global _scratch
    scratch, _scratch = _scratch, None
    if scratch is not None:
        scratch.drop()


def empty_database_url(kind: str, folder: Path) -> str:
    """Return the URL of an empty database of one kind: a new SQLite file in `folder`, or a fresh schema."""
    if kind == SQLITE:
        return f"sqlite:///{folder.resolve() / 'banfa-test.db'}"
    return scratch_database().schema_url()


def emptied_postgresql_engine() -> Engine:
    """Return the session's migrated PostgreSQL engine with every table emptied; skip without a server."""
    return scratch_database().shared_engine()
