"""Dump Banfa's tables to JSON lines and load them back: the database half of `banfa backup` and `restore`.

The dump is logical rather than a copy of the database file or a pg_dump archive. It is read in one snapshot
(a read transaction on SQLite's write-ahead log, REPEATABLE READ on PostgreSQL), so Banfa keeps running while
it is taken, and it loads into SQLite or PostgreSQL alike, into a schema of any name: an office moving from the
embedded default to PostgreSQL restores its backup there. Values keep their Python types through a tag for
what JSON lacks (bytes, datetimes, dates); each row is read and written through the schema's own column types.

Loading is one transaction: the empty database is migrated to the dump's revision, every row goes in, the
PostgreSQL sequences move past the restored ids, the database is migrated to the newest revision, and the
reminders that may have gone out since the dump are marked uncertain (`mark_uncertain`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from engine.adapters.sql import schema
from engine.adapters.sql.connection import begin_immediate, take_turns
from engine.adapters.sql.migrate import alembic_config
from engine.errors import DatabaseUnavailable, RestoreRefused

Reader = Callable[[str], Iterator[bytes]]  # a table's name → its dumped lines
SKIPPED = frozenset({"scheduler_leases"})  # who holds the clock now, not state to bring back
BATCH = 500
RESTORED = "从备份恢复：备份之后可能已发出，不自动重发"


def tables() -> list[sa.Table]:
    """Banfa's tables in foreign-key order, as the newest schema declares them."""
    return [t for t in schema.metadata.sorted_tables if t.name not in SKIPPED]


def _encode(value: object) -> object:
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dt.datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    return value


def _decode(value: object) -> object:
    if isinstance(value, dict) and len(value) == 1:
        [(tag, text)] = value.items()
        if tag == "$b":
            return base64.b64decode(text)
        if tag == "$t":
            return dt.datetime.fromisoformat(text)
        if tag == "$d":
            return dt.date.fromisoformat(text)
    return value


def encode_row(row: dict[str, Any]) -> bytes:
    return json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False).encode() + b"\n"


def decode_row(line: bytes) -> dict[str, Any]:
    return {k: _decode(v) for k, v in json.loads(line).items()}


def revision_of(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def dump(db_engine: Engine, write: Callable[[str, Iterator[bytes]], None]) -> tuple[str, dict[str, int]]:
    """Hand `write` each table's rows as JSON lines, all from one snapshot; return the revision and counts."""
    url = db_engine.url
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        raise DatabaseUnavailable(str(url.database), "文件不存在，没有可备份的数据")
    try:
        return _dump(db_engine, write)
    except sa.exc.OperationalError as exc:
        raise DatabaseUnavailable(url.render_as_string(), str(exc.orig)) from exc


def _dump(db_engine: Engine, write: Callable[[str, Iterator[bytes]], None]) -> tuple[str, dict[str, int]]:
    counts: dict[str, int] = {}
    with db_engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            revision = revision_of(conn)
            if revision is None:
                raise DatabaseUnavailable(db_engine.url.render_as_string(), "尚未初始化，没有可备份的数据")
            for table in tables():
                query = sa.select(table).order_by(*table.primary_key.columns)
                rows = conn.execution_options(yield_per=BATCH).execute(query).mappings()
                counts[table.name] = 0

                def lines(rows: Iterable[sa.RowMapping] = rows, name: str = table.name) -> Iterator[bytes]:
                    for row in rows:
                        counts[name] += 1
                        yield encode_row(dict(row))

                write(table.name, lines())
    return revision, counts


def emptiness(db_engine: Engine) -> str | None:
    """None when the database can take a restore (no Banfa table, or every one empty); else what is in it."""
    with db_engine.connect() as conn:
        if revision_of(conn) is None:
            return None
        for table in tables():
            if sa.inspect(conn).has_table(table.name):
                count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                if count:
                    return f"表 {table.name} 已有 {count} 行"
    return None


def load(db_engine: Engine, revision: str, read: Reader, *, today: dt.date) -> list[str]:
    """Load a dump into an empty database in one transaction; return the reminders marked uncertain."""
    from alembic import command

    with begin_immediate(db_engine) as conn:
        take_turns(conn, "banfa.migrations")
        present = revision_of(conn)
        if present is not None and present != revision:
            raise RestoreRefused(
                "目标数据库", f"数据库已迁移到 {present}，备份在 {revision}：请恢复到新建的空数据库"
            )
        command.upgrade(alembic_config(conn), revision)
        for table in tables():
            _insert(conn, table, read(table.name))
        _move_sequences(conn)
        command.upgrade(alembic_config(conn), "head")
        return mark_uncertain(conn, today)


def _insert(conn: Connection, table: sa.Table, lines: Iterator[bytes]) -> None:
    batch: list[dict[str, Any]] = []
    for line in lines:
        batch.append(decode_row(line))
        if len(batch) == BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)


def _move_sequences(conn: Connection) -> None:
    """On PostgreSQL, move each serial id's sequence past the restored rows, so the next insert is new."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer) or keys[0].autoincrement is not True:
            continue
        key = keys[0]
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX({key.name}), 1), "
                f"MAX({key.name}) IS NOT NULL) FROM {table.name}"
            ),
            {"t": table.name, "c": key.name},
        )


def mark_uncertain(conn: Connection, today: dt.date) -> list[str]:
    """Mark uncertain every reminder that was claimed, or due by today, when the backup was taken: it may have
    gone out after the backup, and Banfa never sends a reminder twice. The next digest lists them."""
    t = schema.reminders
    due = sa.or_(t.c.status == "sending", sa.and_(t.c.status == "pending", t.c.send_on <= today))
    keys = list(conn.execute(sa.select(t.c.key).where(due).order_by(t.c.key)).scalars())
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        conn.execute(sa.update(t).where(t.c.key.in_(chunk)).values(status="uncertain", error=RESTORED))
    return keys
