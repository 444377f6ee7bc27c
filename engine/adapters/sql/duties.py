"""The duty repository: a `Duty` aggregate read from and written to its rows, under an optimistic lock.

A save names the version it read; a stale version raises ConcurrencyConflict with nothing written. Audit
events, reviews and extensions are append-only; a duty's consultation rows are rewritten with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.domain.drafting.decisions import Decision, Legality, ReplyKind
from engine.domain.intake.specs import DutySpec, Track
from engine.domain.workflow.consultation import Opinion, Request, Ruling
from engine.domain.workflow.model import Duty, Event, Extension, Publication, Review, State
from engine.errors import ConcurrencyConflict, DutyNotFound


class SqlDuties:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def get(self, duty_id: str) -> Duty:
        row = self.c.execute(sa.select(schema.duties).where(schema.duties.c.id == duty_id)).first()
        if row is None:
            raise DutyNotFound(duty_id)
        return _duty(row, self._children_of(schema.duties.c.id == duty_id))

    def _children_of(self, which: sa.ColumnElement[bool]) -> dict[str, dict[str, list[Any]]]:
        """The child rows of the duties `which` selects: table name → duty id → rows in order."""
        ids = sa.select(schema.duties.c.id).where(which)
        found: dict[str, dict[str, list[Any]]] = {}
        for table, order in _CHILDREN:
            query = sa.select(table).where(table.c.duty_id.in_(ids)).order_by(table.c.duty_id, *order)
            grouped: dict[str, list[Any]] = {}
            for r in self.c.execute(query):
                grouped.setdefault(r.duty_id, []).append(r)
            found[table.name] = grouped
        query = (
            sa.select(schema.opinions, schema.decisions)
            .outerjoin(schema.decisions, schema.decisions.c.opinion_id == schema.opinions.c.id)
            .where(schema.opinions.c.duty_id.in_(ids))
            .order_by(
                schema.opinions.c.duty_id,
                schema.opinions.c.round,
                schema.opinions.c.consultee,
                schema.opinions.c.seq,
            )
        )
        opinions: dict[str, list[Any]] = {}
        for r in self.c.execute(query):
            opinions.setdefault(r.duty_id, []).append(r)
        found["opinions"] = opinions
        return found

    def list(self, notice_id: str | None = None) -> list[Duty]:
        """Every duty (of a notice), each child table read once for all of them."""
        query = sa.select(schema.duties).order_by(schema.duties.c.notice_id, schema.duties.c.id)
        which: sa.ColumnElement[bool] = sa.true()
        if notice_id is not None:
            which = schema.duties.c.notice_id == notice_id
        rows = list(self.c.execute(query.where(which)))
        children = self._children_of(which)
        return [_duty(row, children) for row in rows]

    def consultations_ended(self, today: dt.date) -> tuple[str, ...]:
        requests, duties = schema.consultation_requests, schema.duties
        latest = (
            sa.select(requests.c.duty_id, sa.func.max(requests.c.round).label("round"))
            .group_by(requests.c.duty_id)
            .subquery()
        )
        query = (
            sa.select(duties.c.id)
            .join(requests, requests.c.duty_id == duties.c.id)
            .join(latest, sa.and_(latest.c.duty_id == requests.c.duty_id, latest.c.round == requests.c.round))
            .where(duties.c.state == State.CONSULTING.value)
            .group_by(duties.c.id)
            .having(sa.func.max(requests.c.due) < today)
            .order_by(duties.c.id)
        )
        return tuple(self.c.scalars(query))

    def add(self, duty: Duty) -> None:
        duty.version = 1
        self.c.execute(
            sa.insert(schema.duties).values(
                id=duty.id,
                notice_id=duty.notice_id,
                version=1,
                created_at=_last_change(duty),
                **_duty_values(duty),
            )
        )
        self._children(duty, persisted_events=0, persisted_reviews=0, persisted_extensions=0)

    def save(self, duty: Duty) -> None:
        """Write the duty if nobody else has since it was read; raise ConcurrencyConflict otherwise."""
        result = self.c.execute(
            sa.update(schema.duties)
            .where(schema.duties.c.id == duty.id, schema.duties.c.version == duty.version)
            .values(version=duty.version + 1, **_duty_values(duty))
        )
        if result.rowcount != 1:
            raise ConcurrencyConflict(duty.id)
        counts = [self._count(t, duty.id) for t in (schema.events, schema.reviews, schema.extensions)]
        self.c.execute(
            sa.delete(schema.decisions).where(
                schema.decisions.c.opinion_id.in_(
                    sa.select(schema.opinions.c.id).where(schema.opinions.c.duty_id == duty.id)
                )
            )
        )
        for table in (schema.opinions, schema.consultation_requests):
            self.c.execute(sa.delete(table).where(table.c.duty_id == duty.id))
        self._children(duty, *counts)
        duty.version += 1

    def _count(self, table: sa.Table, duty_id: str) -> int:
        return int(
            self.c.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.duty_id == duty_id)
            ).scalar_one()
        )

    def _children(
        self, duty: Duty, persisted_events: int, persisted_reviews: int, persisted_extensions: int
    ) -> None:
        rows: list[tuple[sa.Table, list[dict[str, Any]]]] = [
            (
                schema.events,
                [
                    {
                        "duty_id": duty.id,
                        "seq": e.seq,
                        "at": e.at,
                        "actor": e.actor,
                        "action": e.action,
                        "from_state": e.from_state.value if e.from_state else None,
                        "to_state": e.to_state.value if e.to_state else None,
                        "reason": e.reason,
                    }
                    for e in duty.events[persisted_events:]
                ],
            ),
            (
                schema.consultation_requests,
                [
                    {
                        "duty_id": duty.id,
                        "round": r.round,
                        "consultee": r.consultee,
                        "sent_on": r.sent_on,
                        "due": r.due,
                        "reply": r.reply.value if r.reply else None,
                        "replied_at": r.replied_at,
                        "replied_by": r.replied_by,
                        "attachments": list(r.attachments),
                    }
                    for r in duty.requests
                ],
            ),
            (
                schema.opinions,
                [
                    {
                        "id": o.id,
                        "duty_id": duty.id,
                        "round": o.round,
                        "consultee": o.consultee,
                        "seq": o.seq,
                        "clause": o.clause,
                        "text": o.text,
                        "attachments": list(o.attachments),
                        "author": o.author,
                        "created_at": o.created_at,
                    }
                    for o in duty.opinions
                ],
            ),
            (
                schema.decisions,
                [
                    {
                        "opinion_id": o.id,
                        "decision": o.ruling.decision.value,
                        "reason": o.ruling.reason,
                        "decided_by": o.ruling.by,
                        "decided_at": o.ruling.at,
                    }
                    for o in duty.opinions
                    if o.ruling is not None
                ],
            ),
            (
                schema.reviews,
                [
                    {
                        "duty_id": duty.id,
                        "seq": i,
                        "outcome": r.outcome.value,
                        "opinion": r.opinion,
                        "reviewer": r.reviewer,
                        "reviewed_at": r.at,
                    }
                    for i, r in enumerate(duty.reviews, 1)
                    if i > persisted_reviews
                ],
            ),
            (
                schema.extensions,
                [
                    {
                        "duty_id": duty.id,
                        "seq": i,
                        "old_deadline": x.old_deadline,
                        "new_deadline": x.new_deadline,
                        "approver": x.approver,
                        "reason": x.reason,
                        "granted_at": x.at,
                    }
                    for i, x in enumerate(duty.extensions, 1)
                    if i > persisted_extensions
                ],
            ),
        ]
        for table, values in rows:
            if values:
                self.c.execute(sa.insert(table), values)


_CHILDREN: tuple[tuple[sa.Table, tuple[sa.Column[Any], ...]], ...] = (
    (schema.events, (schema.events.c.seq,)),
    (schema.consultation_requests, (schema.consultation_requests.c.id,)),
    (schema.reviews, (schema.reviews.c.seq,)),
    (schema.extensions, (schema.extensions.c.seq,)),
)


def _duty(row: Any, children: dict[str, dict[str, list[Any]]]) -> Duty:
    """Build the aggregate from its row and its child rows."""
    of = {name: rows.get(row.id, []) for name, rows in children.items()}
    duty = Duty(
        _spec(row),
        row.notice_id,
        State(row.state),
        row.version,
        row.stage_version,
        row.machine_done,
        row.deadline,
        row.last_working_day,
    )
    duty.events = [
        Event(
            e.seq,
            e.at,
            e.actor,
            e.action,
            State(e.from_state) if e.from_state else None,
            State(e.to_state) if e.to_state else None,
            e.reason,
        )
        for e in of["events"]
    ]
    duty.requests = [
        Request(
            r.round,
            r.consultee,
            r.sent_on,
            r.due,
            ReplyKind(r.reply) if r.reply else None,
            r.replied_at,
            r.replied_by,
            tuple(r.attachments),
        )
        for r in of["consultation_requests"]
    ]
    duty.opinions = [
        Opinion(
            o.id,
            o.round,
            o.consultee,
            o.seq,
            o.clause,
            o.text,
            o.author,
            o.created_at,
            tuple(o.attachments),
            Ruling(Decision(o.decision), o.reason, o.decided_by, o.decided_at) if o.decision else None,
        )
        for o in of["opinions"]
    ]
    duty.reviews = [Review(Legality(r.outcome), r.opinion, r.reviewer, r.reviewed_at) for r in of["reviews"]]
    duty.extensions = [
        Extension(x.old_deadline, x.new_deadline, x.approver, x.reason, x.granted_at)
        for x in of["extensions"]
    ]
    if row.publication_number:
        duty.publication = Publication(
            row.publication_number, row.published_on, row.effective_on, row.filed_on
        )
    return duty


def _last_change(duty: Duty) -> dt.datetime:
    """When the duty last changed: its newest audit event (the store never reads the clock)."""
    if not duty.events:
        raise ValueError(f"a duty is stored with at least its ingest event: {duty.id}")
    return duty.events[-1].at


def _duty_values(duty: Duty) -> dict[str, Any]:
    s, p = duty.spec, duty.publication
    return {
        "location": s.location,
        "ref": s.ref,
        "title": s.title or s.document or "",
        "document": s.document,
        "kind": s.kind,
        "track": s.track.value,
        "lead": s.lead,
        "co_departments": list(s.co_departments),
        "consultees": list(s.consultees),
        "officer": s.officer,
        "text": s.text,
        "basis": list(s.basis),
        "deadline": duty.deadline,
        "last_working_day": duty.last_working_day,
        "catalogue_deadline": s.deadline,
        "state": duty.state.value,
        "stage_version": duty.stage_version,
        "machine_done": duty.machine_done,
        "publication_number": p.number if p else None,
        "published_on": p.published_on if p else None,
        "effective_on": p.effective_on if p else None,
        "filed_on": p.filed_on if p else None,
        "updated_at": _last_change(duty),
    }


def _spec(row: Any) -> DutySpec:
    return DutySpec(
        id=row.id,
        ref=row.ref,
        location=row.location,
        lead_as_written=None,
        lead=row.lead,
        co_departments_as_written=(),
        co_departments=tuple(row.co_departments),
        co_open=False,
        text=row.text,
        document=row.document,
        title=row.title,
        kind=row.kind,
        track=Track(row.track),
        basis=tuple(row.basis),
        deadline=row.catalogue_deadline,
        last_working_day=row.last_working_day,
        recurring=None,
        drafting=True,
        consultees=tuple(row.consultees),
        officer=row.officer,
    )
