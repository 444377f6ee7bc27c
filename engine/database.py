"""Connect to Banfa's database, describe its tables and migrate it: SQLite by default, PostgreSQL by URL.

SQLite is the embedded default (`<data dir>/banfa.db`). Every new connection turns on write-ahead logging,
foreign keys and a 5 s busy timeout, and SQLAlchemy, not the sqlite3 driver, emits BEGIN, so that a writer
can take the write lock at the start of its transaction (`begin_immediate`) instead of failing when it
upgrades a read lock. PostgreSQL is reached with psycopg 3, and dead pooled connections are replaced.

The tables are SQLAlchemy Core; the migrations in `engine/migrations/` create them and are the truth for an
existing database. Every timestamp is an `AwareDateTime`: UTC in the database, aware in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import Connection, Dialect, Engine, event

if TYPE_CHECKING:  # alembic takes a third of a second to import; only migrating needs it
    from alembic.config import Config

BEGIN_OPTION = "sqlite_begin"  # a connection execution option: DEFERRED (default), IMMEDIATE or EXCLUSIVE
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_PRAGMAS = ("PRAGMA busy_timeout=5000", "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON")
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


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


class AwareDateTime(sa.TypeDecorator[dt.datetime]):
    """Keep an instant: accept only timezone-aware datetimes, store UTC, return aware UTC datetimes.

    A naive datetime raises ValueError, since its instant is unknown. SQLite stores naive UTC text;
    PostgreSQL stores timestamptz.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Convert to UTC, naive on SQLite; refuse a naive datetime."""
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"datetime must be timezone-aware: {value!r}")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Return the stored instant as an aware datetime in UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _department(name: str, *, nullable: bool = False) -> sa.Column[str]:
    """Make a column holding a department key."""
    return sa.Column(name, sa.String(40), sa.ForeignKey("departments.key"), nullable=nullable)


def _duty() -> sa.Column[str]:
    """Make the duty_id column of a duty's child row."""
    return sa.Column("duty_id", sa.String(80), sa.ForeignKey("duties.id"), nullable=False)


def _text_default(name: str) -> sa.Column[str]:
    """Make a text column that is empty unless given."""
    return sa.Column(name, sa.Text, nullable=False, default="", server_default="")


def _at(name: str, *, nullable: bool = False) -> sa.Column[dt.datetime]:
    """Make a timestamp column."""
    return sa.Column(name, AwareDateTime(), nullable=nullable)


