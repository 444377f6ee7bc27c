"""Read and write the files under rules/ and the notices people hand in; the pure core never touches a file.

- `read_notice`: a notice file's bytes, decoded (engine.notice.decode picks the encoding).
- `load_registry`, `load_calendar`: rules/departments.toml (+ demo-contacts.toml) and rules/calendar/*.toml.
- `write_catalogue`, `load_catalogue`: rules/notices/<slug>.toml, the reviewed catalogue of one notice. Loading
  validates everything and reports every problem at once; it accepts a department's name where a key belongs,
  because people edit the file, and stores keys.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import tomli_w

from engine.atomic import write_atomic
from engine.decoding import decode
from engine.departments import Registry
from engine.duties import Catalogue, Coordinator, DutySpec, NoticeInfo
from engine.errors import (
    CalendarError,
    CatalogueError,
    CatalogueExists,
    EngineError,
    PolicyError,
    RegistryError,
    UndecodableNotice,
)
from engine.ids import ID_PATTERN
from engine.normative import Track
from engine.notice import Reference
from engine.reminders import ReminderPolicy
from engine.workdays import WorkCalendar, YearArrangement

SCHEMA_VERSION = 1
MAX_NOTICE_BYTES = 8 * 1024 * 1024


def read_notice(path: Path) -> str:
    """Read and decode a notice file; refuse files too large to be a notice."""
    size = path.stat().st_size
    if size > MAX_NOTICE_BYTES:
        raise UndecodableNotice(str(path), f"文件过大（{size} 字节），不像是通知文本")
    return decode(path.read_bytes(), str(path))


def _read_toml(path: Path, error: Callable[[str], EngineError]) -> dict[str, Any]:
    """Parse a TOML file, translating every way it can fail into the error its caller names."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(str(exc)) from exc


def _registry_error(path: Path) -> Callable[[str], EngineError]:
    return lambda problem: RegistryError(f"{path}：{problem}")


def load_registry(rules_dir: Path, *, demo_contacts: bool = False) -> Registry:
    """Load rules/departments.toml; with `demo_contacts`, overlay rules/demo-contacts.toml's example addresses."""
    registry = Registry.from_data(
        _read_toml(rules_dir / "departments.toml", _registry_error(rules_dir / "departments.toml"))
    )
    if demo_contacts:
        registry = registry.with_contacts(
            _read_toml(rules_dir / "demo-contacts.toml", _registry_error(rules_dir / "demo-contacts.toml"))
        )
    return registry


def load_calendar(rules_dir: Path) -> WorkCalendar:
    """Load every rules/calendar/<year>.toml into a WorkCalendar; the file name must match its `year`."""
    arrangements = []
    for path in sorted((rules_dir / "calendar").glob("*.toml")):
        arrangement = YearArrangement.from_data(
            str(path), _read_toml(path, partial(CalendarError, str(path)))
        )
        if path.stem != str(arrangement.year):
            raise CalendarError(str(path), f"文件名应为 {arrangement.year}.toml")
        arrangements.append(arrangement)
    return WorkCalendar(arrangements)


def load_reminder_policy(rules_dir: Path) -> ReminderPolicy:
    """Load rules/reminders.toml; without the file, the defaults of domain.md hold."""
    path = rules_dir / "reminders.toml"
    if not path.exists():
        return ReminderPolicy()
    return ReminderPolicy.from_data(str(path), _read_toml(path, partial(PolicyError, str(path))))


# --- the catalogue file ---------------------------------------------------------------------------------------

_HEADER = """\
# Catalogue of drafting duties (任务清单) for {number}.
# Written by `banfa intake --write`, then reviewed by a person; `banfa catalogue check` validates it.
# Per duty, people may edit: title, lead, co_departments, consultees, officer, track, deadline.
# Departments are keys of rules/departments.toml (a full or short name is accepted too).
# Never change an id once the file is committed: duties, documents and reminders are keyed by it.
"""
_DEPARTMENT_FIELDS = ("lead", "department", "reviewer", "co_departments", "consultees")


def catalogue_toml(catalogue: Catalogue, registry: Registry) -> str:
    """Render a catalogue as TOML a person can edit: one line per field, department keys annotated with names."""
    data = catalogue_data(catalogue)
    lines = [_HEADER.format(number=catalogue.notice.number or catalogue.notice.title).rstrip("\n")]
    lines.append(_toml_line("schema_version", data["schema_version"], registry))
    for table in ("notice", "coordinator"):
        lines += ["", f"[{table}]"] + [_toml_line(k, v, registry) for k, v in data[table].items()]
    for duty in data["duty"]:
        lines += ["", "[[duty]]"] + [_toml_line(k, v, registry) for k, v in duty.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def _toml_line(key: str, value: Any, registry: Registry) -> str:
    line = f"{key} = {_toml_value(value)}"
    if key not in _DEPARTMENT_FIELDS or not value:
        return line
    keys = value if isinstance(value, list) else [value]
    return f"{line}  # {'、'.join(registry.get(k).name for k in keys)}"


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
                    "recurring": d.recurring,
                    "text": d.text,
                }
            )
            for d in c.duties
        ],
    }


def write_catalogue(catalogue: Catalogue, path: Path, registry: Registry, *, force: bool = False) -> Path:
    """Write a catalogue atomically (a temporary file, then a rename); never overwrite one unless forced."""
    if path.exists() and not force:
        raise CatalogueExists(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, catalogue_toml(catalogue, registry).encode("utf-8"))
    return path


def load_catalogue(path: Path, registry: Registry, calendar: WorkCalendar) -> Catalogue:
    """Load and validate a catalogue; raise CatalogueError listing every problem found."""
    data = _read_toml(path, lambda problem: CatalogueError(str(path), [problem]))
    reader = _CatalogueReader(registry, calendar)
    catalogue = reader.catalogue(data)
    if reader.problems:
        raise CatalogueError(str(path), reader.problems)
    return catalogue


class _CatalogueReader:
    """Turn parsed TOML into a Catalogue, collecting problems instead of stopping at the first."""

    def __init__(self, registry: Registry, calendar: WorkCalendar) -> None:
        self.registry, self.calendar = registry, calendar
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
        dept = self.registry.resolve(str(value)) or next((d for d in self.registry if d.key == value), None)
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
        if lead is None and not e.get("lead"):
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
        )
