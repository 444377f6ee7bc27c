"""Store planned reminders: the ReminderLog over one unit of work's connection.

Claiming is what keeps a reminder to one mail. A claim turns pending rows into `sending` inside the unit of
work's transaction: on PostgreSQL the rows are first locked with FOR UPDATE SKIP LOCKED, so two senders never
wait for each other and never take the same row; on SQLite the transaction began IMMEDIATE, so claims take turns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.domain.ports import DutyFacts, StoredReminder
from engine.domain.reminders.planner import Kind, Reminder
from engine.domain.workflow.model import State

t = schema.reminders
_UNFINISHED = [s.value for s in State if not s.terminal and s is not State.PUBLISHED]
# A literal, not a parameter: only then may SQLite use the partial index on pending rows.
PENDING: sa.ColumnClause[str] = sa.literal_column("'pending'", sa.String)
_CHUNK = 500  # keys per IN (…) list: SQLite allows 32,766 parameters, but long lists plan slowly


_INSERTED = (
    "key", "subject", "notice_id", "kind", "about", "due", "send_on", "recipient", "cc", "status", "attempts",
    "error", "addresses", "planned_at",
)  # fmt: skip


def _convert(processor: Any, value: Any) -> Any:
    return processor(value) if processor is not None else value


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


def _stored(row: Any) -> StoredReminder:
    reminder = Reminder(
        row.key,
        row.subject,
        row.notice_id,
        Kind(row.kind),
        row.due,
        row.send_on,
        row.recipient,
        row.cc,
        row.about,
    )
    return StoredReminder(
        reminder,
        row.status,
        row.attempts,
        row.next_try_at,
        row.claimed_at,
        row.sent_at,
        row.message_id,
        row.addresses,
        row.error,
        row.reported_in,
    )


class SqlReminderLog:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def statuses(self, subject: str) -> dict[str, str]:
        rows = self.c.execute(sa.select(t.c.key, t.c.status).where(t.c.subject == subject))
        return {r.key: r.status for r in rows}

    def notice_statuses(self, notice_id: str) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        query = sa.select(t.c.subject, t.c.key, t.c.status).where(t.c.notice_id == notice_id)
        for r in self.c.execute(query):
            found.setdefault(r.subject, {})[r.key] = r.status
        return found

    def add(self, reminders: list[Reminder], now: dt.datetime) -> None:
        """Insert in one driver-level executemany: planning a year of a large notice inserts hundreds of
        thousands of rows, and SQLAlchemy's per-row parameter handling cost three times the insert itself.
        Each column's own bind processor still converts the values, so they are stored as Core stores them.
        A key that is already planned is left as it is: two ticks may plan the same digest or overdue reminder
        at once (PostgreSQL runs them concurrently), and the key says they are the same reminder."""
        if not reminders:
            return
        dialect = self.c.dialect
        convert = {c: t.c[c].type.bind_processor(dialect) for c in ("due", "send_on", "planned_at")}
        planned_at = _convert(convert["planned_at"], now)
        rows = [
            (
                r.key,
                r.subject,
                r.notice_id,
                r.kind.value,
                r.about,
                _convert(convert["due"], r.due),
                _convert(convert["send_on"], r.send_on),
                r.to,
                r.cc,
                "pending",
                0,
                "",
                "",
                planned_at,
            )
            for r in reminders
        ]
        if dialect.name != "postgresql":
            marks = ", ".join("?" * len(_INSERTED))
            sql = f"INSERT INTO reminders ({', '.join(_INSERTED)}) VALUES ({marks}) ON CONFLICT (key) DO NOTHING"
            self.c.exec_driver_sql(sql, rows)
            return
        # PostgreSQL: COPY into a temporary table, then one INSERT … SELECT: planning 10,000 duties took 5.0–6.0 s
        # against 8.0 s as an executemany (a statement each, even pipelined) and 32 s as INSERTs of 1,000 rows
        # (bench/reminders.py). No ANALYZE here: inside the transaction it cost 4.6 s; autovacuum analyzes the
        # table within a minute of a change this large.
        columns = ", ".join(_INSERTED)
        self.c.exec_driver_sql(
            "CREATE TEMPORARY TABLE IF NOT EXISTS reminders_planned (LIKE reminders) ON COMMIT DELETE ROWS"
        )
        raw: Any = self.c.connection.driver_connection  # psycopg's, in this transaction
        statement = f"COPY reminders_planned ({columns}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for values in rows:
                copy.write_row(values)
        self.c.exec_driver_sql(
            f"INSERT INTO reminders ({columns}) SELECT {columns} FROM reminders_planned"
            " ON CONFLICT (key) DO NOTHING"
        )
        self.c.exec_driver_sql("TRUNCATE reminders_planned")

    def cancel(self, keys: list[str]) -> None:
        for chunk in _chunks(keys):
            self.c.execute(
                sa.update(t).where(t.c.key.in_(chunk), t.c.status == "pending").values(status="cancelled")
            )

    def due(self, today: dt.date, now: dt.datetime) -> list[StoredReminder]:
        query = (
            sa.select(t)
            .where(t.c.status == PENDING, t.c.send_on <= today)
            .where(sa.or_(t.c.next_try_at.is_(None), t.c.next_try_at <= now))
            .order_by(t.c.recipient, t.c.subject, t.c.key)
        )
        return [_stored(r) for r in self.c.execute(query)]

    def claim(self, keys: list[str], token: str, now: dt.datetime) -> list[StoredReminder]:
        claimed: list[StoredReminder] = []
        for chunk in _chunks(keys):
            query = sa.select(t.c.key).where(t.c.key.in_(chunk), t.c.status == "pending")
            if self.c.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            free = list(self.c.execute(query).scalars())
            if not free:
                continue
            self.c.execute(
                sa.update(t)
                .where(t.c.key.in_(free), t.c.status == "pending")
                .values(status="sending", claim=token, claimed_at=now)
            )
            claimed += [_stored(r) for r in self.c.execute(sa.select(t).where(t.c.key.in_(free)))]
        return claimed

    def settle(self, keys: list[str], status: str, now: dt.datetime, **fields: Any) -> None:
        values = {"status": status, **fields}
        if status == "sent":
            values["sent_at"] = now
        for chunk in _chunks(keys):
            self.c.execute(
                sa.update(t)
                .where(t.c.key.in_(chunk), t.c.status.in_(("pending", "sending")))
                .values(**values)
            )

    def record_sent(self, mails: list[tuple[list[str], str, str]], now: dt.datetime) -> None:
        rows = [{"k": k, "m": m, "a": a} for keys, m, a in mails for k in keys]
        if not rows:
            return
        statement = (
            sa.update(t)
            .where(t.c.key == sa.bindparam("k"), t.c.status == "sending")  # claimed by the caller
            .values(status="sent", sent_at=now, message_id=sa.bindparam("m"), addresses=sa.bindparam("a"))
        )
        self.c.execute(statement, rows)

    def defer(self, keys: list[str], error: str, now: dt.datetime, waits: tuple[int, ...]) -> None:
        for chunk in _chunks(keys):
            tries = self.c.execute(sa.select(t.c.key, t.c.attempts).where(t.c.key.in_(chunk)))
            by_attempts: dict[int, list[str]] = {}
            for row in tries:
                by_attempts.setdefault(row.attempts, []).append(row.key)
            for attempts, batch in by_attempts.items():
                wait = waits[min(attempts, len(waits) - 1)]
                self.c.execute(
                    sa.update(t)
                    .where(t.c.key.in_(batch), t.c.status.in_(("pending", "sending")))
                    .values(
                        status="pending",
                        attempts=attempts + 1,
                        next_try_at=now + dt.timedelta(seconds=wait),
                        error=error,
                        claim=None,
                        claimed_at=None,
                    )
                )

    def expire_claims(self, claimed_before: dt.datetime) -> list[str]:
        where = (t.c.status == "sending", t.c.claimed_at < claimed_before)
        keys = list(self.c.execute(sa.select(t.c.key).where(*where)).scalars())
        if keys:
            self.c.execute(
                sa.update(t)
                .where(*where)
                .values(status="uncertain", error="已提交邮件服务器但未确认：可能已送达，不自动重发")
            )
        return keys

    def unreported(self, notice_id: str) -> list[StoredReminder]:
        query = (
            sa.select(t)
            .where(t.c.notice_id == notice_id, t.c.reported_in.is_(None))
            .where(t.c.status.in_(("uncertain", "folded", "failed")))
            .order_by(t.c.send_on, t.c.key)
        )
        return [_stored(r) for r in self.c.execute(query)]

    def report(self, keys: list[str], digest_key: str) -> None:
        for chunk in _chunks(keys):
            self.c.execute(sa.update(t).where(t.c.key.in_(chunk)).values(reported_in=digest_key))

    def facts(self, subjects: list[str]) -> dict[str, DutyFacts]:
        found: dict[str, DutyFacts] = {}
        for chunk in _chunks(subjects):
            found |= {f.id: f for f in self._facts(schema.duties.c.id.in_(chunk))}
        return found

    def notice_facts(self, notice_id: str) -> list[DutyFacts]:
        return self._facts(schema.duties.c.notice_id == notice_id)

    def _facts(self, which: sa.ColumnElement[bool]) -> list[DutyFacts]:
        d = schema.duties
        columns = (d.c.id, d.c.notice_id, d.c.title, d.c.lead, d.c.state, d.c.deadline, d.c.last_working_day)
        rows = self.c.execute(sa.select(*columns).where(which).order_by(d.c.id))
        return [DutyFacts(*r) for r in rows]

    def milestones(self, subjects: list[str]) -> dict[str, list[tuple[str, dt.date]]]:
        ahead: dict[str, set[tuple[str, dt.date]]] = {}
        for chunk in _chunks(subjects):
            query = (
                sa.select(t.c.subject, t.c.about, t.c.due)
                .where(t.c.subject.in_(chunk), t.c.kind.like("before:%"))
                .where(t.c.status.in_(("pending", "sending")))
                .distinct()
            )
            for r in self.c.execute(query):
                ahead.setdefault(r.subject, set()).add((r.about, r.due))
        return {s: sorted(v, key=lambda m: (m[1], m[0])) for s, v in ahead.items()}

    def mailed(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        subjects = sorted({s for s, _ in pairs})
        seen: set[tuple[str, str]] = set()
        for chunk in _chunks(subjects):
            query = (
                sa.select(t.c.subject, t.c.recipient)
                .where(t.c.subject.in_(chunk), t.c.status.in_(("sent", "uncertain")))
                .distinct()
            )
            seen |= {(r.subject, r.recipient) for r in self.c.execute(query)}
        return seen & set(pairs)

    def overdue_without(self, today: dt.date) -> list[str]:
        d = schema.duties
        planned = sa.exists().where(
            t.c.subject == d.c.id, t.c.kind == Kind.OVERDUE.value, t.c.send_on == today
        )
        query = (
            sa.select(d.c.id)
            .where(d.c.last_working_day < today, d.c.state.in_(_UNFINISHED), d.c.state != State.NOT_STARTED)
            .where(~planned)
            .order_by(d.c.id)
        )
        return list(self.c.execute(query).scalars())

    def list(
        self, *, subject: str | None = None, due_before: dt.date | None = None, pending_only: bool = True
    ) -> list[StoredReminder]:
        query = sa.select(t).order_by(t.c.send_on, t.c.recipient, t.c.key)
        if subject is not None:
            query = query.where(t.c.subject == subject)
        if due_before is not None:
            query = query.where(t.c.send_on < due_before)
        if pending_only:
            query = query.where(t.c.status == "pending")
        return [_stored(r) for r in self.c.execute(query)]

    def next_day(self, after: dt.date) -> dt.date | None:
        query = sa.select(sa.func.min(t.c.send_on)).where(t.c.status == PENDING, t.c.send_on > after)
        value: dt.date | None = self.c.execute(query).scalar()
        return value
