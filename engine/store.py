"""Persist duties, users and notices with SQLAlchemy 2: repositories over one unit of work.

The unit of work opens one connection in one transaction (BEGIN IMMEDIATE on SQLite, so writers take turns)
and rolls back unless committed; services never see it. A duty is saved with an optimistic lock: the update
names the version it read, and a stale version raises ConcurrencyConflict with nothing written. Its audit
events, reviews and extensions are append-only; its consultation rows are rewritten with it.
"""

from __future__ import annotations

import datetime as dt
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from engine import database as db
from engine.departments import Department
from engine.duties import Coordinator, NoticeInfo
from engine.duty_rows import SqlDuties
from engine.errors import UnknownUser
from engine.notice import Reference
from engine.people import User, UserRole
from engine.ports import Dispatch, NoticeRecord
from engine.reminder_rows import SqlReminderLog


class SqlUnitOfWork:
    """One transaction with the repositories over it."""

    def __init__(self, db_engine: Engine) -> None:
        self.db_engine = db_engine

    def __enter__(self) -> Self:
        self.connection = self.db_engine.connect()
        self.connection.execution_options(**{db.BEGIN_OPTION: "IMMEDIATE"})
        self.transaction = self.connection.begin()
        self.duties = SqlDuties(self.connection)
        self.users = SqlUsers(self.connection)
        self.notices = SqlNotices(self.connection)
        self.departments = SqlDepartments(self.connection)
        self.machine = SqlMachineLog(self.connection)
        self.dispatches = SqlDispatchLog(self.connection)
        self.reminders = SqlReminderLog(self.connection)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.transaction.is_active:
            self.transaction.rollback()
        self.connection.close()

    def commit(self) -> None:
        self.transaction.commit()

    def rollback(self) -> None:
        self.transaction.rollback()


class SqlDepartments:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def sync(self, departments: list[Department]) -> None:
        stored = {r.key: r for r in self.c.execute(sa.select(db.departments))}
        for d in departments:
            row = {"key": d.key, "name": d.name, "display": d.display, "kind": d.kind.value}
            if d.key not in stored:
                self.c.execute(sa.insert(db.departments).values(**row))
            elif (stored[d.key].name, stored[d.key].display) != (d.name, d.display):
                self.c.execute(sa.update(db.departments).where(db.departments.c.key == d.key).values(**row))


class SqlUsers:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def get(self, user_id: str) -> User:
        row = self.c.execute(sa.select(db.users).where(db.users.c.id == user_id)).first()
        if row is None:
            raise UnknownUser(user_id)
        return User(row.id, row.name, row.department, frozenset(UserRole(r) for r in row.roles), row.email)

    def add(self, user: User, now: dt.datetime) -> None:
        values = {
            "id": user.id,
            "name": user.name,
            "department": user.department,
            "roles": sorted(r.value for r in user.roles),
            "email": user.email,
            "created_at": now,
        }
        if self.c.execute(sa.select(db.users.c.id).where(db.users.c.id == user.id)).first():
            values.pop("created_at")
            self.c.execute(sa.update(db.users).where(db.users.c.id == user.id).values(**values))
        else:
            self.c.execute(sa.insert(db.users).values(**values))

    def list(self) -> list[User]:
        ids = self.c.execute(sa.select(db.users.c.id).order_by(db.users.c.id)).scalars()
        return [self.get(i) for i in ids]


class SqlNotices:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def get(self, notice_id: str) -> NoticeRecord | None:
        row = self.c.execute(sa.select(db.notices).where(db.notices.c.id == notice_id)).first()
        return _notice(row) if row is not None else None

    def save(self, notice: NoticeRecord) -> None:
        i = notice.info
        values = {
            "id": i.id,
            "title": i.title,
            "number": i.number,
            "issuer": i.issuer,
            "written_on": i.date,
            "published_on": i.published,
            "deadline": notice.deadline,
            "coordinator": notice.coordinator.department,
            "coordinator_office": notice.coordinator.office,
            "reviewer": notice.coordinator.reviewer,
            "catalogue": notice.catalogue,
            "ingested_at": notice.ingested_at,
        }
        if self.get(i.id) is None:
            self.c.execute(sa.insert(db.notices).values(**values))
        else:
            self.c.execute(sa.update(db.notices).where(db.notices.c.id == i.id).values(**values))

    def list(self) -> list[NoticeRecord]:
        return [_notice(r) for r in self.c.execute(sa.select(db.notices).order_by(db.notices.c.id))]


def _notice(row: Any) -> NoticeRecord:
    refs = row.catalogue.get("notice", {}).get("references", []) if isinstance(row.catalogue, dict) else []
    references = tuple(Reference(r["title"], r.get("number"), r.get("short")) for r in refs)
    info = NoticeInfo(row.id, row.title, row.number, row.issuer, row.written_on, row.published_on, references)
    coordinator = Coordinator(row.coordinator, row.coordinator_office, row.reviewer)
    return NoticeRecord(info, coordinator, row.deadline, row.catalogue, row.ingested_at)


class SqlMachineLog:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def done(self, duty_id: str, stage_version: int, step: str) -> tuple[str, ...] | None:
        t = db.machine_steps
        row = self.c.execute(
            sa.select(t.c.documents).where(
                t.c.duty_id == duty_id, t.c.stage_version == stage_version, t.c.step == step
            )
        ).first()
        return tuple(row.documents) if row is not None else None

    def record(
        self, duty_id: str, stage_version: int, step: str, documents: tuple[str, ...], now: dt.datetime
    ) -> bool:
        if self.done(duty_id, stage_version, step) is not None:
            return False
        values = {
            "duty_id": duty_id,
            "stage_version": stage_version,
            "step": step,
            "documents": list(documents),
            "done_at": now,
        }
        self.c.execute(sa.insert(db.machine_steps).values(**values))
        return True


class SqlDispatchLog:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def add(self, dispatch: Dispatch) -> None:
        values = {
            "key": dispatch.key,
            "duty_id": dispatch.duty_id,
            "stage": dispatch.stage,
            "stage_version": dispatch.stage_version,
            "attempt": dispatch.attempt,
            "acting_at": dispatch.acting_at,
            "flow_run_id": dispatch.flow_run_id,
            "dispatched_at": dispatch.dispatched_at,
            "token": dispatch.token,
        }
        self.c.execute(sa.insert(db.dispatches).values(**values))

    def set_run(self, key: str, flow_run_id: str) -> None:
        t = db.dispatches
        self.c.execute(sa.update(t).where(t.c.key == key).values(flow_run_id=flow_run_id))

    def latest(self, duty_id: str, stage_version: int, stage: str) -> Dispatch | None:
        t = db.dispatches
        row = self.c.execute(
            sa.select(t)
            .where(t.c.duty_id == duty_id, t.c.stage_version == stage_version, t.c.stage == stage)
            .order_by(t.c.attempt.desc())
        ).first()
        if row is None:
            return None
        return Dispatch(
            row.duty_id,
            row.stage,
            row.stage_version,
            row.attempt,
            row.acting_at,
            row.dispatched_at,
            row.flow_run_id,
            row.token,
        )
