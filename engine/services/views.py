"""Read-only views for the CLI and the portal: every duty against its milestones, and one duty's timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.domain.drafting.versions import DocumentVersion
from engine.domain.ports import Ports
from engine.domain.workflow.consultation import Opinion, Request
from engine.domain.workflow.milestones import Stage
from engine.domain.workflow.model import Event, State


@dataclass(frozen=True)
class StatusRow:
    duty_id: str
    notice_id: str
    location: str
    title: str
    lead: str
    state: State
    next_stage: Stage | None
    next_due: dt.date | None
    workdays_left: int | None
    at_risk: bool
    overdue: bool


def status(today: dt.date, *, ports: Ports, notice_id: str | None = None) -> list[StatusRow]:
    """Every duty (of one notice, or all) with its next milestone, the working days left, risk and lateness."""
    with ports.uow() as uow:
        duties = uow.duties.list(notice_id)
    rows = []
    for duty in duties:
        due = duty.milestones(ports.calendar, ports.plan)
        stage = None if duty.state.terminal or duty.state is State.PUBLISHED else duty.state.stage
        left = (
            ports.calendar.count_workdays(today + dt.timedelta(days=1), duty.last_working_day)
            if duty.last_working_day
            else None
        )
        rows.append(
            StatusRow(
                duty.id,
                duty.notice_id,
                duty.spec.location,
                duty.spec.title or "",
                ports.registry.get(duty.spec.lead).display if duty.spec.lead else "",
                duty.state,
                stage,
                due.get(stage) if stage else None,
                left,
                duty.at_risk(today, ports.calendar, ports.plan),
                duty.overdue(today),
            )
        )
    return rows


@dataclass(frozen=True)
class Timeline:
    duty_id: str
    title: str
    state: State
    deadline: dt.date | None
    last_working_day: dt.date | None
    milestones: dict[Stage, dt.date]
    events: tuple[Event, ...]
    requests: tuple[Request, ...]
    opinions: tuple[Opinion, ...]
    documents: tuple[DocumentVersion, ...]
    version: int = 0  # the row version an action's --expect-version names


def timeline(duty_id: str, *, ports: Ports) -> Timeline:
    """One duty's history: its audit trail, consultation rounds, opinions and document versions."""
    with ports.uow() as uow:
        duty = uow.duties.get(duty_id)
    return Timeline(
        duty.id,
        duty.spec.title or "",
        duty.state,
        duty.deadline,
        duty.last_working_day,
        duty.milestones(ports.calendar, ports.plan),
        tuple(duty.events),
        tuple(duty.requests),
        tuple(duty.opinions),
        tuple(ports.documents.versions(duty.id)),
        duty.version,
    )
