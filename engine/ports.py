"""The ports services use for persistence and orchestration; adapters implement them, fakes imitate them.

A unit of work opens a transaction, hands out repositories, and rolls back unless committed; services never
see a session. The dispatcher "advances a duty": it runs the machine work its new stage allows, in-process
or through Prefect.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from engine.departments import Department
from engine.duties import Coordinator, NoticeInfo
from engine.model import Duty
from engine.people import User
from engine.reminders import Reminder


@dataclass(frozen=True)
class NoticeRecord:
    """A notice as ingested: its metadata, coordinating office, the catalogue as plain data, and when."""

    info: NoticeInfo
    coordinator: Coordinator
    deadline: dt.date | None
    catalogue: dict[str, Any]
    ingested_at: dt.datetime

    @property
    def id(self) -> str:
        return self.info.id


class DutyRepository(Protocol):
    def get(self, duty_id: str) -> Duty:
        """Return the duty; raise DutyNotFound."""
        ...

    def add(self, duty: Duty) -> None: ...

    def list(self, notice_id: str | None = None) -> list[Duty]: ...

    def save(self, duty: Duty) -> None:
        """Write the duty back; raise ConcurrencyConflict when its version is no longer the stored one."""
        ...


class UserRepository(Protocol):
    def get(self, user_id: str) -> User:
        """Return the user; raise UnknownUser."""
        ...

    def add(self, user: User, now: dt.datetime) -> None:
        """Create the account, or update it when the id exists (keeping when it was created)."""
        ...

    def list(self) -> list[User]: ...


class NoticeRepository(Protocol):
    def get(self, notice_id: str) -> NoticeRecord | None: ...

    def save(self, notice: NoticeRecord) -> None: ...

    def list(self) -> list[NoticeRecord]: ...


class DepartmentRepository(Protocol):
    def sync(self, departments: list[Department]) -> None:
        """Make the stored departments match the registry (added and renamed; never deleted)."""
        ...


@dataclass(frozen=True)
class Dispatch:
    """One run asked of Prefect for a duty's stage version; `attempt` counts re-dispatches."""

    duty_id: str
    stage: str
    stage_version: int
    attempt: int
    acting_at: dt.datetime
    dispatched_at: dt.datetime
    flow_run_id: str | None = None
    token: str = ""  # random, tagged on the run: tells our run from one a former database left under the key

    @property
    def key(self) -> str:
        return f"{self.duty_id}:{self.stage}:{self.stage_version}:{self.attempt}"


class MachineLog(Protocol):
    def done(self, duty_id: str, stage_version: int, step: str) -> tuple[str, ...] | None:
        """Return the document ids a finished step stored, or None when the step has not been done."""
        ...

    def record(
        self, duty_id: str, stage_version: int, step: str, documents: tuple[str, ...], now: dt.datetime
    ) -> bool:
        """Record a finished step; return False (and change nothing) when it was recorded already."""
        ...


class DispatchLog(Protocol):
    def add(self, dispatch: Dispatch) -> None: ...

    def set_run(self, key: str, flow_run_id: str) -> None: ...

    def latest(self, duty_id: str, stage_version: int, stage: str) -> Dispatch | None:
        """The newest attempt dispatched for one work (`stage`) of a duty's stage version."""
        ...


@dataclass(frozen=True)
class StoredReminder:
    """A planned reminder as stored, with where its sending stands."""

    reminder: Reminder
    status: str  # pending, sending, sent, uncertain, cancelled, folded, failed
    attempts: int = 0
    next_try_at: dt.datetime | None = None
    claimed_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    message_id: str | None = None
    addresses: str = ""
    error: str = ""
    reported_in: str | None = None

    @property
    def key(self) -> str:
        return self.reminder.key


@dataclass(frozen=True)
class DutyFacts:
    """What a mail says about a duty, read without loading the aggregate."""

    id: str
    notice_id: str
    title: str
    lead: str | None
    state: str
    deadline: dt.date | None
    last_working_day: dt.date | None = None


