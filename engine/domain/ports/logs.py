"""The machine's own records, kept in the same transaction as the duties they are about.

- MachineLog: each step of a stage's machine work done, so that a rerun redoes nothing.
- DispatchLog: each run asked of Prefect, so that the reconciler can find the lost ones.
- ReminderLog: the planned reminders, one row a mail-to-be, claimed before sending so that none goes twice.
- AuditLog: what people did that is not a duty's own event: logins, logouts, account changes, exports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from engine.domain.reminders.planner import Reminder


class MachineLog(Protocol):
    """The steps of machine work done, under (duty, stage version, step)."""

    def done(self, duty_id: str, stage_version: int, step: str) -> tuple[str, ...] | None:
        """Return the document ids a finished step stored, or None when the step has not been done."""
        ...

    def record(
        self, duty_id: str, stage_version: int, step: str, documents: tuple[str, ...], now: dt.datetime
    ) -> bool:
        """Record a finished step; return False (and change nothing) when it was recorded already."""
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


class DispatchLog(Protocol):
    """The runs dispatched for each duty, one row an attempt."""

    def add(self, dispatch: Dispatch) -> bool:
        """Record a dispatch; return False, changing nothing, when its key is recorded already (another
        dispatcher took the same attempt first)."""
        ...

    def set_run(self, key: str, flow_run_id: str) -> None:
        """Remember the flow run Prefect created for the dispatch with this key; an unknown key is ignored."""
        ...

    def latest(self, duty_id: str, stage_version: int, stage: str) -> Dispatch | None:
        """Return the newest attempt dispatched for one work (`stage`) of a duty's stage version, or None."""
        ...

    def in_flight(self) -> list[Dispatch]:
        """Return the dispatches with a flow run not yet seen to end, oldest first."""
        ...

    def end(self, key: str, at: dt.datetime) -> None:
        """Record that the dispatch's run ended (or was ended); an unknown key is ignored."""
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
    """The planned reminders and where the sending of each stands (pending → sending → sent, or uncertain,
    cancelled, folded, failed). Methods taking keys ignore keys they do not hold."""

    def statuses(self, subject: str) -> dict[str, str]:
        """Return every stored reminder about a duty (or a notice's digests): key → status."""
        ...

    def notice_statuses(self, notice_id: str) -> dict[str, dict[str, str]]:
        """Return every stored reminder of a notice: subject → key → status."""
        ...

    def add(self, reminders: list[Reminder], now: dt.datetime) -> None:
        """Store new reminders as pending; a key stored already keeps its row as it is."""
        ...

    def cancel(self, keys: list[str]) -> None:
        """Cancel the reminders among `keys` that are still pending."""
        ...

    def due(self, today: dt.date, now: dt.datetime) -> list[StoredReminder]:
        """Return the pending reminders whose day has come and whose next try is not later than `now`,
        ordered by recipient, subject and key."""
        ...

    def claim(self, keys: list[str], token: str, now: dt.datetime) -> list[StoredReminder]:
        """Mark as being sent those of `keys` still pending that no one else is claiming; return them."""
        ...

    def settle(self, keys: list[str], status: str, now: dt.datetime, **fields: Any) -> None:
        """Set the status (and message id, addresses or error) of claimed or pending reminders; `sent`
        also records `now` as the time sent."""
        ...

    def record_sent(self, mails: list[tuple[list[str], str, str]], now: dt.datetime) -> None:
        """Mark sent the claimed reminders each mail carried: (keys, message id, addresses)."""
        ...

    def defer(self, keys: list[str], error: str, now: dt.datetime, waits: tuple[int, ...]) -> None:
        """Put reminders back to pending with one more attempt counted; the Nth attempt waits `waits[N]`
        seconds (the last value repeats)."""
        ...

    def expire_claims(self, claimed_before: dt.datetime) -> list[str]:
        """Mark uncertain every reminder still being sent that was claimed before the time; return the keys."""
        ...

    def unreported(self, notice_id: str) -> list[StoredReminder]:
        """Return the uncertain, folded or failed reminders of a notice that no digest has listed yet."""
        ...

    def report(self, keys: list[str], digest_key: str) -> None:
        """Record that the digest `digest_key` listed these reminders, so that no later digest lists them."""
        ...

    def facts(self, subjects: list[str]) -> dict[str, DutyFacts]:
        """Return the duties among `subjects`, as mails describe them; unknown ids are left out."""
        ...

    def notice_facts(self, notice_id: str) -> list[DutyFacts]:
        """Return every duty of a notice, as the digest describes it, in id order."""
        ...

    def milestones(self, subjects: list[str]) -> dict[str, list[tuple[str, dt.date]]]:
        """Return the milestones still ahead of each duty, as its pending reminders name them: (about, day),
        ordered by day."""
        ...

    def mailed(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Return those (subject, recipient) pairs that a mail has gone (or may have gone) to before."""
        ...

    def overdue_without(self, today: dt.date) -> list[str]:
        """Return the duties overdue today (started, past their last working day, neither published nor
        finished) with no overdue reminder planned for today, in id order."""
        ...

    def list(
        self, *, subject: str | None = None, due_before: dt.date | None = None, pending_only: bool = True
    ) -> list[StoredReminder]:
        """Return the stored reminders (pending ones only, unless asked), of one subject and sent before a
        day when asked, ordered by day, recipient and key."""
        ...

    def next_day(self, after: dt.date) -> dt.date | None:
        """Return the first day after `after` on which a pending reminder is to be sent, or None."""
        ...


@dataclass(frozen=True)
class AuditRecord:
    """Who did what, when, to what: an export, a login, an account change."""

    at: dt.datetime
    actor: str
    action: str  # e.g. export, bundle, ledger, login, login-failed, logout, password, disable
    subject: str  # a document, duty, notice or user id
    detail: str = ""


class AuditLog(Protocol):
    """The audit trail of what happens outside a duty's own events; append-only."""

    def record(self, record: AuditRecord) -> None:
        """Append the record."""
        ...

    def list(self, *, subject: str | None = None, actor: str | None = None) -> list[AuditRecord]:
        """Return the records, oldest first, of one subject or actor when asked."""
        ...
