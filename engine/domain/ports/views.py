"""Read models: what the pages and the lists show, read with a few SQL queries instead of whole aggregates.

A DutyRow is a duty's standing as lists need it (its state, departments, machine work, the open round of its
consultation), with the coordinating office and legal office its notice names. The views read them through a
read-only unit of work, so that a page never queues behind a writer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from engine.domain.intake.specs import Track
from engine.domain.workflow.model import State


@dataclass(frozen=True)
class DutyRow:
    """One duty as a list shows it, with what `allowed_actions` needs to tell what waits on whom."""

    id: str
    notice_id: str
    location: str
    title: str
    lead: str | None
    co_departments: tuple[str, ...]
    consultees: tuple[str, ...]
    officer: str
    track: Track
    state: State
    version: int
    stage_version: int
    machine_done: int
    deadline: dt.date | None
    last_working_day: dt.date | None
    coordinator: str | None  # the notice's coordinating office
    reviewer: str | None  # the notice's legal office
    unanswered: tuple[str, ...] = ()  # departments whose request in the open round is unanswered
    reply_due: dt.date | None = None  # when the open round's replies are due
    undecided: int = 0  # opinions still waiting for a decision
    asked: tuple[str, ...] = ()  # every department a request was ever sent to
    submitted: bool = False  # submitted for review at least once (the legal office sees it from then on)


class ReadModels(Protocol):
    """The queries behind the lists: tasks, the notice board, the burndown."""

    def task_rows(self, department: str) -> list[DutyRow]:
        """Return the unfinished duties that may wait on someone of the department, in id order: those it
        leads, those that wait for its reply, those under review in it (its legal office) and those in
        deliberation in it (its coordinating office)."""
        ...

    def notice_rows(self, notice_id: str) -> list[DutyRow]:
        """Return every duty of the notice, in id order; an unknown notice gives []."""
        ...

    def search_rows(self, text: str, leads: tuple[str, ...], limit: int) -> list[DutyRow]:
        """Return at most `limit` duties, in id order, whose id or title contains `text` (literally: `%` and
        `_` are plain characters) or whose lead is one of `leads`."""
        ...

    def events(
        self, duty_ids: list[str], actions: frozenset[str]
    ) -> dict[str, list[tuple[str, dt.datetime]]]:
        """Return, for each of the duties, its events of the given actions as (action, moment), in order."""
        ...
