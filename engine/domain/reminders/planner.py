"""Plan a duty's reminders as dated rows, from the reminder policy, its milestones and its state.

Pure: no database, no clock (`today` is an argument). A reminder is one mail-to-be: who gets it (a department's
contact by role, resolved to an address only when it is sent), which milestone it is about, and the working day
it goes out. Its key names all of that, so planning again gives the same keys, a moved milestone gives new ones,
and a passed milestone gives none (the service cancels what is no longer planned):

    series                      kind                    sent                                    to
    each milestone ahead        before:<stage>          N working days before (10, 5, 3, 1)     承办人
    the deadline, when its      before:publish          the same days before the deadline       承办人
      last working day is not
      the publish milestone
    each open request           reply-due               2 working days before, and on the day   联络员 of the consultee
    overdue                     overdue                 every working day after the last one    承办人 (+ 分管领导 from day 5)
    after publication           filing                  before the 备案 day (30 calendar days)  承办人
    weekly, per notice          digest                  first working day of the week           联络员 of the coordinator

The 修改 milestone (submitting the 送审稿) has no kind of its own: it is the way into review, so its series is
`before:review`, and its key still names the stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from engine.domain.reminders.policy import ReminderPolicy
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.milestones import Plan, Stage, remaining_from
from engine.domain.workflow.model import Duty, State


class Kind(StrEnum):
    """What a reminder is about; the value is the `X-Banfa-Kind` header."""

    BEFORE_DRAFTING = "before:drafting"
    BEFORE_CONSULTATION = "before:consultation"
    BEFORE_REVIEW = "before:review"
    BEFORE_DELIBERATION = "before:deliberation"
    BEFORE_PUBLISH = "before:publish"
    REPLY_DUE = "reply-due"
    OVERDUE = "overdue"
    FILING = "filing"
    DIGEST = "digest"

    @property
    def urgency(self) -> int:
        """Order within a merged mail: the most urgent kind leads and names the mail."""
        return {Kind.OVERDUE: 0, Kind.REPLY_DUE: 1, Kind.FILING: 2}.get(self, 3)

    @property
    def label(self) -> str:
        """How a person reads it."""
        return {
            "before:drafting": "起草节点提醒",
            "before:consultation": "征求意见节点提醒",
            "before:review": "送审节点提醒",
            "before:deliberation": "审议节点提醒",
            "before:publish": "发布节点提醒",
            "reply-due": "答复期限提醒",
            "overdue": "逾期催办",
            "filing": "备案提醒",
            "digest": "每周汇总",
        }[self.value]


STAGE_KINDS: dict[Stage, Kind] = {
    Stage.DRAFTING: Kind.BEFORE_DRAFTING,
    Stage.CONSULTATION: Kind.BEFORE_CONSULTATION,
    Stage.REVISION: Kind.BEFORE_REVIEW,
    Stage.REVIEW: Kind.BEFORE_REVIEW,
    Stage.DELIBERATION: Kind.BEFORE_DELIBERATION,
    Stage.PUBLISH: Kind.BEFORE_PUBLISH,
}


def stage_slug(stage: Stage) -> str:
    """The stage as reminder keys name it: drafting, consultation, revision, review, deliberation, publish."""
    return stage.name.lower()


@dataclass(frozen=True)
class Reminder:
    """One planned reminder. `to` and `cc` name a department's contact as `<department>:<role>`."""

    key: str
    subject: str  # the duty id; the notice id for a digest
    notice_id: str
    kind: Kind
    due: dt.date  # the milestone's date
    send_on: dt.date  # the working day it goes out, at the policy's hour
    to: str
    cc: str = ""
    about: str = ""  # the stage slug, "deadline", the consultee's key, or the overdue day's number


def party(department: str, role: str) -> str:
    return f"{department}:{role}"


def plan_duty(
    duty: Duty, today: dt.date, calendar: WorkCalendar, plan: Plan, policy: ReminderPolicy
) -> list[Reminder]:
    """Every reminder the duty should have in its present state, whatever their days (the caller drops the
    past ones it has not planned yet). None before it starts or once it is finished."""
    if duty.state in (State.NOT_STARTED,) or duty.state.terminal or duty.spec.lead is None:
        return []
    officer = party(duty.spec.lead, policy.officer_role)
    if duty.state is State.PUBLISHED:
        return list(_filing(duty, calendar, policy, officer))
    reminders = list(_milestones(duty, calendar, plan, policy, officer))
    reminders += _replies(duty, calendar, policy)
    reminders += _overdue(duty, today, calendar, policy, officer)
    return reminders


