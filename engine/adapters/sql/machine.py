"""The machine's own records in SQL: steps done per stage version, and runs dispatched to Prefect."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.adapters.sql.connection import insert_new
from engine.domain.ports import Dispatch


class SqlMachineLog:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def done(self, duty_id: str, stage_version: int, step: str) -> tuple[str, ...] | None:
        t = schema.machine_steps
        row = self.c.execute(
            sa.select(t.c.documents).where(
                t.c.duty_id == duty_id, t.c.stage_version == stage_version, t.c.step == step
            )
        ).first()
        return tuple(row.documents) if row is not None else None

    def record(
        self, duty_id: str, stage_version: int, step: str, documents: tuple[str, ...], now: dt.datetime
    ) -> bool:
        if self.done(duty_id, stage_version, step) is not None:
            return False
        values = {
            "duty_id": duty_id,
            "stage_version": stage_version,
            "step": step,
            "documents": list(documents),
            "done_at": now,
        }
        self.c.execute(sa.insert(schema.machine_steps).values(**values))
        return True


class SqlDispatchLog:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def add(self, dispatch: Dispatch) -> bool:
        """Insert the dispatch unless its key is taken; on PostgreSQL a conflict must not abort the caller's
        transaction, so the insert says DO NOTHING instead of raising."""
        values = {
            "key": dispatch.key,
            "duty_id": dispatch.duty_id,
            "stage": dispatch.stage,
            "stage_version": dispatch.stage_version,
            "attempt": dispatch.attempt,
            "acting_at": dispatch.acting_at,
            "flow_run_id": dispatch.flow_run_id,
            "dispatched_at": dispatch.dispatched_at,
            "token": dispatch.token,
        }
        return insert_new(self.c, schema.dispatches, values)

    def set_run(self, key: str, flow_run_id: str) -> None:
        t = schema.dispatches
        self.c.execute(sa.update(t).where(t.c.key == key).values(flow_run_id=flow_run_id))

    def latest(self, duty_id: str, stage_version: int, stage: str) -> Dispatch | None:
        t = schema.dispatches
        row = self.c.execute(
            sa.select(t)
            .where(t.c.duty_id == duty_id, t.c.stage_version == stage_version, t.c.stage == stage)
            .order_by(t.c.attempt.desc())
        ).first()
        return None if row is None else _dispatch(row)

    def in_flight(self) -> list[Dispatch]:
        t = schema.dispatches
        query = sa.select(t).where(t.c.flow_run_id.is_not(None), t.c.ended_at.is_(None))
        return [_dispatch(row) for row in self.c.execute(query.order_by(t.c.dispatched_at, t.c.key))]

    def end(self, key: str, at: dt.datetime) -> None:
        t = schema.dispatches
        self.c.execute(sa.update(t).where(t.c.key == key, t.c.ended_at.is_(None)).values(ended_at=at))


def _dispatch(row: sa.Row[Any]) -> Dispatch:
    return Dispatch(
        row.duty_id,
        row.stage,
        row.stage_version,
        row.attempt,
        row.acting_at,
        row.dispatched_at,
        row.flow_run_id,
        row.token,
    )
