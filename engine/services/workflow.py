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

from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.drafting.reading import read_draft
from engine.domain.drafting.text import draft_title, plain_title
from engine.domain.drafting.versions import DocumentKind, checksum
from engine.domain.ports import Dispatcher, Ports, UnitOfWork
from engine.domain.workflow.access import Scope, authorize, label
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.model import Duty, State, local_date
from engine.domain.workflow.people import User
from engine.errors import ConcurrencyConflict, InvalidInput, UploadRejected
from engine.services.accounts import acting_user
from engine.services.documents import check_attachment, keep_attachment, keep_draft
from engine.services.reminders.planning import replan


@dataclass(frozen=True)
class Outcome:
    """What an action left behind: the duty's state, stage version and row version, and a note for the person
    (an upload that changed nothing says so)."""

    duty_id: str
    state: State
    stage_version: int
    version: int = 0
    note: str = ""


class _NoDispatch:
    def advance(self, duty_id: str, now: dt.datetime) -> None:
        return None

    def reconcile(self, now: dt.datetime) -> list[str]:
        return []


NO_DISPATCH: Dispatcher = _NoDispatch()


def act(
    duty_id: str,
    action: str,
    apply: Callable[[Duty, User], None],
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
    expected_version: int | None = None,
) -> Outcome:
    """Run one person's action in one transaction, then advance the duty outside it."""
    with ports.uow() as uow:
        duty, user = checked(uow, duty_id, action, actor=actor, now=now, expected_version=expected_version)
        apply(duty, user)
        uow.duties.save(duty)
        replan(uow, duty, now, ports=ports)
        uow.commit()
        outcome = Outcome(duty.id, duty.state, duty.stage_version, duty.version)
    dispatcher.advance(duty_id, now)
    return outcome


