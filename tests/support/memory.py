"""An in-memory unit of work with its repositories: the fake of the UnitOfWork port, for service unit tests.

It keeps what the SQL adapters keep and answers as they answer; tests/integration/test_repositories.py runs
the same contract over this fake, SQLite and PostgreSQL. A unit of work works on a copy of the database and
publishes on `commit` the rows it changed, so whatever is not committed is gone when the `with` block ends, and
what another unit of work committed meanwhile stays, as in SQL. A duty saved here that another unit of work
changed since this one began is refused with ConcurrencyConflict, as PostgreSQL's versioned update refuses it.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from engine.domain.departments import Department, Registry
from engine.domain.drafting.content import Content
from engine.domain.drafting.policy import Wording
from engine.domain.ports import (
    AuditRecord,
    Dispatch,
    DutyFacts,
    DutyRow,
    NoticeRecord,
    Ports,
    StoredReminder,
    UnitOfWork,
)
from engine.domain.reminders.planner import Kind, Reminder
from engine.domain.reminders.policy import ReminderPolicy
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.accounts import Account, ApiToken
from engine.domain.workflow.model import Duty, State
from engine.domain.workflow.people import User
from engine.errors import ConcurrencyConflict, DutyNotFound, UnknownUser
from tests.support.fakes import InMemoryDocumentStore

UNCERTAIN_ERROR = "已提交邮件服务器但未确认：可能已送达，不自动重发"


@dataclass
class _Reminder:
    """A stored reminder row, as the `reminders` table holds it."""

    reminder: Reminder
    planned_at: dt.datetime
    status: str = "pending"
    attempts: int = 0
    next_try_at: dt.datetime | None = None
    claimed_at: dt.datetime | None = None
    claim: str | None = None
    sent_at: dt.datetime | None = None
    message_id: str | None = None
    addresses: str = ""
    error: str = ""
    reported_in: str | None = None

    def stored(self) -> StoredReminder:
        return StoredReminder(
            self.reminder,
            self.status,
            self.attempts,
            self.next_try_at,
            self.claimed_at,
            self.sent_at,
            self.message_id,
            self.addresses,
            self.error,
            self.reported_in,
        )


@dataclass
class MemoryDatabase:
    """Everything the SQL tables hold, as Python values."""

    duties: dict[str, Duty] = field(default_factory=dict)
    users: dict[str, tuple[User, dt.datetime]] = field(default_factory=dict)
    notices: dict[str, NoticeRecord] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    steps: dict[tuple[str, int, str], tuple[tuple[str, ...], dt.datetime]] = field(default_factory=dict)
    dispatches: dict[str, Dispatch] = field(default_factory=dict)
    ended: dict[str, dt.datetime] = field(default_factory=dict)  # dispatch key → when its run was seen to end
    reminders: dict[str, _Reminder] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)  # a user's row in SQL: none until saved
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    audit: dict[str, AuditRecord] = field(default_factory=dict)  # in the order recorded

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)


class InMemoryUnitOfWork:
    """One transaction over a copy of the database: `commit` publishes the rows the copy changed, anything
    else drops it."""

    state: MemoryDatabase  # what this transaction sees and changes
    base: MemoryDatabase  # the database as this transaction found it

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database

    def __enter__(self) -> Self:
        self._begin()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        del self.state

    def commit(self) -> None:
        """Publish the changed rows over what others committed meanwhile; a duty another unit of work changed
        since this one began is a conflict (only a duty subclass that skips the check at save gets here)."""
        for duty_id in self._changed("duties"):
            if self._changed_elsewhere(duty_id):
                raise ConcurrencyConflict(duty_id)
        for f in dataclasses.fields(MemoryDatabase):
            mine, published = getattr(self.state, f.name), getattr(self.database, f.name)
            for key in self._changed(f.name):
                if key in mine:
                    published[key] = copy.deepcopy(mine[key])
                else:
                    published.pop(key, None)
        self.base = _copy(self.state)

    def rollback(self) -> None:
        self._begin()

    def _begin(self) -> None:
        self.base = _copy(self.database)
        self.state = _copy(self.base)
        self.duties = MemoryDuties(self.state, self._changed_elsewhere)
        self.users = MemoryUsers(self.state)
        self.notices = MemoryNotices(self.state)
        self.departments = MemoryDepartments(self.state)
        self.machine = MemoryMachineLog(self.state)
        self.dispatches = MemoryDispatchLog(self.state)
        self.reminders = MemoryReminderLog(self.state)
        self.accounts = MemoryAccounts(self.state)
        self.audit = MemoryAuditLog(self.state)
        self.views = MemoryReadModels(self.state)

    def _changed(self, table: str) -> list[Any]:
        """The keys of the rows of a table this transaction added, changed or removed."""
        mine, base = getattr(self.state, table), getattr(self.base, table)
        return [k for k in {**base, **mine} if k not in mine or k not in base or mine[k] != base[k]]

    def _changed_elsewhere(self, duty_id: str) -> bool:
        """Whether another unit of work committed a change to the duty since this one began."""
        found, now = self.base.duties.get(duty_id), self.database.duties.get(duty_id)
        return found is not None and (now is None or now.version != found.version)


class MemoryDuties:
    def __init__(self, state: MemoryDatabase, changed_elsewhere: Callable[[str], bool] | None = None) -> None:
        self.state = state
        self.changed_elsewhere = changed_elsewhere or (lambda duty_id: False)

    def get(self, duty_id: str) -> Duty:
        if duty_id not in self.state.duties:
            raise DutyNotFound(duty_id)
        return _as_read(self.state.duties[duty_id])

    def add(self, duty: Duty) -> None:
        if duty.id in self.state.duties or duty.notice_id not in self.state.notices or not duty.events:
            raise ValueError(f"a new duty, of an ingested notice, with its ingest event: {duty.id}")
        duty.version = 1
        self.state.duties[duty.id] = copy.deepcopy(duty)

    def list(self, notice_id: str | None = None) -> list[Duty]:
        duties = sorted(self.state.duties.values(), key=lambda d: (d.notice_id, d.id))
        return [_as_read(d) for d in duties if notice_id is None or d.notice_id == notice_id]

    def consultations_ended(self, today: dt.date) -> tuple[str, ...]:
        ended = (
            d.id
            for d in self.state.duties.values()
            if d.state is State.CONSULTING
            and d.current_requests()
            and today > max(r.due for r in d.current_requests())
        )
        return tuple(sorted(ended))

    def save(self, duty: Duty) -> None:
        stored = self.state.duties.get(duty.id)
        if stored is None or stored.version != duty.version or self.changed_elsewhere(duty.id):
            raise ConcurrencyConflict(duty.id)
        duty.version += 1
        self.state.duties[duty.id] = copy.deepcopy(duty)


def _copy(database: MemoryDatabase) -> MemoryDatabase:
    """A deep copy of the tables that shares the departments: they are frozen, and the registry's union of
    every registry is large enough that copying them at each unit of work dominated the fakes' cost."""
    shared = {id(d): d for d in database.departments.values()}
    return copy.deepcopy(database, shared)


