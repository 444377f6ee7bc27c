"""Describe Banfa's tables in SQLAlchemy Core; the migrations create them and are the truth for a database.

Every timestamp is an `AwareDateTime`: UTC in the database, aware in Python.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import Dialect


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
    # The account: credentials and login state, read and written by the AccountRepository only.
    sa.Column("password_hash", sa.Text),  # argon2; none: the account cannot log in
    sa.Column("disabled", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("must_change_password", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0, server_default="0"),
    _at("locked_until", nullable=True),
    _at("last_login_at", nullable=True),
    sa.Column("session_generation", sa.Integer, nullable=False, default=0, server_default="0"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),  # SHA-256 of the token; the token is never kept
    sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False, index=True),
    _at("created_at"),
    _at("expires_at", nullable=True),
    _at("revoked_at", nullable=True),
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
    sa.Column("deadline", sa.Date),  # in force: an extension moves it
    sa.Column("last_working_day", sa.Date),
    sa.Column("catalogue_deadline", sa.Date),  # the reviewed catalogue's, which re-ingesting compares
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
    # The lists: a notice's duties (the board), a department's (its tasks).
    sa.Index("ix_duties_notice_id", "notice_id"),
    sa.Index("ix_duties_lead", "lead"),
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
    sa.Column("attachments", sa.JSON, nullable=False, server_default="[]"),  # the reply's own files
    sa.UniqueConstraint("duty_id", "round", "consultee"),
    sa.Index("ix_consultation_requests_consultee", "consultee"),  # what waits on a department's reply
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
    _at("ended_at", nullable=True),  # when the reconciler saw the run end (or ended it): no longer in flight
    sa.UniqueConstraint("duty_id", "stage", "stage_version", "attempt"),
    sa.Index("ix_dispatches_ended_at", "ended_at"),
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
    # SQLite look rows up by status instead of by key, which scanned the whole history. Migration 0003 gives
    # PostgreSQL the same predicate; naming `postgresql_where` here would load SQLAlchemy's PostgreSQL dialect
    # into every process, SQLite ones too (a tenth of `banfa status`'s start-up), and alembic's comparison of
    # schema and migrations does not look at index predicates.
    sa.Index("ix_reminders_pending_send_on", "send_on", sqlite_where=sa.text("status = 'pending'")),
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

# What people did outside a duty's own events: logins, account changes, exports. Append-only.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _at("at"),
    sa.Column("actor", sa.String(40), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False, index=True),
    _text_default("detail"),
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
