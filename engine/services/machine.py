"""The machine work of each stage: the documents a duty's new state calls for, made once per stage version.

`advance` is what a dispatcher runs. It is idempotent: a duty remembers the stage version whose work is
done; documents are stored with an idempotent put (the same bytes are the same version), so a run killed
half-way and run again neither loses nor duplicates anything.
"""

from __future__ import annotations

import datetime as dt
import logging

from engine.domain.departments import Registry
from engine.domain.drafting.compose import Drafting, Parties, compose_duty
from engine.domain.drafting.history import History, Opinion, Publication, Reply, Review, Step
from engine.domain.drafting.reading import read_draft
from engine.domain.drafting.text import DraftText
from engine.domain.drafting.versions import DocumentKind, NewDocument, Origin
from engine.domain.ports import NoticeRecord, Ports
from engine.domain.workflow.machine import Work, resume_at, work_for
from engine.domain.workflow.model import Duty
from engine.domain.workflow.people import SYSTEM
from engine.errors import EngineError, Unavailable
from engine.services.documents import filename_for
from engine.services.reminders.planning import replan

log = logging.getLogger("banfa.dispatch")

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
                NewDocument(
                    duty.id,
                    c.kind,
                    ports.render(c),
                    filename_for(c, ports.registry),
                    SYSTEM,
                    work.acting_at,
                    variant=c.variant,
                )
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
        replan(uow, duty, work.acting_at, ports=ports)
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


class InProcessDispatcher:
    """The Dispatcher port without Prefect: do the machine work at once, in this process.

    The person's action has been committed when `advance` runs, so a store that fails part-way (a full disk,
    a database gone) must not be reported as the action failing: the work stays pending, as after a failed
    Prefect run, and is logged; the reconciler (the scheduler's job, `banfa reconcile`) does it again.
    """

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        self._attempt(duty_id, now)

    def reconcile(self, now: dt.datetime) -> list[str]:
        """Redo the machine work a crash left undone, as of when each stage began; one duty's failure does
        not keep the others waiting."""
        with self.ports.uow() as uow:
            duties = uow.duties.list()
        again = [d.id for d in duties if work_for(d, resume_at(d, now)) is not None]
        for duty in duties:
            if duty.id in again:
                self._attempt(duty.id, resume_at(duty, now))
        return again

    def _attempt(self, duty_id: str, now: dt.datetime) -> None:
        """Advance the duty; when a store fails (an OSError, Banfa's Unavailable errors among them), leave
        the work pending for the reconciler and say so."""
        try:
            advance(duty_id, now, ports=self.ports)
        except OSError as exc:
            if isinstance(exc, EngineError) and not isinstance(exc, Unavailable):
                raise  # a Banfa error that is not a store failing (Forbidden is a PermissionError too)
            log.warning("任务 %s 的后台处理未完成（%s），稍后由对账程序重做", duty_id, exc)


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