def _as_read(duty: Duty) -> Duty:
    """A copy of the stored duty, its opinions in the order SQL reads them: by round, consultee and number."""
    found = copy.deepcopy(duty)
    found.opinions.sort(key=lambda o: (o.round, o.consultee, o.seq))
    return found


class MemoryUsers:
    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def get(self, user_id: str) -> User:
        if user_id not in self.state.users:
            raise UnknownUser(user_id)
        return self.state.users[user_id][0]

    def add(self, user: User, now: dt.datetime) -> None:
        if user.department not in self.state.departments:  # a foreign key in SQL
            raise ValueError(f"an account of a synced department: {user.id} of {user.department}")
        created = self.state.users[user.id][1] if user.id in self.state.users else now
        self.state.users[user.id] = (user, created)

    def list(self) -> list[User]:
        return [self.state.users[k][0] for k in sorted(self.state.users)]


class MemoryAccounts:
    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def get(self, user_id: str) -> Account:
        if user_id not in self.state.users:
            raise UnknownUser(user_id)
        return self.state.accounts.get(user_id, Account(user_id))

    def save(self, account: Account) -> None:
        if account.user_id not in self.state.users:
            raise UnknownUser(account.user_id)
        self.state.accounts[account.user_id] = account

    def add_token(self, token: ApiToken) -> None:
        if token.user_id not in self.state.users:
            raise UnknownUser(token.user_id)
        self.state.tokens[token.digest] = token

    def token(self, digest: str) -> ApiToken | None:
        return self.state.tokens.get(digest)

    def revoke_tokens(self, user_id: str, now: dt.datetime) -> int:
        mine = [t for t in self.state.tokens.values() if t.user_id == user_id and t.revoked is None]
        for token in mine:
            self.state.tokens[token.digest] = dataclasses.replace(token, revoked=now)
        return len(mine)


