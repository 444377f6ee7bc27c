"""Map a catalogue (the reviewed list of a notice's drafting duties) to plain data and back, checking it.

Pure: the file adapter (engine.adapters.rules) reads and writes the TOML; here the parsed data becomes a
Catalogue, with every problem found reported at once. People edit the file, so a department's name is
accepted where a key belongs, and keys are what is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from engine.domain.departments import Registry
from engine.domain.intake.specs import (
    ID_PATTERN,
    Catalogue,
    Coordinator,
    DutySpec,
    NoticeInfo,
    Reference,
    Track,
)
from engine.domain.workdays import WorkCalendar
from engine.errors import CatalogueError

SCHEMA_VERSION = 1


def _drop_none(table: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if v is not None}


def catalogue_data(c: Catalogue) -> dict[str, Any]:
    n = c.notice
    return {
        "schema_version": SCHEMA_VERSION,
        "notice": _drop_none(
            {
                "id": n.id,
                "title": n.title,
                "number": n.number,
                "issuer": n.issuer,
                "date": n.date,
                "published": n.published,
                "source": c.source,
                "registry": c.registry,
                "deadline": c.deadline,
                "references": [_drop_none(vars(r)) for r in n.references] or None,
            }
        ),
        "coordinator": _drop_none(
            {
                "department": c.coordinator.department,
                "office": c.coordinator.office,
                "reviewer": c.coordinator.reviewer,
            }
        ),
        "duty": [
            _drop_none(
                {
                    "id": d.id,
                    "ref": d.ref,
                    "location": d.location,
                    "title": d.title,
                    "document": d.document,
                    "kind": d.kind,
                    "track": d.track.value,
                    "lead": d.lead,
                    "lead_as_written": d.lead_as_written,
                    "co_departments": list(d.co_departments),
                    "co_departments_as_written": list(d.co_departments_as_written),
                    "co_open": d.co_open,
                    "consultees": list(d.consultees),
                    "officer": d.officer,
                    "basis": list(d.basis),
                    "deadline": d.deadline,
                    "deadline_note": d.deadline_note,
                    "recurring": d.recurring,
                    "generic": d.generic or None,
                    "addressee": d.addressee,
                    "text": d.text,
                    "evidence": d.evidence if d.evidence and d.evidence != d.text else None,
                }
            )
            for d in c.duties
        ],
    }


def read_catalogue(
    data: Mapping[str, Any], registry: Registry, calendar: WorkCalendar, *, source: str
) -> Catalogue:
    """Turn a parsed catalogue into a Catalogue; raise CatalogueError listing every problem found."""
    reader = _CatalogueReader(registry, calendar)
    catalogue = reader.catalogue(data)
    if reader.problems:
        raise CatalogueError(source, reader.problems)
    return catalogue


class _CatalogueReader:
    """Turn parsed TOML into a Catalogue, collecting problems instead of stopping at the first."""

    def __init__(self, registry: Registry, calendar: WorkCalendar) -> None:
        self.registry, self.calendar = registry, calendar
        self.names = registry  # the registry a name written by a person is read with: the catalogue's own
        self.problems: list[str] = []

    def catalogue(self, data: Mapping[str, Any]) -> Catalogue:
        if data.get("schema_version") != SCHEMA_VERSION:
            self.problems.append(f"schema_version 应为 {SCHEMA_VERSION}")
        notice = data.get("notice", {})
        info = NoticeInfo(
            self.text(notice, "id", "notice"),
            self.text(notice, "title", "notice"),
            notice.get("number"),
            notice.get("issuer"),
            self.date(notice, "date", "notice"),
            self.date(notice, "published", "notice"),
            self.references(notice.get("references", [])),
        )
        if not ID_PATTERN.match(info.id):
            self.problems.append(f"notice.id “{info.id}” 须为小写 ASCII 短横线格式")
        self.names = self.registry.member(notice.get("registry"))
        coord = data.get("coordinator", {})
        coordinator = Coordinator(
            self.key(coord.get("department"), "coordinator.department"),
            coord.get("office"),
            self.key(coord.get("reviewer"), "coordinator.reviewer"),
        )
        duties = tuple(self.duty(i, entry, info.id) for i, entry in enumerate(data.get("duty", []), 1))
        ids = [d.id for d in duties]
        self.problems += [f"任务编号重复：{i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
        deadline = self.date(notice, "deadline", "notice")
        return Catalogue(
            info,
            deadline,
            self.calendar.on_or_before(deadline) if deadline else None,
            coordinator,
            duties,
            notice.get("source"),
            notice.get("registry"),
        )

    def references(self, entries: Any) -> tuple[Reference, ...]:
        if not isinstance(entries, list) or not all(
            isinstance(e, Mapping) and e.get("title") for e in entries
        ):
            self.problems.append("notice.references 应为列表，每项含 title（可选 number、short）")
            return ()
        return tuple(Reference(str(e["title"]), e.get("number"), e.get("short")) for e in entries)

    def text(self, table: Mapping[str, Any], field: str, where: str) -> str:
        value = table.get(field)
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{where}.{field} 不能为空")
            return ""
        return value

    def date(self, table: Mapping[str, Any], field: str, where: str) -> dt.date | None:
        value = table.get(field)
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        self.problems.append(f"{where}.{field} 应为日期（YYYY-MM-DD），现为 {value!r}")
        return None

    def key(self, value: Any, where: str) -> str | None:
        if value is None or value == "":
            return None
        dept = (
            self.names.resolve(str(value))
            or self.registry.resolve(str(value))
            or next((d for d in self.registry if d.key == value), None)
        )
        if dept is None:
            self.problems.append(f"{where}：部门名录中没有“{value}”")
            return None
        return dept.key

    def keys(self, values: Any, where: str) -> tuple[str, ...]:
        if not isinstance(values, list):
            self.problems.append(f"{where} 应为列表")
            return ()
        return tuple(k for k in (self.key(v, where) for v in values) if k)

    def duty(self, index: int, e: Mapping[str, Any], notice_id: str) -> DutySpec:
        where = f"第 {index} 项任务（{e.get('id', '?')}）"
        duty_id = self.text(e, "id", where)
        if duty_id and not (ID_PATTERN.match(duty_id) and duty_id.startswith(notice_id + "-")):
            self.problems.append(f"{where}：id 须为 ASCII 短横线格式并以 {notice_id}- 开头")
        lead = self.key(e.get("lead"), f"{where}.lead")
        generic = bool(e.get("generic", False))
        if lead is None and not e.get("lead") and not generic:
            self.problems.append(f"{where}：没有指定牵头部门 lead")
        track = e.get("track", Track.NORMATIVE.value)
        if track not in {t.value for t in Track}:
            self.problems.append(f"{where}.track 应为 {'、'.join(t.value for t in Track)} 之一")
            track = Track.NORMATIVE.value
        officer = str(e.get("officer", ""))
        if officer and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", officer):
            self.problems.append(f"{where}.officer 应为电子邮件地址")
        deadline = self.date(e, "deadline", where)
        return DutySpec(
            id=duty_id,
            ref=str(e.get("ref", "")),
            location=str(e.get("location", "")),
            lead_as_written=e.get("lead_as_written"),
            lead=lead,
            co_departments_as_written=tuple(e.get("co_departments_as_written", [])),
            co_departments=self.keys(e.get("co_departments", []), f"{where}.co_departments"),
            co_open=bool(e.get("co_open", False)),
            text=str(e.get("text", "")),
            document=e.get("document"),
            title=self.text(e, "title", where),
            kind=e.get("kind"),
            track=Track(track),
            basis=tuple(e.get("basis", [])),
            deadline=deadline,
            last_working_day=self.calendar.on_or_before(deadline) if deadline else None,
            recurring=e.get("recurring"),
            drafting=True,
            consultees=self.keys(e.get("consultees", []), f"{where}.consultees"),
            officer=officer,
            generic=generic,
            addressee=e.get("addressee"),
            evidence=str(e.get("evidence") or e.get("text", "")),
            deadline_note=e.get("deadline_note"),
        )
