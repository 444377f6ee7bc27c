"""The read models in SQL: duty rows for the lists, read with a few queries whatever the number of duties.

A row joins the duty with its notice (coordinating office, legal office); the open round of its consultation
and its undecided opinions come from one query each over the duties selected. No aggregate is loaded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.domain.intake.normative import Track
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

    def _rows(self, which: sa.ColumnElement[bool]) -> list[DutyRow]:
        query = sa.select(*_COLUMNS).select_from(d.join(n, n.c.id == d.c.notice_id)).where(which)
        rows = list(self.c.execute(query.order_by(d.c.id)))
        ids = [row.id for row in rows]
        rounds, undecided, asked = self._open_rounds(ids), self._undecided(ids), self._asked(ids)
        submitted = set(self.events(ids, frozenset({"submit"})))
        return [
            _row(
                row,
                rounds.get(row.id, ((), None)),
                undecided.get(row.id, 0),
                asked.get(row.id, ()),
                row.id in submitted,
            )
            for row in rows
        ]

    def _asked(self, ids: list[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for chunk in _chunks(ids):
            query = sa.select(r.c.duty_id, r.c.consultee).where(r.c.duty_id.in_(chunk)).distinct()
            for row in self.c.execute(query.order_by(r.c.duty_id, r.c.consultee)):
                found[row.duty_id] = (*found.get(row.duty_id, ()), row.consultee)
        return found

    def _open_rounds(self, ids: list[str]) -> dict[str, tuple[tuple[str, ...], dt.date | None]]:
        """Each duty's open round: the departments yet to answer, and when the replies are due."""
        found: dict[str, tuple[tuple[str, ...], dt.date | None]] = {}
        for chunk in _chunks(ids):
            latest = (
                sa.select(r.c.duty_id, sa.func.max(r.c.round).label("round"))
                .where(r.c.duty_id.in_(chunk))
                .group_by(r.c.duty_id)
                .subquery()
            )
            query = (
                sa.select(r.c.duty_id, r.c.consultee, r.c.due, r.c.reply)
                .join(latest, sa.and_(latest.c.duty_id == r.c.duty_id, latest.c.round == r.c.round))
                .order_by(r.c.duty_id, r.c.id)
            )
            for row in self.c.execute(query):
                waiting, due = found.get(row.duty_id, ((), None))
                waiting += (row.consultee,) if row.reply is None else ()
                found[row.duty_id] = (waiting, max(due, row.due) if due else row.due)
        return found

    def _undecided(self, ids: list[str]) -> dict[str, int]:
        o, x = schema.opinions, schema.decisions
        found: dict[str, int] = {}
        for chunk in _chunks(ids):
            query = (
                sa.select(o.c.duty_id, sa.func.count())
                .select_from(o.outerjoin(x, x.c.opinion_id == o.c.id))
                .where(o.c.duty_id.in_(chunk), x.c.opinion_id.is_(None))
                .group_by(o.c.duty_id)
            )
            found |= {row[0]: int(row[1]) for row in self.c.execute(query)}
        return found


def _row(
    row: Any,
    open_round: tuple[tuple[str, ...], dt.date | None],
    undecided: int,
    asked: tuple[str, ...],
    submitted: bool,
) -> DutyRow:
    state = State(row.state)
    waiting, due = open_round
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
        undecided,
        asked,
        submitted,
    )


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
