"""Gather the weekly digest of a notice for its coordinating office: what is late, what is at risk, and which
reminders may not have reached their reader."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from engine.domain.ports import DutyFacts, StoredReminder, UnitOfWork
from engine.domain.reminders.planner import Reminder, working_days_left
from engine.domain.workflow.model import State, local_date, state_at_risk, state_overdue

if TYPE_CHECKING:
    from engine.domain.ports import Ports

STATUS_NAMES = {"uncertain": "投递结果不明", "folded": "逾期未发出", "failed": "未能发送"}


def _duty_row(duty: DutyFacts, today: dt.date, ports: Ports, link: str) -> dict[str, Any]:
    due = duty.last_working_day or today
    return {
        "id": duty.id,
        "title": duty.title or duty.id,
        "lead": ports.registry.display_of(duty.lead) if duty.lead else "",
        "state": duty.state,
        "deadline": duty.deadline,
        "left": working_days_left(today, due, ports.calendar),
        "link": f"{link}/duties/{duty.id}",
    }


def _reminder_row(s: StoredReminder, ports: Ports) -> dict[str, Any]:
    department, _, role = s.reminder.to.partition(":")
    return {
        "key": s.key,
        "kind": s.reminder.kind.value,
        "duty": s.reminder.subject,
        "to": f"{ports.registry.display_of(department)}（{role}）",
        "day": s.reminder.send_on,
        "status": STATUS_NAMES.get(s.status, s.status),
        "error": s.error,
    }


def overdue_and_at_risk(
    duties: list[DutyFacts], today: dt.date, ports: Ports
) -> tuple[list[DutyFacts], list[DutyFacts]]:
    """The notice's overdue duties, and those not overdue but with fewer working days left than they need."""
    overdue = [d for d in duties if state_overdue(State(d.state), d.last_working_day, today)]
    at_risk = [
        d
        for d in duties
        if d not in overdue
        and state_at_risk(State(d.state), d.last_working_day, today, ports.calendar, ports.plan)
    ]
    return overdue, at_risk


def digest_context(
    digest: Reminder, now: dt.datetime, ports: Ports, uow: UnitOfWork, portal_url: str
) -> tuple[dict[str, Any], list[str]]:
    """The digest's template context, and the keys of the reminders it reports."""
    today, link = local_date(now), portal_url.rstrip("/")
    notice = uow.notices.get(digest.subject)
    duties = uow.reminders.notice_facts(digest.subject)
    overdue, at_risk = overdue_and_at_risk(duties, today, ports)
    unreported = uow.reminders.unreported(digest.subject)
    context = {
        "notice": {
            "id": digest.subject,
            "title": notice.info.title if notice else digest.subject,
            "number": (notice.info.number if notice else "") or "",
            "office": (notice.coordinator.office if notice else "") or "",
        },
        "today": today,
        "week": digest.due,
        "total": len(duties),
        "overdue": [_duty_row(d, today, ports, link) for d in overdue],
        "at_risk": [_duty_row(d, today, ports, link) for d in at_risk],
        "unreported": [_reminder_row(s, ports) for s in unreported],
        "link": f"{link}/notices/{digest.subject}",
    }
    return context, [s.key for s in unreported]
