"""Read and write the files under rules/ and the notices people hand in; the pure core never touches a file.

- `read_notice`: a notice file's text, from plain text, a .docx or a PDF (engine.adapters.notice_files).
- `load_registry`, `load_calendar`, `load_reminder_policy`: rules/departments.toml (+ demo-contacts.toml),
  rules/calendar/*.toml and rules/reminders.toml.
- `write_catalogue`, `load_catalogue`: rules/notices/<slug>.toml, the reviewed catalogue of one notice, as
  TOML a
  person edits; the mapping to and from a Catalogue is engine.domain.intake.catalogue.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import tomli_w

from engine.adapters.atomic import write_atomic
from engine.adapters.notice_files import notice_text
from engine.domain.departments import Registries, Registry
from engine.domain.intake.specs import Catalogue
from engine.domain.reminders.policy import ReminderPolicy
from engine.domain.workdays import WorkCalendar, YearArrangement
from engine.errors import (
    CalendarError,
    CatalogueError,
    CatalogueExists,
    EngineError,
    PolicyError,
    RegistryError,
)


def read_notice(path: Path) -> str:
    """Read a notice file as text: plain text in any encoding `decode` knows, a Word .docx or a PDF.

    The kind is told by the file's first bytes, not its name (engine.adapters.notice_files); a file too large
    to be a notice, a scan without a text layer or an old .doc is refused with an UndecodableNotice.
    """
    return notice_text(path)


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
    """Load every registry (see `load_registries`) as one; with `demo_contacts`, overlay
    rules/demo-contacts.toml's example addresses."""
    return load_registries(rules_dir, demo_contacts=demo_contacts).combined


def load_registries(rules_dir: Path, *, demo_contacts: bool = False) -> Registries:
    """Load rules/departments.toml (the default registry) and every rules/registries/*.toml after it.

    Department keys must be unique across all of them (RegistryError names the clashes), so that a key in a
    duty id, an account or a reminder never means two departments.
    """
    paths = [rules_dir / "departments.toml", *sorted((rules_dir / "registries").glob("*.toml"))]
    members = []
    for path in paths:
        registry = Registry.from_data(_read_toml(path, _registry_error(path)))
        if demo_contacts and path.name == "departments.toml":
            registry = registry.with_contacts(
                _read_toml(
                    rules_dir / "demo-contacts.toml", _registry_error(rules_dir / "demo-contacts.toml")
                )
            )
        members.append(registry)
    ids = [r.info.id for r in members]
    if len(set(ids)) != len(ids):
        raise RegistryError(
            f"{rules_dir}：名录 id 重复：{'、'.join(sorted({i for i in ids if ids.count(i) > 1}))}"
        )
    return Registries.of(members)


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
    from engine.domain.intake.catalogue import catalogue_data

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


def write_catalogue(catalogue: Catalogue, path: Path, registry: Registry, *, force: bool = False) -> Path:
    """Write a catalogue atomically (a temporary file, then a rename); never overwrite one unless forced."""
    if path.exists() and not force:
        raise CatalogueExists(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, catalogue_toml(catalogue, registry).encode("utf-8"))
    return path


def load_catalogue(path: Path, registry: Registry, calendar: WorkCalendar) -> Catalogue:
    """Load and validate a catalogue; raise CatalogueError listing every problem found."""
    from engine.domain.intake.catalogue import read_catalogue

    data = _read_toml(path, lambda problem: CatalogueError(str(path), [problem]))
    return read_catalogue(data, registry, calendar, source=str(path))
