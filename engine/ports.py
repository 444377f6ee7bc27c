"""The ports services use for persistence and orchestration; adapters implement them, fakes imitate them.

A unit of work opens a transaction, hands out repositories, and rolls back unless committed; services never
see a session. The dispatcher "advances a duty": it runs the machine work its new stage allows, in-process
or through Prefect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from engine.departments import Department
from engine.duties import Coordinator, NoticeInfo
from engine.model import Duty
from engine.people import User


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