def checked(
    uow: UnitOfWork,
    duty_id: str,
    action: str,
    *,
    actor: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> tuple[Duty, User]:
    """Load the duty and the person acting, and refuse the action before it is applied when they may not
    take it (NotPermitted), its stage's documents are still being made (MachineWorkPending), the form that
    asks for it was read from an older version (ConcurrencyConflict), or it is dated before the duty's last
    recorded event (InvalidInput). The aggregate then refuses what its state does not allow."""
    user = acting_user(uow, actor, label(action))
    duty = uow.duties.get(duty_id)
    authorize(duty, user, action, scope_of(uow, duty))
    if expected_version is not None and expected_version != duty.version:
        raise ConcurrencyConflict(duty.id)
    if duty.events and now < duty.events[-1].at:
        last = duty.events[-1].at.astimezone(now.tzinfo)
        raise InvalidInput(
            f"操作时间 {now:%Y-%m-%d %H:%M} 早于任务 {duty.id} 的最后一条记录（{last:%Y-%m-%d %H:%M}）"
        )
    return duty, user


def scope_of(uow: UnitOfWork, duty: Duty) -> Scope:
    """Who coordinates and who reviews the duty, as its notice's catalogue records them."""
    notice = uow.notices.get(duty.notice_id)
    if notice is None:
        return Scope()
    return Scope(notice.coordinator.department, notice.coordinator.reviewer)


def rehearse(
    duty_id: str,
    action: str,
    apply: Callable[[Duty, User], None],
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
) -> tuple[Duty, User]:
    """Try an action on a copy of the duty, so that it is refused before any file it brings is stored."""
    with ports.uow() as uow:
        duty, user = checked(uow, duty_id, action, actor=actor, now=now)
        apply(copy.deepcopy(duty), user)
    return duty, user


def start_duty(
    duty_id: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "start",
        lambda d, u: d.start(u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
        expected_version=expected_version,
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
    expected_version: int | None = None,
) -> Outcome:
    """Keep a validated revision as the next version of the draft and record it on the duty.

    Bytes that are the newest version already change nothing, and the outcome says so. A draft whose title is
    another duty's of the same notice is refused; one whose title names no duty of the notice is kept, and the
    version carries a warning.
    """
    duty, _ = rehearse(
        duty_id, "upload", lambda d, u: d.upload(u.id, now, filename), actor=actor, now=now, ports=ports
    )
    newest = ports.documents.latest(duty_id, DocumentKind.DRAFT)
    if newest is not None and newest.checksum == checksum(data):
        return Outcome(duty.id, duty.state, duty.stage_version, duty.version, "与最新版本相同，未重复保存")
    text = read_draft(data, filename)
    warning = _title_warning(draft_title(text) or "", duty, filename, ports)
    version = keep_draft(
        data,
        filename,
        duty_id=duty_id,
        author=actor,
        now=now,
        store=ports.documents,
        warnings=warning,
        text=text,
    )
    outcome = act(
        duty_id,
        "upload",
        lambda d, u: d.upload(u.id, now, version.id),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
        expected_version=expected_version,
    )
    return dataclasses.replace(outcome, note="；".join(version.warnings))


def _title_warning(title: str, duty: Duty, filename: str, ports: Ports) -> tuple[str, ...]:
    """Refuse a draft that names another duty of the notice; warn when it names none."""
    with ports.reading() as uow:
        facts = uow.reminders.notice_facts(duty.notice_id)
    title = plain_title(title)
    own = {plain_title(duty.spec.title or ""), plain_title(duty.spec.document or "")} - {""}
    if not title or title in own:
        return ()
    other = next((f for f in facts if f.id != duty.id and plain_title(f.title) == title), None)
    if other is not None:
        raise UploadRejected(
            filename, f"文稿标题“{title}”是同一通知下另一项任务（{other.id}）的，请确认上传的任务"
        )
    return (f"文稿标题“{title}”与本任务名称不一致，请核对",)


def open_consultation(
    duty_id: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
    expected_version: int | None = None,
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
        expected_version=expected_version,
    )


REPLY = -1  # a file's index in `files` when it belongs to the reply as a whole


def record_opinion(
    duty_id: str,
    opinions: tuple[OpinionInput, ...],
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    department: str | None = None,
    files: tuple[tuple[int, bytes, str], ...] = (),
    expected_version: int | None = None,
) -> Outcome:
    """Record a department's reply: 无意见 when `opinions` is empty.

    A consulted department's contact replies for their own department. A reply received on paper is recorded
    for the consulted `department` by the lead department's officer or an administrator, with the scan
    attached; the event says who recorded it for whom.

    `files` are attachments as (opinion index, bytes, file name): any type, such as a scanned letter with a
    seal. Index REPLY (-1) is the reply as a whole (a sealed 无意见 letter has no opinion to hang on); any other
    must name an opinion. Every file must be acceptable before any is stored, and they are stored only once
    the reply is known to be allowed; each opinion, and the reply, lists its own.
    """
    with ports.reading() as uow:
        own = acting_user(uow, actor, label("reply")).department
    consultee = department or own
    action = "reply" if consultee == own else "reply_for"

    letters: tuple[str, ...] = ()

    def apply(duty: Duty, user: User) -> None:
        duty.reply(consultee, user.id, now, opinions, on_paper=action == "reply_for", attachments=letters)

    _check_attachments(files, len(opinions))
    if files:
        rehearse(duty_id, action, apply, actor=actor, now=now, ports=ports)
        ids: dict[int, list[str]] = {}
        for index, data, filename in files:
            kept = keep_attachment(
                data,
                filename,
                duty_id=duty_id,
                author=actor,
                now=now,
                store=ports.documents,
                variant=consultee,
                media_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
            )
            ids.setdefault(index, []).append(kept.id)
        opinions = tuple(
            dataclasses.replace(o, attachments=(*o.attachments, *ids.get(i, ())))
            for i, o in enumerate(opinions)
        )
        letters = tuple(ids.get(REPLY, ()))
    return act(
        duty_id,
        action,
        apply,
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=NO_DISPATCH,
        expected_version=expected_version,
    )


def _check_attachments(files: tuple[tuple[int, bytes, str], ...], opinions: int) -> None:
    """Refuse, before anything is stored, an attachment that belongs to no opinion or cannot be kept."""
    for index, data, filename in files:
        if index != REPLY and not 0 <= index < opinions:
            raise InvalidInput(f"附件 {filename} 须附在一条意见之下，或作为整份答复的附件")
        check_attachment(data, filename)


def close_consultation(
    duty_id: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
    expected_version: int | None = None,
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
        expected_version=expected_version,
    )


def close_due_consultations(now: dt.datetime, *, ports: Ports, dispatcher: Dispatcher) -> list[str]:
    """Ask the dispatcher to close every consultation whose window has ended (the scheduler's job).

    Closing is machine work: the dispatched run closes the window as the system, in one transaction, and
    makes the 意见采纳情况表. Return the duties whose window ended.
    """
    with ports.uow() as uow:
        due = list(uow.duties.consultations_ended(local_date(now)))
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
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "decide",
        lambda d, u: d.decide(opinion_id, decision, reason, u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=NO_DISPATCH,
        expected_version=expected_version,
    )


def submit_for_review(
    duty_id: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "submit",
        lambda d, u: d.submit(u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
        expected_version=expected_version,
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
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "review",
        lambda d, u: d.review(outcome, opinion, u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
        expected_version=expected_version,
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
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "deliberate",
        lambda d, u: d.deliberate(approved, u.id, now, reason),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
        expected_version=expected_version,
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
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "publish",
        lambda d, u: d.publish(number, published_on, effective_on, u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
        expected_version=expected_version,
    )


def forward(
    duty_id: str,
    reason: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "forward",
        lambda d, u: d.forward(u.id, now, reason),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
        expected_version=expected_version,
    )


def file_duty(
    duty_id: str,
    filed_on: dt.date,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    dispatcher: Dispatcher,
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "file",
        lambda d, u: d.file(filed_on, u.id, now),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=dispatcher,
        expected_version=expected_version,
    )


def extend_deadline(
    duty_id: str,
    new_deadline: dt.date,
    reason: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "extend",
        lambda d, u: d.extend(new_deadline, u.id, reason, now, ports.calendar),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=NO_DISPATCH,
        expected_version=expected_version,
    )


def reassign(
    duty_id: str,
    lead: str,
    reason: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    officer: str = "",
    expected_version: int | None = None,
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
        expected_version=expected_version,
    )


def withdraw(
    duty_id: str,
    reason: str,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    expected_version: int | None = None,
) -> Outcome:
    return act(
        duty_id,
        "withdraw",
        lambda d, u: d.withdraw(u.id, now, reason),
        actor=actor,
        now=now,
        ports=ports,
        dispatcher=NO_DISPATCH,
        expected_version=expected_version,
    )
