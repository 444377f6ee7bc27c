"""One duty as a person sees it: what they may read of it, what they may do now, and the row version a form
sends back. A read model over a read-only unit of work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.domain.drafting.versions import DocumentVersion
from engine.domain.intake.specs import Track
from engine.domain.ports import Ports
from engine.domain.workflow.access import (
    allowed_actions,
    can_read,
    can_read_document,
    readable_replies,
    reads_whole,
)
from engine.domain.workflow.consultation import Opinion, Request
from engine.domain.workflow.machine import pending
from engine.domain.workflow.milestones import Stage
from engine.domain.workflow.model import Event, Review, State
from engine.errors import NotReadable
from engine.services.workflow import scope_of


@dataclass(frozen=True)
class DutyPage:
    """A duty's facts, timeline, documents, consultation and reviews, as far as the user may see them."""

    duty_id: str
    notice_id: str
    ref: str
    title: str
    lead: str  # display names from here on
    co_departments: tuple[str, ...]
    consultees: tuple[str, ...]
    officer: str
    track: Track
    state: State
    deadline: dt.date | None
    last_working_day: dt.date | None
    planned: dict[Stage, dt.date]
    actual: dict[Stage, dt.date]
    at_risk: bool
    overdue: bool
    events: tuple[Event, ...]
    requests: tuple[Request, ...]
    opinions: tuple[Opinion, ...]
    reviews: tuple[Review, ...]
    documents: tuple[DocumentVersion, ...]
    allowed: frozenset[str]
    pending: bool  # the system is still making the stage's documents
    version: int  # what a form sends back as its expected version


def duty_page(duty_id: str, user_id: str, today: dt.date, *, ports: Ports) -> DutyPage:
    """The duty as the user may see it; raise NotReadable when they may not open it at all."""
    with ports.reading() as uow:
        user = uow.users.get(user_id)
        duty = uow.duties.get(duty_id)
        scope = scope_of(uow, duty)
    if not can_read(duty, user, scope):
        raise NotReadable(user_id, duty_id)
    replies = readable_replies(duty, user, scope)
    versions = ports.documents.versions(duty_id)
    spec, calendar = duty.spec, ports.calendar
    return DutyPage(
        duty.id,
        duty.notice_id,
        spec.ref,
        spec.title or spec.document or "",
        ports.registry.display_of(spec.lead),
        tuple(ports.registry.display_of(k) for k in spec.co_departments),
        tuple(ports.registry.display_of(k) for k in spec.consultees),
        spec.officer,
        spec.track,
        duty.state,
        duty.deadline,
        duty.last_working_day,
        duty.milestones(calendar, ports.plan),
        duty.stage_ends(),
        duty.at_risk(today, calendar, ports.plan),
        duty.overdue(today),
        tuple(duty.events),
        tuple(r for r in duty.requests if r.consultee in replies),
        tuple(o for o in duty.opinions if o.consultee in replies),
        tuple(duty.reviews) if reads_whole(duty, user, scope) else (),
        tuple(v for v in versions if can_read_document(duty, v, user, scope)),
        allowed_actions(duty, user, scope),
        pending(duty),
        duty.version,
    )