class MemoryAuditLog:
    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def record(self, record: AuditRecord) -> None:
        self.state.audit[uuid.uuid4().hex] = record

    def list(self, *, subject: str | None = None, actor: str | None = None) -> list[AuditRecord]:
        return [
            r
            for r in self.state.audit.values()
            if (subject is None or r.subject == subject) and (actor is None or r.actor == actor)
        ]


class MemoryReadModels:
    """The read models computed from the aggregates, as the SQL queries compute them from the rows."""

    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def task_rows(self, department: str) -> list[DutyRow]:
        rows = [self._row(d) for d in self._duties() if not d.state.terminal]
        return [
            r
            for r in rows
            if r.lead == department
            or department in r.unanswered
            or (r.reviewer == department and r.state is State.REVIEWING)
            or (r.coordinator == department and r.state is State.DELIBERATING)
        ]

    def notice_rows(self, notice_id: str) -> list[DutyRow]:
        return [self._row(d) for d in self._duties() if d.notice_id == notice_id]

    def search_rows(self, text: str, leads: tuple[str, ...], limit: int) -> list[DutyRow]:
        found = [
            d for d in self._duties() if text in d.id or text in (d.spec.title or "") or d.spec.lead in leads
        ]
        return [self._row(d) for d in found[:limit]]

    def events(
        self, duty_ids: list[str], actions: frozenset[str]
    ) -> dict[str, list[tuple[str, dt.datetime]]]:
        found: dict[str, list[tuple[str, dt.datetime]]] = {}
        for duty_id in duty_ids:
            duty = self.state.duties.get(duty_id)
            mine = [(e.action, e.at) for e in duty.events if e.action in actions] if duty else []
            if mine:
                found[duty_id] = mine
        return found

    def _duties(self) -> list[Duty]:
        return sorted(self.state.duties.values(), key=lambda d: d.id)

    def _row(self, duty: Duty) -> DutyRow:
        notice = self.state.notices.get(duty.notice_id)
        requests = duty.current_requests()
        s = duty.spec
        return DutyRow(
            duty.id,
            duty.notice_id,
            s.location,
            s.title or s.document or "",
            s.lead,
            s.co_departments,
            s.consultees,
            s.officer,
            s.track,
            duty.state,
            duty.version,
            duty.stage_version,
            duty.machine_done,
            duty.deadline,
            duty.last_working_day,
            notice.coordinator.department if notice else None,
            notice.coordinator.reviewer if notice else None,
            tuple(r.consultee for r in requests if r.reply is None) if duty.state is State.CONSULTING else (),
            max((r.due for r in requests), default=None),
            len(duty.undecided()),
            tuple(sorted({r.consultee for r in duty.requests})),
            any(e.action == "submit" for e in duty.events),
        )


class MemoryNotices:
    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def get(self, notice_id: str) -> NoticeRecord | None:
        return self.state.notices.get(notice_id)

    def save(self, notice: NoticeRecord) -> None:
        self.state.notices[notice.id] = notice

    def list(self) -> list[NoticeRecord]:
        return [self.state.notices[k] for k in sorted(self.state.notices)]


class MemoryDepartments:
    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def sync(self, departments: list[Department]) -> None:
        for d in departments:
            self.state.departments[d.key] = d


class MemoryMachineLog:
    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def done(self, duty_id: str, stage_version: int, step: str) -> tuple[str, ...] | None:
        found = self.state.steps.get((duty_id, stage_version, step))
        return found[0] if found else None

    def record(
        self, duty_id: str, stage_version: int, step: str, documents: tuple[str, ...], now: dt.datetime
    ) -> bool:
        if (duty_id, stage_version, step) in self.state.steps:
            return False
        self.state.steps[(duty_id, stage_version, step)] = (tuple(documents), now)
        return True


