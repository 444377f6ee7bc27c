"""Write the JSON of `banfa status`, `show`, `tasks` and `board --json`, which other tools read: keep it stable.

The shape (README, "The view JSON"): dates as YYYY-MM-DD, moments as ISO 8601 in Beijing time, enums as their
values (Chinese for states, stages, replies, decisions and legality), milestones keyed by stage name, an
action as its code with its Chinese label, ids as the CLI takes them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from engine.domain.workflow.access import ACTIONS, label
from engine.domain.workflow.model import SHANGHAI

if TYPE_CHECKING:
    from collections.abc import Iterable

    from engine.domain.drafting.versions import DocumentVersion
    from engine.domain.workflow.consultation import Opinion, Request
    from engine.domain.workflow.milestones import Stage
    from engine.domain.workflow.model import Event, Review
    from engine.services.board import Board, Task
    from engine.services.pages import DutyPage
    from engine.services.views import StatusRow, Timeline


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def moment(value: dt.datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def stages(dates: dict[Stage, dt.date]) -> dict[str, str | None]:
    return {stage.value: day(date) for stage, date in dates.items()}


def in_procedure_order(codes: Iterable[str]) -> list[str]:
    """Actions in the order of the procedure (start before consult before submit), unknown codes last."""
    return sorted(codes, key=lambda a: ACTIONS.index(a) if a in ACTIONS else len(ACTIONS))


def actions(codes: Iterable[str]) -> list[dict[str, str]]:
    return [{"action": code, "label": label(code)} for code in codes]


def status_json(rows: list[StatusRow], today: dt.date, notice_id: str | None) -> dict[str, Any]:
    """`banfa status --json`: every duty (of the notice, or all) against its next milestone."""
    return {
        "today": day(today),
        "notice": notice_id,
        "duties": [
            {
                "id": r.duty_id,
                "notice_id": r.notice_id,
                "location": r.location,
                "title": r.title,
                "lead": r.lead,
                "state": r.state.value,
                "next_stage": r.next_stage.value if r.next_stage else None,
                "next_due": day(r.next_due),
                "workdays_left": r.workdays_left,
                "at_risk": r.at_risk,
                "overdue": r.overdue,
            }
            for r in rows
        ],
        "total": len(rows),
        "at_risk": sum(r.at_risk for r in rows),
        "overdue": sum(r.overdue for r in rows),
    }


def timeline_json(t: Timeline) -> dict[str, Any]:
    """`banfa show DUTY --json`: the duty's whole history, as the shell (the server's own) sees it."""
    return {
        "id": t.duty_id,
        "title": t.title,
        "state": t.state.value,
        "deadline": day(t.deadline),
        "last_working_day": day(t.last_working_day),
        "planned": stages(t.milestones),
        "version": t.version,
        "events": [_event(e) for e in t.events],
        "requests": [_request(r) for r in t.requests],
        "opinions": [_opinion(o) for o in t.opinions],
        "documents": [_document(v) for v in t.documents],
    }


def page_json(p: DutyPage, user_id: str, today: dt.date) -> dict[str, Any]:
    """`banfa show DUTY --as USER --json`: what the person may see of the duty, what they may do, its version.

    The keys of the timeline, and more: a reader who may not see the consultation gets empty lists, not
    missing keys.
    """
    return {
        "id": p.duty_id,
        "notice_id": p.notice_id,
        "ref": p.ref,
        "title": p.title,
        "user": user_id,
        "today": day(today),
        "lead": p.lead,
        "co_departments": list(p.co_departments),
        "consultees": list(p.consultees),
        "officer": p.officer,
        "track": p.track.value,
        "state": p.state.value,
        "deadline": day(p.deadline),
        "last_working_day": day(p.last_working_day),
        "planned": stages(p.planned),
        "actual": stages(p.actual),
        "at_risk": p.at_risk,
        "overdue": p.overdue,
        "pending": p.pending,
        "version": p.version,
        "allowed": actions(in_procedure_order(p.allowed)),
        "events": [_event(e) for e in p.events],
        "requests": [_request(r) for r in p.requests],
        "opinions": [_opinion(o) for o in p.opinions],
        "reviews": [_review(r) for r in p.reviews],
        "documents": [_document(v) for v in p.documents],
    }


def tasks_json(tasks: list[Task], user_id: str, today: dt.date) -> dict[str, Any]:
    """`banfa tasks --json`: what waits on the person, overdue first."""
    return {
        "user": user_id,
        "today": day(today),
        "tasks": [
            {
                "id": t.duty_id,
                "notice_id": t.notice_id,
                "title": t.title,
                "lead": t.lead,
                "state": t.state.value,
                "actions": actions(t.actions),
                "due": day(t.due),
                "workdays_left": t.workdays_left,
                "overdue": t.overdue,
                "version": t.version,
            }
            for t in tasks
        ],
        "total": len(tasks),
        "overdue": sum(t.overdue for t in tasks),
    }


def board_json(board: Board, user_id: str | None) -> dict[str, Any]:
    """`banfa board NOTICE --json`: every duty of the notice (that the person may read) against its milestones."""
    rows = board.rows
    return {
        "notice": {"id": board.notice_id, "title": board.title, "deadline": day(board.deadline)},
        "user": user_id,
        "today": day(board.today),
        "duties": [
            {
                "id": r.duty_id,
                "location": r.location,
                "title": r.title,
                "lead": r.lead,
                "officer": r.officer,
                "co_departments": list(r.co_departments),
                "deadline": day(r.deadline),
                "state": r.state.value,
                "planned": stages(r.planned),
                "actual": stages(r.actual),
                "next_stage": r.next_stage.value if r.next_stage else None,
                "next_due": day(r.next_due),
                "workdays_left": r.workdays_left,
                "at_risk": r.at_risk,
                "overdue": r.overdue,
                "pending": r.pending,
                "version": r.version,
            }
            for r in rows
        ],
        "total": len(rows),
        "at_risk": sum(r.at_risk for r in rows),
        "overdue": sum(r.overdue for r in rows),
        "pending": sum(r.pending for r in rows),
    }


def _event(e: Event) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": moment(e.at),
        "actor": e.actor,
        "action": e.action,
        "label": label(e.action),
        "from": e.from_state.value if e.from_state else None,
        "to": e.to_state.value if e.to_state else None,
        "reason": e.reason,
    }


def _request(r: Request) -> dict[str, Any]:
    return {
        "round": r.round,
        "consultee": r.consultee,
        "sent_on": day(r.sent_on),
        "due": day(r.due),
        "reply": r.reply.value if r.reply else None,
        "replied_at": moment(r.replied_at),
        "replied_by": r.replied_by,
        "attachments": list(r.attachments),
    }


def _opinion(o: Opinion) -> dict[str, Any]:
    return {
        "id": o.id,
        "round": o.round,
        "consultee": o.consultee,
        "clause": o.clause,
        "text": o.text,
        "author": o.author,
        "created_at": moment(o.created_at),
        "attachments": list(o.attachments),
        "decision": o.ruling.decision.value if o.ruling else None,
        "reason": o.ruling.reason if o.ruling else None,
    }


def _review(r: Review) -> dict[str, Any]:
    return {"outcome": r.outcome.value, "opinion": r.opinion, "reviewer": r.reviewer, "at": moment(r.at)}


def _document(v: DocumentVersion) -> dict[str, Any]:
    return {
        "id": v.id,
        "kind": v.kind.value,
        "variant": v.variant,
        "version": v.version,
        "filename": v.filename,
        "origin": v.origin.value,
        "author": v.author,
        "created": moment(v.created),
        "size": v.size,
    }