departments = sa.Table(
    "departments",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("display", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", sa.String(60), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("number", sa.String(60)),
    sa.Column("issuer", sa.Text),
    sa.Column("written_on", sa.Date),
    sa.Column("published_on", sa.Date),
    sa.Column("deadline", sa.Date),
    _department("coordinator", nullable=True),
    sa.Column("coordinator_office", sa.Text),
    _department("reviewer", nullable=True),
    sa.Column("catalogue", sa.JSON, nullable=False),
    _at("ingested_at"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    _department("department"),
    sa.Column("roles", sa.JSON, nullable=False),
    _text_default("email"),
    _at("created_at"),
)

duties = sa.Table(
    "duties",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("notice_id", sa.String(60), sa.ForeignKey("notices.id"), nullable=False),
    sa.Column("location", sa.String(40), nullable=False),
    sa.Column("ref", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("document", sa.Text),
    sa.Column("kind", sa.String(10)),
    sa.Column("track", sa.String(10), nullable=False),
    _department("lead"),
    sa.Column("co_departments", sa.JSON, nullable=False),
    sa.Column("consultees", sa.JSON, nullable=False),
    _text_default("officer"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("basis", sa.JSON, nullable=False),
    sa.Column("deadline", sa.Date),
    sa.Column("last_working_day", sa.Date),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("stage_version", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("machine_done", sa.Integer, nullable=False, default=-1, server_default="-1"),
    sa.Column("version", sa.Integer, nullable=False),  # the optimistic lock: an update checks and bumps it
    sa.Column("publication_number", sa.String(60)),
    sa.Column("published_on", sa.Date),
    sa.Column("effective_on", sa.Date),
    sa.Column("filed_on", sa.Date),
    _at("created_at"),
    _at("updated_at"),
)

# A duty's rows below are found by the leading duty_id of their unique key, which is an index already.
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _duty(),
    sa.Column("seq", sa.Integer, nullable=False),
    _at("at"),
    sa.Column("actor", sa.String(40), nullable=False),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("from_state", sa.String(20)),
    sa.Column("to_state", sa.String(20)),
    _text_default("reason"),
    sa.UniqueConstraint("duty_id", "seq"),
)

consultation_requests = sa.Table(
    "consultation_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _duty(),
    sa.Column("round", sa.Integer, nullable=False),
    _department("consultee"),
    sa.Column("sent_on", sa.Date, nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("reply", sa.String(10)),  # 无意见, 提出意见 or 逾期未反馈; none while the window is open
    _at("replied_at", nullable=True),
    sa.Column("replied_by", sa.String(40)),
    sa.UniqueConstraint("duty_id", "round", "consultee"),
)

opinions = sa.Table(
    "opinions",
    metadata,
    sa.Column("id", sa.String(120), primary_key=True),
    _duty(),
    sa.Column("round", sa.Integer, nullable=False),
    _department("consultee"),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("clause", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("attachments", sa.JSON, nullable=False),  # document ids
    sa.Column("author", sa.String(40), nullable=False),
    _at("created_at"),
    sa.UniqueConstraint("duty_id", "round", "consultee", "seq"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("opinion_id", sa.String(120), sa.ForeignKey("opinions.id"), primary_key=True),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(40), nullable=False),
    _at("decided_at"),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _duty(),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(10), nullable=False),
    sa.Column("opinion", sa.Text, nullable=False),
    sa.Column("reviewer", sa.String(40), nullable=False),
    _at("reviewed_at"),
    sa.UniqueConstraint("duty_id", "seq"),
)

extensions = sa.Table(
    "extensions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _duty(),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("old_deadline", sa.Date, nullable=False),
    sa.Column("new_deadline", sa.Date, nullable=False),
    sa.Column("approver", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    _at("granted_at"),
    sa.UniqueConstraint("duty_id", "seq"),
)

# The machine work done for a duty's stage version, one row a step: a rerun finds it and redoes nothing.
machine_steps = sa.Table(
    "machine_steps",
    metadata,
    _duty(),
    sa.Column("stage_version", sa.Integer, nullable=False),
    sa.Column("step", sa.String(40), nullable=False),
    sa.Column("documents", sa.JSON, nullable=False),  # the document versions the step stored
    _at("done_at"),
    sa.PrimaryKeyConstraint("duty_id", "stage_version", "step"),
)

# Every time a dispatcher asked Prefect to advance a duty: the reconciler reads these to find lost runs.
dispatches = sa.Table(
    "dispatches",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),  # {duty}:{stage}:{stage_version}:{attempt}
    _duty(),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("stage_version", sa.Integer, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    _at("acting_at"),  # the `now` the run works with, so that a rerun makes the same documents
    sa.Column("flow_run_id", sa.String(40)),
    _at("dispatched_at"),
    sa.Column("token", sa.String(40), nullable=False),
    sa.UniqueConstraint("duty_id", "stage", "stage_version", "attempt"),
)

# Planned reminders, one row a mail-to-be, keyed so that planning again finds the same row. The status moves
# pending → sending (claimed) → sent, or → uncertain (claimed, never confirmed: never resent), cancelled (no
# longer planned), folded (too late: listed in the next digest instead) or failed (no address to send to).
reminders = sa.Table(
    "reminders",
    metadata,
    sa.Column("key", sa.String(240), primary_key=True),
    sa.Column(
        "subject", sa.String(80), nullable=False, index=True
    ),  # the duty id; the notice id for a digest
    sa.Column("notice_id", sa.String(60), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("about", sa.String(80), nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("send_on", sa.Date, nullable=False),
    sa.Column("recipient", sa.String(60), nullable=False),  # <department>:<role>
    _text_default("cc"),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0, server_default="0"),
    _at("next_try_at", nullable=True),
    _text_default("error"),
    _at("planned_at"),
    _at("claimed_at", nullable=True),
    sa.Column("claim", sa.String(40)),
    _at("sent_at", nullable=True),
    sa.Column("message_id", sa.String(200)),
    _text_default("addresses"),
    sa.Column("reported_in", sa.String(240)),  # the digest that listed it as uncertain or folded
    # Only the pending rows, by day: the tick's question. A composite index that led with the status made
    # SQLite look rows up by status instead of by key, which scanned the whole history.
    sa.Index(
        "ix_reminders_pending_send_on",
        "send_on",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    ),
    sa.Index("ix_reminders_notice_id", "notice_id"),
)

# Who runs the scheduler: one row a lease, renewed by its holder; a second scheduler waits while it is fresh.
scheduler_leases = sa.Table(
    "scheduler_leases",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("holder", sa.String(80), nullable=False),
    _at("renewed_at"),
)

# No foreign key to duties: `banfa draft` renders documents before a duty row exists.
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),  # the order of storing
    sa.Column("id", sa.String(200), nullable=False, unique=True),
    sa.Column("duty_id", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("variant", sa.String(40), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("author", sa.String(40), nullable=False),
    _at("created"),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("origin", sa.String(10), nullable=False),
    sa.Column("warnings", sa.JSON, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("duty_id", "kind", "variant", "version"),
)


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
    from engine.migrations import HEAD

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
