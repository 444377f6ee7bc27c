"""The machine work of each stage: the documents a duty's new state calls for, made once per stage version.

`advance` is what a dispatcher runs. It is idempotent: a duty remembers the stage version whose work is
done; documents are stored with an idempotent put (the same bytes are the same version), so a run killed
half-way and run again neither loses nor duplicates anything.
"""

from __future__ import annotations

import datetime as dt

from engine.departments import Registry
from engine.drafting.compose import Drafting, Parties, compose_duty
from engine.drafting.history import History, Opinion, Publication, Reply, Review, Step
from engine.drafting.reading import read_draft
from engine.drafting.text import DraftText
from engine.drafting.versions import DocumentKind, DocumentVersion, Origin
from engine.model import Duty, State
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


def advance(duty_id: str, now: dt.datetime, *, ports: Ports) -> list[DocumentVersion]:
    """Make the documents the duty's current stage calls for, unless that work is already done."""
    with ports.uow() as uow:
        duty = uow.duties.get(duty_id)
        notice = uow.notices.get(duty.notice_id)
    if duty.machine_done == duty.stage_version or notice is None:
        return []
    drafting = drafting_of(duty, notice, ports, now)
    stored = [
        ports.documents.put(
            duty_id=duty.id,
            kind=c.kind,
            variant=c.variant,
            data=ports.render(c),
            filename=filename_for(c, ports.registry),
            author="system",
            now=now,
        )
        for c in compose_duty(drafting, ports.wording, MACHINE_WORK.get(duty.state, ()))
    ]
    with ports.uow() as uow:
        fresh = uow.duties.get(duty_id)
        if fresh.stage_version == duty.stage_version and fresh.machine_done != fresh.stage_version:
            fresh.mark_machine_done()
            uow.duties.save(fresh)
            uow.commit()
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
