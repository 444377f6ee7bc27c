"""The machine work of each stage: the documents a duty's new state calls for, made once per stage version.

`advance` is what a dispatcher runs. It is idempotent: a duty remembers the stage version whose work is
done; documents are stored with an idempotent put (the same bytes are the same version), so a run killed
half-way and run again neither loses nor duplicates anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.departments import Registry
from engine.drafting.compose import Drafting, Parties, compose_duty
from engine.drafting.history import History, Opinion, Publication, Reply, Review, Step
from engine.drafting.reading import read_draft
from engine.drafting.text import DraftText
from engine.drafting.versions import DocumentKind, Origin
from engine.model import Duty, State
from engine.people import SYSTEM
from engine.ports import NoticeRecord
from engine.services.documents import filename_for
from engine.services.workflow import Ports

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
STEP_ACTIONS = (
    "start",
    "upload",
    "open_consultation",
    "close_consultation",
    "submit",
    "review_lawful",
    "review_returned",
    "approve",
    "return",
    "extend",
    "reassign",
)


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


def work_for(duty: Duty, now: dt.datetime, stage_version: int | None = None) -> Work | None:
    """The machine work a duty needs at `now`, or None; only for `stage_version` when one is named."""
    if stage_version is not None and duty.stage_version != stage_version:
        return None
    kinds = MACHINE_WORK.get(duty.state, ())
    if duty.machine_done != duty.stage_version and kinds:
        return Work(duty.id, duty.state, duty.stage_version, now, kinds)
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


def plan(duty_id: str, now: dt.datetime, *, ports: Ports, stage_version: int | None = None) -> Work | None:
    with ports.uow() as uow:
        return work_for(uow.duties.get(duty_id), now, stage_version)


def make_documents(work: Work, kind: DocumentKind, *, ports: Ports) -> tuple[str, ...]:
    """Make and store one kind of document for the stage, once; return the ids of the versions it stored.

    The step is recorded after the documents are stored. A crash in between leaves no record, and the rerun
    stores the same bytes again, which the document store's idempotent put turns into the same versions.
    """
    step = kind.value
    with ports.uow() as uow:
        done = uow.machine.done(work.duty_id, work.stage_version, step)
        duty = uow.duties.get(work.duty_id)
        notice = uow.notices.get(duty.notice_id)
    if done is not None:
        return done
    stored: tuple[str, ...] = ()
    if notice is not None and duty.stage_version == work.stage_version:
        drafting = drafting_of(duty, notice, ports, work.acting_at)
        stored = tuple(
            ports.documents.put(
                duty_id=duty.id,
                kind=c.kind,
                variant=c.variant,
                data=ports.render(c),
                filename=filename_for(c, ports.registry),
                author="system",
                now=work.acting_at,
            ).id
            for c in compose_duty(drafting, ports.wording, (kind,))
        )
    with ports.uow() as uow:
        if uow.machine.record(work.duty_id, work.stage_version, step, stored, work.acting_at):
            uow.commit()
    return stored


def finish(work: Work, *, ports: Ports) -> bool:
    """Record, in one transaction, that the stage's machine work is done; False when it was already."""
    with ports.uow() as uow:
        duty = uow.duties.get(work.duty_id)
        if duty.stage_version != work.stage_version or duty.machine_done == duty.stage_version:
            return False
        duty.mark_machine_done()
        uow.duties.save(duty)
        uow.commit()
    return True


def close_window(work: Work, *, ports: Ports) -> int | None:
    """Close a consultation whose window has ended, as the system, in one transaction.

    Return the new stage version, or None when the duty has moved on (someone closed it, or a rerun already
    did). Silence is recorded as the policy says.
    """
    with ports.uow() as uow:
        duty = uow.duties.get(work.duty_id)
        if duty.stage_version != work.stage_version or not duty.window_ended(work.acting_at):
            return None
        duty.close_consultation(SYSTEM, work.acting_at, ports.policy.silence_is_consent)
        uow.duties.save(duty)
        ports.replan(uow, duty, work.acting_at)
        uow.commit()
        return duty.stage_version


def advance(duty_id: str, now: dt.datetime, *, ports: Ports, stage_version: int | None = None) -> list[str]:
    """Do all the machine work the duty allows at `now`; return the ids of the document versions stored.

    Safe to call again at any point: every step is recorded, and a finished stage version is skipped.
    """
    stored: list[str] = []
    expected = stage_version
    while (work := plan(duty_id, now, ports=ports, stage_version=expected)) is not None:
        if work.closes_window:
            expected = close_window(work, ports=ports)
            if expected is None:
                break
            continue
        for kind in work.kinds:
            stored += make_documents(work, kind, ports=ports)
        finish(work, ports=ports)
        expected = work.stage_version
    return stored


def drafting_of(duty: Duty, notice: NoticeRecord, ports: Ports, now: dt.datetime) -> Drafting:
    """What compose needs, from the duty's record: departments, reply date, and its history so far."""
    registry = ports.registry
    keys = duty.spec
    reviewer = registry.get(notice.coordinator.reviewer) if notice.coordinator.reviewer else None
    parties = Parties(
        registry.get(keys.lead or ""),
        tuple(registry.get(k) for k in keys.co_departments),
        tuple(registry.get(k) for k in keys.consultees),
        reviewer,
        notice.coordinator.office,
    )
    requests = duty.current_requests()
    due = max(
        (r.due for r in requests),
        default=ports.calendar.add_workdays(now.date(), ports.policy.reply_workdays),
    )
    history = history_of(duty, registry, ports, reviewer.name if reviewer else "")
    return Drafting(keys, notice.info, parties, now.date(), due, history, ports.policy)


def history_of(duty: Duty, registry: Registry, ports: Ports, reviewer: str) -> History:
    """Word the duty's record as the documents need it."""

    def name(key: str) -> str:
        return registry.get(key).name

    steps = tuple(
        Step(e.at.date(), _step(e.action, e.reason, duty, registry, ports))
        for e in duty.events
        if e.action in STEP_ACTIONS
    )
    replies = tuple(
        Reply(
            name(r.consultee),
            r.reply,
            tuple(
                Opinion(
                    name(o.consultee),
                    o.clause,
                    o.text,
                    o.ruling.decision if o.ruling else None,
                    o.ruling.reason if o.ruling else "",
                )
                for o in duty.opinions
                if o.round == r.round and o.consultee == r.consultee
            ),
        )
        for r in duty.requests
        if r.reply is not None
    )
    review = duty.reviews[-1] if duty.reviews else None
    reviewed = (
        Review(review.outcome, review.opinion, reviewer or review.reviewer, review.at.date())
        if review
        else None
    )
    pub = duty.publication
    publication = Publication(pub.number, pub.published_on, pub.effective_on) if pub else None
    return History(steps, replies, reviewed, publication, _latest_text(duty, ports))


def _step(action: str, reason: str, duty: Duty, registry: Registry, ports: Ports) -> str:
    consultees = "、".join(registry.get(k).name for k in duty.spec.consultees)
    lead = registry.get(duty.spec.lead).name if duty.spec.lead else ""
    context = {"action": action, "reason": reason, "lead": lead, "consultees": consultees}
    return ports.wording.render("step", context).strip()


def _latest_text(duty: Duty, ports: Ports) -> DraftText | None:
    """The newest uploaded draft's text, if an officer has uploaded one."""
    uploads = [
        v for v in ports.documents.versions(duty.id, DocumentKind.DRAFT) if v.origin is Origin.UPLOADED
    ]
    if not uploads:
        return None
    return read_draft(ports.documents.read(uploads[-1].id), uploads[-1].filename)
