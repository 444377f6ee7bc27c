"""The drafting workflow's use cases: each loads a duty, checks the actor, applies one action, commits, and
asks the dispatcher to advance the duty. A refused action raises and changes nothing: the unit of work rolls
back unless committed, and the aggregate checks before it writes.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass

from engine.domain.drafting.history import Decision, Legality
from engine.domain.ports import Dispatcher, Ports
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.model import Duty, State
from engine.domain.workflow.people import SYSTEM, User, UserRole, authorize
from engine.services.documents import keep_attachment, keep_draft
from engine.services.reminders.planning import replan


@dataclass(frozen=True)
class Outcome:
    """What an action left behind: the duty's state and stage version."""

    duty_id: str
    state: State
    stage_version: int


class _NoDispatch:
    def advance(self, duty_id: str, now: dt.datetime) -> None:
        return None

    def reconcile(self, now: dt.datetime) -> list[str]:
        return []


NO_DISPATCH: Dispatcher = _NoDispatch()
SYSTEM_USER = User(SYSTEM, "系统", "", frozenset({UserRole.ADMIN}))


def act(
    duty_id: str,
    action: str,
    apply: Callable[[Duty, User], None],
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
) -> Outcome:
    """Run one action in one transaction, then advance the duty outside it."""
    with ports.uow() as uow:
        user = SYSTEM_USER if actor == SYSTEM else uow.users.get(actor)
        duty = uow.duties.get(duty_id)
        authorize(user, action, lead=duty.spec.lead, consultees=duty.spec.consultees)
        apply(duty, user)
        uow.duties.save(duty)
        replan(uow, duty, now, ports=ports)
        uow.commit()
        outcome = Outcome(duty.id, duty.state, duty.stage_version)
    dispatcher.advance(duty_id, now)
    return outcome


def rehearse(
    duty_id: str, action: str, apply: Callable[[Duty, User], None], *, actor: str, ports: Ports
) -> User:
    """Try an action on a copy of the duty, so that it is refused before any file it brings is stored."""
    with ports.uow() as uow:
        user = SYSTEM_USER if actor == SYSTEM else uow.users.get(actor)
        duty = uow.duties.get(duty_id)
        authorize(user, action, lead=duty.spec.lead, consultees=duty.spec.consultees)
        apply(copy.deepcopy(duty), user)
    return user