def _series(
    duty: Duty,
    kind: Kind,
    about: str,
    due: dt.date,
    offsets: tuple[int, ...],
    calendar: WorkCalendar,
    to: str,
) -> Iterator[Reminder]:
    for n in offsets:
        send_on = calendar.add_workdays(due, -n) if n else calendar.on_or_before(due)
        key = f"{duty.id}:{kind.value}:{about}:{due.isoformat()}:{n}"
        yield Reminder(key, duty.id, duty.notice_id, kind, due, send_on, to, about=about)


def _milestones(
    duty: Duty, calendar: WorkCalendar, plan: Plan, policy: ReminderPolicy, officer: str
) -> Iterator[Reminder]:
    due = duty.milestones(calendar, plan)
    ended = duty.stage_ends()
    for stage in remaining_from(duty.state.stage):
        if stage in due and stage not in ended:
            kind, slug = STAGE_KINDS[stage], stage_slug(stage)
            yield from _series(duty, kind, slug, due[stage], policy.milestone_offsets, calendar, officer)
    # A deadline on a day off falls, in effect, on its last working day: only a publish milestone pushed past
    # that day leaves the deadline a series of its own.
    if duty.deadline is not None and duty.last_working_day != due.get(Stage.PUBLISH):
        offsets = policy.milestone_offsets
        yield from _series(duty, Kind.BEFORE_PUBLISH, "deadline", duty.deadline, offsets, calendar, officer)


def _replies(duty: Duty, calendar: WorkCalendar, policy: ReminderPolicy) -> Iterator[Reminder]:
    if duty.state is not State.CONSULTING:
        return
    for request in duty.current_requests():
        if request.reply is None:
            to = party(request.consultee, policy.consultee_role)
            about = f"r{request.round}-{request.consultee}"
            yield from _series(duty, Kind.REPLY_DUE, about, request.due, policy.reply_offsets, calendar, to)


def _overdue(
    duty: Duty, today: dt.date, calendar: WorkCalendar, policy: ReminderPolicy, officer: str
) -> Iterator[Reminder]:
    """A reminder on every working day from the first one after the last working day, planned a few ahead."""
    if not duty.overdue(today) or duty.last_working_day is None:
        return
    first = calendar.add_workdays(duty.last_working_day, 1)
    until = calendar.add_workdays(max(today, first), policy.overdue_horizon)
    due = duty.deadline or duty.last_working_day
    leader = party(duty.spec.lead or "", policy.leader_role)
    day, number = first, 1
    while day <= until:
        cc = leader if number >= policy.escalate_from else ""
        key = f"{duty.id}:overdue:{day.isoformat()}"
        yield Reminder(key, duty.id, duty.notice_id, Kind.OVERDUE, due, day, officer, cc, str(number))
        day, number = calendar.add_workdays(day, 1), number + 1


def filing_due(published_on: dt.date, calendar: WorkCalendar, policy: ReminderPolicy) -> dt.date:
    """The 备案 day: N calendar days after publication, moved to the next working day if that is a day off."""
    return calendar.add_days(published_on, policy.filing_days)


def _filing(duty: Duty, calendar: WorkCalendar, policy: ReminderPolicy, officer: str) -> Iterator[Reminder]:
    if duty.publication is None or duty.publication.filed_on is not None:
        return
    due = filing_due(duty.publication.published_on, calendar, policy)
    yield from _series(duty, Kind.FILING, "filing", due, policy.filing_offsets, calendar, officer)


def digest_week(today: dt.date, calendar: WorkCalendar) -> dt.date | None:
    """The first working day of today's week (Monday to Sunday), or None when the week has none."""
    monday = today - dt.timedelta(days=today.weekday())
    first = calendar.on_or_after(monday)
    return first if first <= monday + dt.timedelta(days=6) else None


def digest_reminder(notice_id: str, coordinator: str, week: dt.date, policy: ReminderPolicy) -> Reminder:
    """The weekly digest of one notice, for its coordinating office."""
    key = f"digest:{notice_id}:{week.isoformat()}"
    to = party(coordinator, policy.digest_role)
    return Reminder(key, notice_id, notice_id, Kind.DIGEST, week, week, to, about="digest")


def days_late(send_on: dt.date, today: dt.date, calendar: WorkCalendar) -> int:
    """How many working days after its day a reminder would go out today."""
    return calendar.count_workdays(send_on + dt.timedelta(days=1), today)


def working_days_left(today: dt.date, due: dt.date, calendar: WorkCalendar) -> int:
    """Working days after today up to and including the due day; negative when the day has passed."""
    if due >= today:
        return calendar.count_workdays(today + dt.timedelta(days=1), due)
    return -calendar.count_workdays(due + dt.timedelta(days=1), today)