class ReminderLog(Protocol):
    def statuses(self, subject: str) -> dict[str, str]:
        """Every stored reminder about a duty (or a notice's digests): key → status."""
        ...

    def notice_statuses(self, notice_id: str) -> dict[str, dict[str, str]]:
        """Every stored reminder of a notice: subject → key → status."""
        ...

    def add(self, reminders: list[Reminder], now: dt.datetime) -> None:
        """Store new reminders as pending; their keys must be new."""
        ...

    def cancel(self, keys: list[str]) -> None:
        """Cancel the reminders among `keys` that are still pending."""
        ...

    def due(self, today: dt.date, now: dt.datetime) -> list[StoredReminder]:
        """The pending reminders whose day has come and whose next try is not later than `now`."""
        ...

    def claim(self, keys: list[str], token: str, now: dt.datetime) -> list[StoredReminder]:
        """Mark as being sent those of `keys` still pending that no one else is claiming; return them."""
        ...

    def settle(self, keys: list[str], status: str, now: dt.datetime, **fields: Any) -> None:
        """Set the status (and message id, addresses or error) of claimed or pending reminders."""
        ...

    def record_sent(self, mails: list[tuple[list[str], str, str]], now: dt.datetime) -> None:
        """Mark sent the reminders each mail carried: (keys, message id, addresses), in one statement."""
        ...

    def defer(self, keys: list[str], error: str, now: dt.datetime, waits: tuple[int, ...]) -> None:
        """Put reminders back to pending with one more attempt counted; the Nth attempt waits `waits[N]`
        seconds (the last value repeats)."""
        ...

    def expire_claims(self, claimed_before: dt.datetime) -> list[str]:
        """Mark uncertain every reminder still being sent that was claimed before the time; return the keys."""
        ...

    def unreported(self, notice_id: str) -> list[StoredReminder]:
        """The uncertain, folded or failed reminders of a notice that no digest has listed yet."""
        ...

    def report(self, keys: list[str], digest_key: str) -> None: ...

    def facts(self, subjects: list[str]) -> dict[str, DutyFacts]:
        """The duties among `subjects`, as mails describe them."""
        ...

    def notice_facts(self, notice_id: str) -> list[DutyFacts]:
        """Every duty of a notice, as the digest describes it, in id order."""
        ...

    def milestones(self, subjects: list[str]) -> dict[str, list[tuple[str, dt.date]]]:
        """The milestones still ahead of each duty, as its planned reminders name them: (about, day)."""
        ...

    def mailed(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those (subject, recipient) pairs that a mail has gone (or may have gone) to before."""
        ...

    def overdue_without(self, today: dt.date) -> list[str]:
        """Duties overdue today (past their last working day, unfinished) with no reminder planned for today."""
        ...

    def list(
        self, *, subject: str | None = None, due_before: dt.date | None = None, pending_only: bool = True
    ) -> list[StoredReminder]: ...

    def next_day(self, after: dt.date) -> dt.date | None:
        """The first day after `after` on which a pending reminder is to be sent."""
        ...


class UnitOfWork(Protocol):
    @property
    def duties(self) -> DutyRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def notices(self) -> NoticeRepository: ...

    @property
    def departments(self) -> DepartmentRepository: ...

    @property
    def machine(self) -> MachineLog: ...

    @property
    def dispatches(self) -> DispatchLog: ...

    @property
    def reminders(self) -> ReminderLog: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Dispatcher(Protocol):
    def advance(self, duty_id: str, now: dt.datetime) -> None:
        """Run the machine work of the duty's current stage, once; safe to call again."""
        ...

    def reconcile(self, now: dt.datetime) -> list[str]:
        """Run again the machine work that was lost (a crashed or stalled run); return the duties."""
        ...


@dataclass(frozen=True)
class Outgoing:
    """One rendered mail, ready for a transport: the envelope and the message's bytes."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]  # To and Cc addresses
    data: bytes
    keys: tuple[str, ...]  # the reminders it carries
    sent_on: dt.date
    reported: str = ""  # for a digest: the keys of the reminders it lists, space-separated


class MailSession(Protocol):
    def send(self, mail: Outgoing) -> None:
        """Hand over one mail; raise MailRejected (not sent), MailUncertain (maybe sent) or MailUnavailable."""
        ...


class MailTransport(Protocol):
    def session(self) -> AbstractContextManager[MailSession]:
        """Open one session for a batch of mails; raise MailUnavailable when the server cannot be reached."""
        ...
