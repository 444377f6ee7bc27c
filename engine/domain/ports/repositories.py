"""The unit of work and the repositories it hands out: how services read and change what Banfa keeps.

A unit of work is one transaction. It rolls back unless `commit` is called, so a refused action changes
nothing; services never see a connection or a session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from engine.domain.departments import Department
from engine.domain.intake.specs import Coordinator, NoticeInfo
from engine.domain.ports.accounts import AccountRepository
from engine.domain.ports.logs import AuditLog, DispatchLog, MachineLog, ReminderLog
from engine.domain.ports.views import ReadModels
from engine.domain.workflow.model import Duty
from engine.domain.workflow.people import User


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
    """The duty aggregates, each with its audit trail, consultation, opinions, reviews and extensions."""

    def get(self, duty_id: str) -> Duty:
        """Return the duty as stored; raise DutyNotFound when no duty has the id."""
        ...

    def add(self, duty: Duty) -> None:
        """Store a new duty (its id must be new) and set its version to 1; its notice must be saved first."""
        ...

    def list(self, notice_id: str | None = None) -> list[Duty]:
        """Return every duty, or a notice's, ordered by notice and id; an unknown notice gives []."""
        ...

    def consultations_ended(self, today: dt.date) -> tuple[str, ...]:
        """Return, by id, the duties in consultation whose current round's last reply was due before `today`
        (the scheduler's tick closes them): one query, not a read of every duty."""
        ...

    def save(self, duty: Duty) -> None:
        """Write the duty back and bump its version; raise ConcurrencyConflict, writing nothing, when the
        stored version is no longer the one the duty was read at."""
        ...


class UserRepository(Protocol):
    """The people who act on duties: name, department, roles, e-mail (their credentials are accounts)."""

    def get(self, user_id: str) -> User:
        """Return the user; raise UnknownUser when no user has the id."""
        ...

    def add(self, user: User, now: dt.datetime) -> None:
        """Create the user, or update it when the id exists (keeping when it was created and its account)."""
        ...

    def list(self) -> list[User]:
        """Return every account, ordered by id."""
        ...


class NoticeRepository(Protocol):
    """The notices ingested, each with its reviewed catalogue as plain data."""

    def get(self, notice_id: str) -> NoticeRecord | None:
        """Return the notice as ingested, or None when it never was."""
        ...

    def save(self, notice: NoticeRecord) -> None:
        """Store the notice, or replace what is stored under its id."""
        ...

    def list(self) -> list[NoticeRecord]:
        """Return every ingested notice, ordered by id."""
        ...


class DepartmentRepository(Protocol):
    """The registry's departments as the database knows them (users and duties refer to their keys)."""

    def sync(self, departments: list[Department]) -> None:
        """Make the stored departments match the registry: add the new, rename the changed, delete none."""
        ...


class UnitOfWork(Protocol):
    """One transaction and the repositories over it; used as a context manager that rolls back unless
    `commit` was called. Entering, a statement or the commit raises DatabaseUnavailable when the database
    cannot be reached or goes away."""

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

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def views(self) -> ReadModels: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back what was not committed, and end the transaction."""
        ...

    def commit(self) -> None:
        """Make every change of the transaction durable."""
        ...

    def rollback(self) -> None:
        """Undo every change since the transaction began."""
        ...
