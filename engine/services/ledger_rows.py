"""Fill a notice's 督办台账 (engine.domain.workflow.ledger) from the notice board and the duties' records.

The milestones, working days left, risk and lateness are the notice board's (engine.services.board), so the
ledger and the board never disagree; the progress and remarks are worded from each duty's record by the
templates `ledger-progress` and `ledger-remarks`, which an office may edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from engine.domain.departments import Role
from engine.domain.intake.specs import Track
from engine.domain.ports import NoticeRecord, Ports
from engine.domain.workflow.ledger import AT_RISK, ON_TRACK, OVERDUE, Ledger, LedgerRow
from engine.domain.workflow.milestones import ORDER, Stage
from engine.domain.workflow.model import Duty, local_date
from engine.domain.workflow.people import User, UserRole
from engine.services.board import BoardRow, notice_board

PARTIAL = "仅含本人可查看的任务"


def ledger_of(
    notice: NoticeRecord,
    duties: list[Duty],
    people: Mapping[str, User],
    today: dt.date,
    *,
    user_id: str,
    whole: bool,
    ports: Ports,
) -> Ledger:
    """The ledger of the notice as of `today`: one row per duty the user may read, in the board's order."""
    board = notice_board(notice.id, today, ports=ports, user_id=user_id)
    by_id = {d.id: d for d in duties}
    listed = notice.catalogue.get("duty", [])
    open_lists = {d.get("id") for d in listed if isinstance(d, dict) and d.get("co_open")}
    rows = tuple(
        _row(r, by_id[r.duty_id], r.duty_id in open_lists, people, ports)
        for r in board.rows
        if r.duty_id in by_id
    )
    number = f"（{notice.info.number}）" if notice.info.number else ""
    return Ledger(f"《{notice.info.title}》{number}督办台账", today, rows, "" if whole else PARTIAL)


def _row(row: BoardRow, duty: Duty, open_list: bool, people: Mapping[str, User], ports: Ports) -> LedgerRow:
    """One duty's row; `open_list` when the notice left its co-departments open (会同市财政等部门)."""
    co = "、".join(row.co_departments) + ("等" if open_list and row.co_departments else "")
    risk = OVERDUE if row.overdue else AT_RISK if row.at_risk else ON_TRACK if row.next_stage else ""
    actual = dict(row.actual)
    if Stage.PUBLISH not in actual:
        ended = duty.publication.published_on if duty.publication else _day_of(duty, "forward")
        if ended is not None:
            actual[Stage.PUBLISH] = ended
    return LedgerRow(
        number=row.location,
        task=row.title,
        lead=row.lead,
        officer=_officer(duty, people, ports),
        co_departments=co,
        deadline=row.deadline,
        state=row.state.value,
        planned=tuple(row.planned.get(stage) for stage in ORDER),
        actual=tuple(actual.get(stage) for stage in ORDER),
        workdays_left=row.workdays_left,
        risk=risk,
        progress=ports.wording.render("ledger-progress", _progress(duty)).strip(),
        remarks=ports.wording.render("ledger-remarks", _remarks(duty, row.pending, ports)).strip(),
    )


def _officer(duty: Duty, people: Mapping[str, User], ports: Ports) -> str:
    """The 承办人: the catalogue's (the registry's name for the address when it knows it), else the officer of
    the lead department who acted on the duty last."""
    officer, lead = duty.spec.officer, duty.spec.lead
    if officer:
        department = next((d for d in ports.registry if d.key == lead), None)
        contact = department.contact(Role.OFFICER) if department else None
        return contact.name if contact is not None and contact.email == officer else officer
    acted = (people.get(e.actor) for e in reversed(duty.events))
    return next((u.name for u in acted if u and u.department == lead and UserRole.OFFICER in u.roles), "")


def _progress(duty: Duty) -> dict[str, Any]:
    moved = [e for e in duty.events if e.from_state != e.to_state]
    last = moved[-1] if moved else None
    current = duty.current_requests()
    publication = duty.publication
    return {
        "state": duty.state.name,
        "since": local_date(last.at) if last else None,
        "action": last.action if last else "",
        "reason": last.reason if last else "",
        "uploads": sum(1 for e in duty.events if e.action == "upload" and (not last or e.seq > last.seq)),
        "asked": len(current),
        "answered": sum(1 for r in current if r.reply is not None),
        "due": max((r.due for r in current), default=None),
        "undecided": len(duty.undecided()),
        "number": publication.number if publication else "",
        "published": publication.published_on if publication else None,
        "effective": publication.effective_on if publication else None,
        "filed": publication.filed_on if publication else None,
    }


def _remarks(duty: Duty, pending: bool, ports: Ports) -> dict[str, Any]:
    reassignments = []
    for e in (e for e in duty.events if e.action == "reassign"):
        keys, _, reason = e.reason.partition("：")
        old, _, new = keys.partition(" → ")
        display = ports.registry.display_of
        reassignments.append(
            {"on": local_date(e.at), "old": display(old), "new": display(new), "reason": reason}
        )
    return {
        "legislative": duty.spec.track is Track.LEGISLATIVE,
        "extensions": [
            {"on": local_date(x.at), "to": x.new_deadline, "reason": x.reason} for x in duty.extensions
        ],
        "reassignments": reassignments,
        "returns": sum(1 for e in duty.events if e.action in ("review_returned", "return")),
        "rounds": duty.round,
        "pending": pending,
    }


def _day_of(duty: Duty, action: str) -> dt.date | None:
    return next((local_date(e.at) for e in reversed(duty.events) if e.action == action), None)
