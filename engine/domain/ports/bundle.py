"""The ports a service is given, with the rules it applies: built once by bootstrap, passed as `ports=`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.domain.departments import Registry
from engine.domain.drafting.policy import Policy, Wording
from engine.domain.ports.documents import DocumentStore
from engine.domain.ports.repositories import UnitOfWork
from engine.domain.reminders.policy import ReminderPolicy
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.milestones import Plan

if TYPE_CHECKING:  # composing documents is not every verb's business: a read only needs the bundle's type
    from engine.domain.drafting.content import Content


@dataclass(frozen=True)
class Ports:
    """What the services need: a unit of work per transaction, the document store, the registry and the
    calendar, the wording and the renderer of documents, and the drafting, milestone and reminder policies."""

    uow: Callable[[], UnitOfWork]
    documents: DocumentStore
    registry: Registry
    calendar: WorkCalendar
    wording: Wording
    render: Callable[[Content], bytes]
    policy: Policy = field(default_factory=Policy)
    plan: Plan = field(default_factory=Plan)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    read: Callable[[], UnitOfWork] | None = None  # a read-only unit of work for views; else `uow`

    def reading(self) -> UnitOfWork:
        """A unit of work for reading only: it takes no write lock, and sees one snapshot of the data."""
        return (self.read or self.uow)()