class MemoryDispatchLog:
    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def add(self, dispatch: Dispatch) -> bool:
        if dispatch.key in self.state.dispatches:
            return False
        self.state.dispatches[dispatch.key] = dispatch
        return True

    def set_run(self, key: str, flow_run_id: str) -> None:
        if key in self.state.dispatches:
            self.state.dispatches[key] = dataclasses.replace(
                self.state.dispatches[key], flow_run_id=flow_run_id
            )

    def latest(self, duty_id: str, stage_version: int, stage: str) -> Dispatch | None:
        mine = [
            d
            for d in self.state.dispatches.values()
            if (d.duty_id, d.stage_version, d.stage) == (duty_id, stage_version, stage)
        ]
        return max(mine, key=lambda d: d.attempt, default=None)

    def in_flight(self) -> list[Dispatch]:
        flying = [
            d for d in self.state.dispatches.values() if d.flow_run_id and d.key not in self.state.ended
        ]
        return sorted(flying, key=lambda d: (d.dispatched_at, d.key))

    def end(self, key: str, at: dt.datetime) -> None:
        if key in self.state.dispatches:
            self.state.ended.setdefault(key, at)


_UNFINISHED = frozenset(s for s in State if not s.terminal and s is not State.PUBLISHED)


class MemoryReminderLog:
    def __init__(self, state: MemoryDatabase) -> None:
        self.state = state

    def _rows(self, keep: Callable[[_Reminder], bool] = lambda r: True) -> list[_Reminder]:
        return [r for r in self.state.reminders.values() if keep(r)]

    def _keyed(self, keys: list[str], *statuses: str) -> list[_Reminder]:
        rows = (self.state.reminders.get(k) for k in dict.fromkeys(keys))
        return [r for r in rows if r is not None and (not statuses or r.status in statuses)]

    def statuses(self, subject: str) -> dict[str, str]:
        return {r.reminder.key: r.status for r in self._rows(lambda r: r.reminder.subject == subject)}

    def notice_statuses(self, notice_id: str) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for r in self._rows(lambda r: r.reminder.notice_id == notice_id):
            found.setdefault(r.reminder.subject, {})[r.reminder.key] = r.status
        return found

    def add(self, reminders: list[Reminder], now: dt.datetime) -> None:
        for reminder in reminders:
            self.state.reminders.setdefault(reminder.key, _Reminder(reminder, now))

    def cancel(self, keys: list[str]) -> None:
        for row in self._keyed(keys, "pending"):
            row.status = "cancelled"

    def due(self, today: dt.date, now: dt.datetime) -> list[StoredReminder]:
        rows = self._rows(
            lambda r: (
                r.status == "pending"
                and r.reminder.send_on <= today
                and (r.next_try_at is None or r.next_try_at <= now)
            )
        )
        rows.sort(key=lambda r: (r.reminder.to, r.reminder.subject, r.reminder.key))
        return [r.stored() for r in rows]

    def claim(self, keys: list[str], token: str, now: dt.datetime) -> list[StoredReminder]:
        claimed = self._keyed(keys, "pending")
        for row in claimed:
            row.status, row.claim, row.claimed_at = "sending", token, now
        return [r.stored() for r in claimed]

    def settle(self, keys: list[str], status: str, now: dt.datetime, **fields: Any) -> None:
        for row in self._keyed(keys, "pending", "sending"):
            row.status = status
            for name, value in fields.items():
                setattr(row, name, value)
            if status == "sent":
                row.sent_at = now

    def record_sent(self, mails: list[tuple[list[str], str, str]], now: dt.datetime) -> None:
        for keys, message_id, addresses in mails:
            for row in self._keyed(keys, "sending"):
                row.status, row.sent_at, row.message_id, row.addresses = "sent", now, message_id, addresses

    def defer(self, keys: list[str], error: str, now: dt.datetime, waits: tuple[int, ...]) -> None:
        for row in self._keyed(keys, "pending", "sending"):
            wait = waits[min(row.attempts, len(waits) - 1)]
            row.status, row.attempts, row.error = "pending", row.attempts + 1, error
            row.next_try_at = now + dt.timedelta(seconds=wait)
            row.claim, row.claimed_at = None, None

    def expire_claims(self, claimed_before: dt.datetime) -> list[str]:
        expired = self._rows(
            lambda r: r.status == "sending" and r.claimed_at is not None and r.claimed_at < claimed_before
        )
        for row in expired:
            row.status, row.error = "uncertain", UNCERTAIN_ERROR
        return sorted(r.reminder.key for r in expired)

    def unreported(self, notice_id: str) -> list[StoredReminder]:
        rows = self._rows(
            lambda r: (
                r.reminder.notice_id == notice_id
                and r.reported_in is None
                and r.status in ("uncertain", "folded", "failed")
            )
        )
        return [r.stored() for r in sorted(rows, key=lambda r: (r.reminder.send_on, r.reminder.key))]

    def report(self, keys: list[str], digest_key: str) -> None:
        for row in self._keyed(keys):
            row.reported_in = digest_key

    def facts(self, subjects: list[str]) -> dict[str, DutyFacts]:
        wanted = set(subjects)
        return {d.id: _facts(d) for d in self.state.duties.values() if d.id in wanted}

    def notice_facts(self, notice_id: str) -> list[DutyFacts]:
        duties = sorted(
            (d for d in self.state.duties.values() if d.notice_id == notice_id), key=lambda d: d.id
        )
        return [_facts(d) for d in duties]

    def milestones(self, subjects: list[str]) -> dict[str, list[tuple[str, dt.date]]]:
        ahead: dict[str, set[tuple[str, dt.date]]] = {}
        wanted = set(subjects)
        for row in self._rows(
            lambda r: (
                r.reminder.subject in wanted
                and r.reminder.kind.value.startswith("before:")
                and r.status in ("pending", "sending")
            )
        ):
            ahead.setdefault(row.reminder.subject, set()).add((row.reminder.about, row.reminder.due))
        return {s: sorted(v, key=lambda m: (m[1], m[0])) for s, v in ahead.items()}

    def mailed(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        seen = {
            (r.reminder.subject, r.reminder.to)
            for r in self._rows(lambda r: r.status in ("sent", "uncertain"))
        }
        return seen & set(pairs)

    def overdue_without(self, today: dt.date) -> list[str]:
        planned = {
            r.reminder.subject
            for r in self._rows(lambda r: r.reminder.kind is Kind.OVERDUE and r.reminder.send_on == today)
        }
        return sorted(
            d.id
            for d in self.state.duties.values()
            if d.last_working_day is not None
            and d.last_working_day < today
            and d.state in _UNFINISHED
            and d.state is not State.NOT_STARTED
            and d.id not in planned
        )

    def list(
        self, *, subject: str | None = None, due_before: dt.date | None = None, pending_only: bool = True
    ) -> list[StoredReminder]:
        rows = self._rows(
            lambda r: (
                (subject is None or r.reminder.subject == subject)
                and (due_before is None or r.reminder.send_on < due_before)
                and (not pending_only or r.status == "pending")
            )
        )
        rows.sort(key=lambda r: (r.reminder.send_on, r.reminder.to, r.reminder.key))
        return [r.stored() for r in rows]

    def next_day(self, after: dt.date) -> dt.date | None:
        days = [
            r.reminder.send_on
            for r in self._rows(lambda r: r.status == "pending" and r.reminder.send_on > after)
        ]
        return min(days, default=None)


def _facts(duty: Duty) -> DutyFacts:
    s = duty.spec
    return DutyFacts(
        duty.id,
        duty.notice_id,
        s.title or s.document or "",
        s.lead,
        duty.state.value,
        duty.deadline,
        duty.last_working_day,
    )


def memory_ports(
    registry: Registry,
    calendar: WorkCalendar,
    wording: Wording,
    *,
    render: Callable[[Content], bytes] = lambda content: repr(content).encode("utf-8"),
    reminders: ReminderPolicy | None = None,
) -> tuple[Ports, MemoryDatabase]:
    """Ports over an empty in-memory database and document store; documents are rendered as their repr."""
    database = MemoryDatabase()
    ports = Ports(
        database.unit_of_work,
        InMemoryDocumentStore(),
        registry,
        calendar,
        wording,
        render,
        reminders=reminders or ReminderPolicy(),
    )
    return ports, database


def _conforms(database: MemoryDatabase) -> Callable[[], UnitOfWork]:
    """mypy checks here that the fake unit of work is one (the Protocol of engine.domain.ports)."""
    return database.unit_of_work
