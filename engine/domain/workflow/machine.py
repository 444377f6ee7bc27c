"""The machine work each stage calls for: the documents a duty's new state needs, or a window to close.

Pure. A dispatcher asks `work_for(duty, now)`; the services do the work in recorded steps
(engine.services.machine), in-process or under Prefect, and mark the stage version done, after which
`work_for` answers None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.domain.drafting.versions import DocumentKind
from engine.domain.workflow.model import Duty, State

MACHINE_WORK: dict[State, tuple[DocumentKind, ...]] = {
    State.DRAFTING: (DocumentKind.DRAFT, DocumentKind.EXPLANATION),
    State.CONSULTING: (DocumentKind.CONSULTATION_LETTER,),
    State.REVISING: (DocumentKind.ADOPTION_TABLE,),
    State.REVIEWING: (
        DocumentKind.REVIEW_DRAFT,
        DocumentKind.EXPLANATION,
        DocumentKind.ADOPTION_TABLE,
        DocumentKind.REVIEW_LETTER,
    ),
    State.RETURNED: (DocumentKind.LEGALITY_OPINION,),
    State.DELIBERATING: (DocumentKind.LEGALITY_OPINION,),
    State.PUBLISHED: (DocumentKind.PUBLISHED,),
}


@dataclass(frozen=True)
class Work:
    """What a duty's stage still needs from the machine: documents to make, or a consultation window to close.

    `acting_at` is the moment the work is done as of: the documents are dated from it, so a rerun with the same
    moment makes the same bytes. `stage` names the work in dispatch keys.
    """

    duty_id: str
    state: State
    stage_version: int
    acting_at: dt.datetime
    kinds: tuple[DocumentKind, ...] = ()
    closes_window: bool = False

    @property
    def stage(self) -> str:
        return "close" if self.closes_window else self.state.name.lower()


def pending(duty: Duty) -> bool:
    """Whether the documents of the duty's stage are still to be made (a person must not end the stage yet)."""
    return pending_work(duty.state, duty.stage_version, duty.machine_done)


def pending_work(state: State, stage_version: int, machine_done: int) -> bool:
    """Whether the documents of a stage are still to be made, from the duty's row."""
    return machine_done != stage_version and bool(MACHINE_WORK.get(state))


def work_for(duty: Duty, now: dt.datetime, stage_version: int | None = None) -> Work | None:
    """The machine work a duty needs at `now`, or None; only for `stage_version` when one is named."""
    if stage_version is not None and duty.stage_version != stage_version:
        return None
    if pending(duty):
        return Work(duty.id, duty.state, duty.stage_version, now, MACHINE_WORK[duty.state])
    if duty.window_ended(now):
        return Work(duty.id, duty.state, duty.stage_version, now, closes_window=True)
    return None


def resume_at(duty: Duty, now: dt.datetime) -> dt.datetime:
    """The moment to redo a duty's pending machine work as of: when its stage began, else `now`.

    A reconciler that finds work nobody did makes the documents as they would have been made then.
    """
    if duty.machine_done == duty.stage_version:
        return now
    moved = [e.at for e in duty.events if e.to_state != e.from_state]
    return moved[-1] if moved else now
