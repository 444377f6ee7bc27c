"""Keep a duty's planned reminders in step with the duty, inside the transaction that changed it.

Planning again after every change is how reminders follow the duty: a new stage or a moved milestone plans new
rows (their keys name the milestone's day), and a passed milestone, a reply that came in or a finished duty
cancels the rows still pending. Rows already sent, claimed or folded are history and stay as they are; a row
whose day has gone by is planned only if it was planned before (it then goes out late, once).
"""

from __future__ import annotations

import datetime as dt

from engine.domain.ports import Ports, UnitOfWork
from engine.domain.reminders.planner import Reminder, plan_duty
from engine.domain.reminders.policy import ReminderPolicy
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.milestones import Plan
from engine.domain.workflow.model import Duty, local_date


def changes(
    duty: Duty,
    stored: dict[str, str],
    now: dt.datetime,
    *,
    calendar: WorkCalendar,
    plan: Plan,
    policy: ReminderPolicy,
) -> tuple[list[Reminder], list[str]]:
    """What planning the duty again at `now` adds, and which of its pending keys it cancels."""
    today = local_date(now)
    wanted = plan_duty(duty, today, calendar, plan, policy)
    new = [r for r in wanted if r.key not in stored and r.send_on >= today]
    keys = {r.key for r in wanted}
    gone = [k for k, status in stored.items() if status == "pending" and k not in keys]
    return new, gone


def replan(uow: UnitOfWork, duty: Duty, now: dt.datetime, *, ports: Ports) -> tuple[int, int]:
    """Make the duty's stored reminders match its plan at `now`, in the caller's transaction; return
    (planned, cancelled)."""
    stored = uow.reminders.statuses(duty.id)
    new, gone = changes(duty, stored, now, calendar=ports.calendar, plan=ports.plan, policy=ports.reminders)
    uow.reminders.add(new, now)
    uow.reminders.cancel(gone)
    return len(new), len(gone)