def start_duty(
    duty_id: str, *, actor: str, now: dt.datetime, ports: Ports, dispatcher: Dispatcher
) -> Outcome:
    return act(
        duty_id,
        "start",
        lambda d, u: d.start(u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def upload_draft(
    duty_id: str,
    data: bytes,
    filename: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
) -> Outcome:
    """Keep a validated revision as the next version of the draft and record it on the duty."""
    rehearse(duty_id, "upload", lambda d, u: d.upload(u.id, now, filename), actor=actor, ports=ports)
    version = keep_draft(data, filename, duty_id=duty_id, author=actor, now=now, store=ports.documents)
    return act(
        duty_id,
        "upload",
        lambda d, u: d.upload(u.id, now, version.id),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def open_consultation(
    duty_id: str, *, actor: str, now: dt.datetime, ports: Ports, dispatcher: Dispatcher
) -> Outcome:
    window = ports.policy.reply_workdays
    return act(
        duty_id,
        "open_consultation",
        lambda d, u: d.open_consultation(u.id, now, ports.calendar, window),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def record_opinion(
    duty_id: str,
    opinions: tuple[OpinionInput, ...],
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    department: str | None = None,
    files: tuple[tuple[int, bytes, str], ...] = (),
) -> Outcome:
    """Record a department's reply: 无意见 when `opinions` is empty. An admin may name the department.

    `files` are attachments as (opinion index, bytes, file name): any type, such as a scanned letter with a
    seal. They are stored only once the reply is known to be allowed, and each opinion lists its attachments.
    """

    def apply(duty: Duty, user: User) -> None:
        duty.reply(department or user.department, user.id, now, opinions)

    if files:
        user = rehearse(duty_id, "reply", apply, actor=actor, ports=ports)
        variant = department or user.department
        ids: dict[int, list[str]] = {}
        for index, data, filename in files:
            kept = keep_attachment(
                data,
                filename,
                duty_id=duty_id,
                author=actor,
                now=now,
                store=ports.documents,
                variant=variant,
                media_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
            )
            ids.setdefault(index, []).append(kept.id)
        opinions = tuple(
            dataclasses.replace(o, attachments=(*o.attachments, *ids.get(i, ())))
            for i, o in enumerate(opinions)
        )
    return act(duty_id, "reply", apply, actor=actor, now=now, ports=ports, dispatcher=NO_DISPATCH)


def close_consultation(
    duty_id: str, *, actor: str, now: dt.datetime, ports: Ports, dispatcher: Dispatcher
) -> Outcome:
    consent = ports.policy.silence_is_consent
    return act(
        duty_id,
        "close_consultation",
        lambda d, u: d.close_consultation(u.id, now, consent),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def close_due_consultations(now: dt.datetime, *, ports: Ports, dispatcher: Dispatcher) -> list[str]:
    """Ask the dispatcher to close every consultation whose window has ended (the scheduler's job).

    Closing is machine work: the dispatched run closes the window as the system, in one transaction, and
    makes the 意见采纳情况表. Return the duties whose window ended.
    """
    with ports.uow() as uow:
        due = [d.id for d in uow.duties.list() if d.window_ended(now)]
    for duty_id in due:
        dispatcher.advance(duty_id, now)
    return due


def decide_opinion(
    duty_id: str,
    opinion_id: str,
    decision: Decision,
    reason: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
) -> Outcome:
    return act(
        duty_id,
        "decide",
        lambda d, u: d.decide(opinion_id, decision, reason, u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=NO_DISPATCH,
    )


def submit_for_review(
    duty_id: str, *, actor: str, now: dt.datetime, ports: Ports, dispatcher: Dispatcher
) -> Outcome:
    return act(
        duty_id,
        "submit",
        lambda d, u: d.submit(u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def record_review(
    duty_id: str,
    outcome: Legality,
    opinion: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
) -> Outcome:
    return act(
        duty_id,
        "review",
        lambda d, u: d.review(outcome, opinion, u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def deliberate(
    duty_id: str,
    approved: bool,
    reason: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
) -> Outcome:
    return act(
        duty_id,
        "deliberate",
        lambda d, u: d.deliberate(approved, u.id, now, reason),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def publish(
    duty_id: str,
    number: str,
    published_on: dt.date,
    effective_on: dt.date,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
) -> Outcome:
    return act(
        duty_id,
        "publish",
        lambda d, u: d.publish(number, published_on, effective_on, u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def forward(
    duty_id: str, reason: str, *, actor: str, now: dt.datetime, ports: Ports, dispatcher: Dispatcher
) -> Outcome:
    return act(
        duty_id,
        "forward",
        lambda d, u: d.forward(u.id, now, reason),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def file_duty(
    duty_id: str, filed_on: dt.date, *, actor: str, now: dt.datetime, ports: Ports, dispatcher: Dispatcher
) -> Outcome:
    return act(
        duty_id,
        "file",
        lambda d, u: d.file(filed_on, u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
    )


def extend_deadline(
    duty_id: str, new_deadline: dt.date, reason: str, *, actor: str, now: dt.datetime, ports: Ports
) -> Outcome:
    return act(
        duty_id,
        "extend",
        lambda d, u: d.extend(new_deadline, u.id, reason, now, ports.calendar),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=NO_DISPATCH,
    )


def reassign(
    duty_id: str, lead: str, reason: str, *, actor: str, now: dt.datetime, ports: Ports, officer: str = ""
) -> Outcome:
    department = ports.registry.lookup(lead)
    return act(
        duty_id,
        "reassign",
        lambda d, u: d.reassign(department.key, officer, u.id, now, reason),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=NO_DISPATCH,
    )


def withdraw(duty_id: str, reason: str, *, actor: str, now: dt.datetime, ports: Ports) -> Outcome:
    return act(
        duty_id,
        "withdraw",
        lambda d, u: d.withdraw(u.id, now, reason),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=NO_DISPATCH,
    )
