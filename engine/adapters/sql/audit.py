"""The audit trail in SQL: the `audit_log` table behind the AuditLog port, append-only."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.domain.ports import AuditRecord

t = schema.audit_log


class SqlAuditLog:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def record(self, record: AuditRecord) -> None:
        values = {
            "at": record.at,
            "actor": record.actor,
            "action": record.action,
            "subject": record.subject,
            "detail": record.detail,
        }
        self.c.execute(sa.insert(t).values(**values))

    def list(self, *, subject: str | None = None, actor: str | None = None) -> list[AuditRecord]:
        query = sa.select(t).order_by(t.c.id)
        if subject is not None:
            query = query.where(t.c.subject == subject)
        if actor is not None:
            query = query.where(t.c.actor == actor)
        return [AuditRecord(r.at, r.actor, r.action, r.subject, r.detail) for r in self.c.execute(query)]
