"""Notices and departments in SQL: an ingested notice's record, and the registry's departments as rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.domain.departments import Department
from engine.domain.intake.specs import Coordinator, NoticeInfo, Reference
from engine.domain.ports import NoticeRecord


class SqlNotices:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def get(self, notice_id: str) -> NoticeRecord | None:
        row = self.c.execute(sa.select(schema.notices).where(schema.notices.c.id == notice_id)).first()
        return _notice(row) if row is not None else None

    def save(self, notice: NoticeRecord) -> None:
        i = notice.info
        values = {
            "id": i.id,
            "title": i.title,
            "number": i.number,
            "issuer": i.issuer,
            "written_on": i.date,
            "published_on": i.published,
            "deadline": notice.deadline,
            "coordinator": notice.coordinator.department,
            "coordinator_office": notice.coordinator.office,
            "reviewer": notice.coordinator.reviewer,
            "catalogue": notice.catalogue,
            "ingested_at": notice.ingested_at,
        }
        if self.get(i.id) is None:
            self.c.execute(sa.insert(schema.notices).values(**values))
        else:
            self.c.execute(sa.update(schema.notices).where(schema.notices.c.id == i.id).values(**values))

    def list(self) -> list[NoticeRecord]:
        return [_notice(r) for r in self.c.execute(sa.select(schema.notices).order_by(schema.notices.c.id))]


def _notice(row: Any) -> NoticeRecord:
    refs = row.catalogue.get("notice", {}).get("references", []) if isinstance(row.catalogue, dict) else []
    references = tuple(Reference(r["title"], r.get("number"), r.get("short")) for r in refs)
    info = NoticeInfo(row.id, row.title, row.number, row.issuer, row.written_on, row.published_on, references)
    coordinator = Coordinator(row.coordinator, row.coordinator_office, row.reviewer)
    return NoticeRecord(info, coordinator, row.deadline, row.catalogue, row.ingested_at)


class SqlDepartments:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def sync(self, departments: list[Department]) -> None:
        """Add the new departments and rename the changed ones; never delete (users and duties refer to keys).

        Names are unique, and a registry may hand a name one department gave up to another: the changed rows
        first take a placeholder name (`~key~`, which no Chinese name looks like), then their new ones.
        """
        t = schema.departments
        stored = {r.key: r for r in self.c.execute(sa.select(t))}
        changed = [d for d in departments if d.key in stored and _row(d) != dict(stored[d.key]._mapping)]
        for d in changed:
            self.c.execute(sa.update(t).where(t.c.key == d.key).values(name=f"~{d.key}~"))
        for d in changed:
            self.c.execute(sa.update(t).where(t.c.key == d.key).values(**_row(d)))
        new = [_row(d) for d in departments if d.key not in stored]
        if new:
            self.c.execute(sa.insert(t), new)


def _row(d: Department) -> dict[str, str]:
    return {"key": d.key, "name": d.name, "display": d.display, "kind": d.kind.value}
