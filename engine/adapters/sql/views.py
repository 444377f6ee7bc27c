"""The read models in SQL: duty rows for the lists, read with a few queries whatever the number of duties.

A row joins the duty with its notice (coordinating office, legal office), with whether it was ever submitted
and how many of its opinions wait for a decision; its consultation requests come from one more query over the
duties selected. No aggregate is loaded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.domain.intake.specs import Track
from engine.domain.ports import DutyRow
from engine.domain.workflow.model import State

d, n, r = schema.duties, schema.notices, schema.consultation_requests
_OPEN = [s.value for s in State if not s.terminal]
_COLUMNS = (
    d.c.id,
    d.c.notice_id,
    d.c.location,
    d.c.title,
    d.c.lead,
    d.c.co_departments,
    d.c.consultees,
    d.c.officer,
    d.c.track,
    d.c.state,
    d.c.version,
    d.c.stage_version,
    d.c.machine_done,
    d.c.deadline,
    d.c.last_working_day,
    n.c.coordinator,
    n.c.reviewer,
)
_CHUNK = 500
_NO_REQUESTS: tuple[tuple[str, ...], dt.date | None, tuple[str, ...]] = ((), None, ())


class SqlReadModels:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def task_rows(self, department: str) -> list[DutyRow]:
        # One selective query per reason a duty may wait on the department, each on its own index, then their
        # union: an OR of the four made the database walk every unfinished duty.
        rounds = r.alias("rounds")
        current = (
            sa.select(sa.func.max(rounds.c.round)).where(rounds.c.duty_id == r.c.duty_id).scalar_subquery()
        )
        led = sa.select(d.c.id).where(d.c.lead == department)
        awaited = (
            sa.select(r.c.duty_id)
            .join(d, d.c.id == r.c.duty_id)
            .where(
                d.c.state == State.CONSULTING.value,
                r.c.consultee == department,
                r.c.reply.is_(None),
                r.c.round == current,
            )
        )
        noticed = d.join(n, n.c.id == d.c.notice_id)
        reviewing = (
            sa.select(d.c.id)
            .select_from(noticed)
            .where(n.c.reviewer == department, d.c.state == State.REVIEWING.value)
        )
        deliberating = (
            sa.select(d.c.id)
            .select_from(noticed)
            .where(n.c.coordinator == department, d.c.state == State.DELIBERATING.value)
        )
        which = sa.union(led, awaited, reviewing, deliberating)
        return self._rows(sa.and_(d.c.state.in_(_OPEN), d.c.id.in_(which)))

    def notice_rows(self, notice_id: str) -> list[DutyRow]:
        return self._rows(d.c.notice_id == notice_id)

    def search_rows(self, text: str, leads: tuple[str, ...], limit: int) -> list[DutyRow]:
        found = d.c.id.contains(text, autoescape=True) | d.c.title.contains(text, autoescape=True)
        return self._rows(found | d.c.lead.in_(leads) if leads else found, limit)

    def events(
        self, duty_ids: list[str], actions: frozenset[str]
    ) -> dict[str, list[tuple[str, dt.datetime]]]:
        e = schema.events
        found: dict[str, list[tuple[str, dt.datetime]]] = {}
        for chunk in _chunks(duty_ids):
            query = (
                sa.select(e.c.duty_id, e.c.action, e.c.at)
                .where(e.c.duty_id.in_(chunk), e.c.action.in_(sorted(actions)))
                .order_by(e.c.duty_id, e.c.seq)
            )
            for row in self.c.execute(query):
                found.setdefault(row.duty_id, []).append((row.action, row.at))
        return found

    def _rows(self, which: sa.ColumnElement[bool], limit: int | None = None) -> list[DutyRow]:
        e, o, x = schema.events, schema.opinions, schema.decisions
        # Per duty, on the duty's own index: whether it was ever submitted, and its undecided opinions.
        submitted = sa.exists().where(e.c.duty_id == d.c.id, e.c.action == "submit")
        undecided = (
            sa.select(sa.func.count())
            .select_from(o.outerjoin(x, x.c.opinion_id == o.c.id))
            .where(o.c.duty_id == d.c.id, x.c.opinion_id.is_(None))
            .scalar_subquery()
        )
        query = (
            sa.select(*_COLUMNS, submitted.label("submitted"), undecided.label("undecided"))
            .select_from(d.join(n, n.c.id == d.c.notice_id))
            .where(which)
        )
        rows = list(self.c.execute(query.order_by(d.c.id).limit(limit)))
        requests = self._requests([row.id for row in rows])
        return [_row(row, *requests.get(row.id, _NO_REQUESTS)) for row in rows]

    def _requests(self, ids: list[str]) -> dict[str, tuple[tuple[str, ...], dt.date | None, tuple[str, ...]]]:
        """Each duty's consultation: the departments yet to answer in its latest round, when that round's
        replies are due, and every department ever asked (sorted)."""
        found: dict[str, tuple[tuple[str, ...], dt.date | None, tuple[str, ...]]] = {}
        for chunk in _chunks(ids):
            query = (
                sa.select(r.c.duty_id, r.c.round, r.c.consultee, r.c.due, r.c.reply)
                .where(r.c.duty_id.in_(chunk))
                .order_by(r.c.duty_id, r.c.round, r.c.id)
            )
            grouped: dict[str, list[Any]] = {}
            for row in self.c.execute(query):
                grouped.setdefault(row.duty_id, []).append(row)
            for duty_id, sent in grouped.items():
                latest = [q for q in sent if q.round == sent[-1].round]
                found[duty_id] = (
                    tuple(q.consultee for q in latest if q.reply is None),
                    max(q.due for q in latest),
                    tuple(sorted({q.consultee for q in sent})),
                )
        return found


def _row(row: Any, waiting: tuple[str, ...], due: dt.date | None, asked: tuple[str, ...]) -> DutyRow:
    state = State(row.state)
    return DutyRow(
        row.id,
        row.notice_id,
        row.location,
        row.title,
        row.lead,
        tuple(row.co_departments),
        tuple(row.consultees),
        row.officer,
        Track(row.track),
        state,
        row.version,
        row.stage_version,
        row.machine_done,
        row.deadline,
        row.last_working_day,
        row.coordinator,
        row.reviewer,
        waiting if state is State.CONSULTING else (),
        due,
        int(row.undecided),
        asked,
        bool(row.submitted),
    )


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
