"""Connect to Banfa's database: SQLite by default, PostgreSQL by URL.

SQLite is the embedded default (`<data dir>/banfa.db`). Every new connection turns on write-ahead logging,
foreign keys and a 5 s busy timeout, and SQLAlchemy, not the sqlite3 driver, emits BEGIN, so that a writer
can take the write lock at the start of its transaction (`begin_immediate`) instead of failing when it
upgrades a read lock. PostgreSQL is reached with psycopg 3, and dead pooled connections are replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, event

from engine.errors import DatabaseUnavailable

BEGIN_OPTION = "sqlite_begin"  # a connection execution option: DEFERRED (default), IMMEDIATE or EXCLUSIVE
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_PRAGMAS = ("PRAGMA busy_timeout=5000", "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON")


def make_engine(url: str) -> Engine:
    """Create the engine for a database URL; a plain postgresql:// URL is given the psycopg 3 driver."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db_engine = sa.create_engine(parsed)
        event.listen(db_engine, "connect", _on_sqlite_connect)
        event.listen(db_engine, "begin", _on_sqlite_begin)
        return db_engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, pool_pre_ping=True)


def unavailable(db_engine: Engine, exc: sa.exc.OperationalError) -> DatabaseUnavailable:
    """Banfa's error for a database that cannot be reached, went away, or stayed locked: it names the database
    without its password, and gives the driver's reason without the SQL (whose parameters may be a document)."""
    database = db_engine.url.render_as_string(hide_password=True)
    return DatabaseUnavailable(database, str(exc.orig or exc).strip())


@contextmanager
def connected(db_engine: Engine) -> Iterator[Connection]:
    """Open a connection for reading outside a unit of work; the database failing at the connect or at any
    statement raises DatabaseUnavailable, never the driver's error."""
    try:
        with db_engine.connect() as conn:
            yield conn
    except sa.exc.OperationalError as exc:
        raise unavailable(db_engine, exc) from exc


def default_url(data_dir: Path) -> str:
    """Return the URL of the embedded database: banfa.db in the data directory, as an absolute path."""
    return f"sqlite:///{(data_dir / 'banfa.db').resolve()}"


def _on_sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Set the pragmas on a new SQLite connection and stop the driver from emitting BEGIN itself."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    """Emit BEGIN in the mode the connection's `sqlite_begin` execution option asks for."""
    mode = str(conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")).upper()
    if mode not in _BEGIN_MODES:
        raise ValueError(f"{BEGIN_OPTION} must be one of {sorted(_BEGIN_MODES)}: {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def begin_immediate(db_engine: Engine) -> Iterator[Connection]:
    """Open a connection in a transaction that commits on success and rolls back on an error.

    On SQLite the transaction is BEGIN IMMEDIATE: it holds the write lock from the start, so writers take
    turns (waiting up to the busy timeout) instead of reading the same state. PostgreSQL ignores the option.
    """
    with db_engine.connect() as conn:
        conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


def take_turns(conn: Connection, key: str) -> None:
    """Make transactions that name the same key run one after another, until this one ends.

    PostgreSQL takes a transaction-level advisory lock on a hash of the key (a collision only makes two keys
    wait for each other). SQLite needs nothing: a `begin_immediate` transaction already excludes all writers.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def insert_new(conn: Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """Insert one row unless it would break a unique constraint; return whether it was inserted.

    `INSERT … ON CONFLICT DO NOTHING` on both SQLite and PostgreSQL: a conflict leaves the transaction usable,
    where catching an IntegrityError would leave a PostgreSQL transaction aborted.
    """
    # The dialect's own insert, imported here: loading the PostgreSQL dialect costs an embedded start-up 20 ms.
    statement: Any
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement = postgresql_insert(table).values(**values).on_conflict_do_nothing()
    # RETURNING tells whether a row went in: psycopg reports no rowcount for an INSERT (-1).
    statement = statement.returning(*table.primary_key.columns)
    return conn.execute(statement).first() is not None
