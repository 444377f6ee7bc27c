"""Match intake's drafting duties against a hand-labelled answer key (tests/notices/*.expected.toml).

Kept apart from the tests so a person can run it on a new notice and read the differences.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.adapters.rules import read_notice
from engine.domain.departments import Registry
from engine.domain.intake.duties import Intake
from engine.domain.intake.specs import DutySpec
from engine.domain.workdays import WorkCalendar
from engine.services.intake import intake

NOTICES = Path(__file__).resolve().parent.parent / "notices"


@dataclass
class Comparison:
    name: str
    result: Intake
    registry: Registry
    expected: dict[str, Any]
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    missing: list[dict[str, Any]] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    extra: list[DutySpec] = field(default_factory=list)


def corpus_names() -> list[str]:
    return sorted(p.name.removesuffix(".expected.toml") for p in NOTICES.glob("*.expected.toml"))


def load_case(name: str) -> tuple[dict[str, Any], Registry, Path]:
    expected = tomllib.loads((NOTICES / f"{name}.expected.toml").read_text("utf-8"))
    registry_name = expected.get("registry", name)
    registry = Registry.from_data(
        tomllib.loads((NOTICES / f"{registry_name}.registry.toml").read_text("utf-8"))
    )
    return expected, registry, NOTICES / f"{name}.txt"


def compare(name: str, calendar: WorkCalendar | None = None) -> Comparison:
    expected, registry, path = load_case(name)
    result = intake(
        read_notice(path), registry=registry, calendar=calendar or WorkCalendar(), source=str(path)
    )
    cmp = Comparison(name, result, registry, expected)
    cmp.calendar = calendar or WorkCalendar()
    unmatched = list(result.drafting)
    for want in expected.get("duty", []):
        found = next((d for d in unmatched if _same_duty(d, want, registry)), None)
        if found is None:
            if not want.get("optional"):
                cmp.missing.append(want)
            continue
        unmatched.remove(found)
        cmp.wrong += _differences(found, want, registry, cmp.calendar)
    cmp.extra = unmatched
    return cmp


def _lead_name(duty: DutySpec, registry: Registry) -> str | None:
    return registry.get(duty.lead).name if duty.lead else duty.lead_as_written


def _same_duty(duty: DutySpec, want: dict[str, Any], registry: Registry) -> bool:
    return _lead_name(duty, registry) == want["lead"] and want["document"] in (duty.document or "")


def _differences(
    duty: DutySpec, want: dict[str, Any], registry: Registry, calendar: WorkCalendar
) -> list[str]:
    """List how a found duty differs from the key.

    The key gives calendar dates; a period such as 三个月内 that ends on a day off moves to the next working day
    (domain.md §4), so that date is accepted too.
    """
    if "deadline" in want and duty.deadline == calendar.on_or_after(want["deadline"]):
        want = {**want, "deadline": duty.deadline}
    got = {
        "co_departments": [registry.get(k).name for k in duty.co_departments],
        "co_open": duty.co_open,
        "kind": duty.kind,
        "basis": list(duty.basis),
        "deadline": duty.deadline,
        "recurring": duty.recurring,
    }
    out = []
    for key, value in got.items():
        if key in want and want[key] != value and not (key == "recurring" and not want[key] and not value):
            out.append(
                f"{duty.location} {want['lead']} {want['document']}: {key} = {value!r}, expected {want[key]!r}"
            )
        elif key in ("deadline", "recurring") and key not in want and value:
            out.append(f"{duty.location} {want['lead']}: {key} = {value!r}, expected none")
    return out


def notice_differences(cmp: Comparison) -> list[str]:
    want = cmp.expected["notice"]
    n = cmp.result.notice
    got: dict[str, Any] = {"title": n.title, "number": n.number, "issuer": n.issuer, "date": n.date}
    out = [f"notice.{k} = {got[k]!r}, expected {want[k]!r}" for k in got if k in want and want[k] != got[k]]
    deadline: dt.date | None = cmp.result.deadline.date if cmp.result.deadline else None
    if want.get("deadline") != deadline:
        out.append(f"notice deadline = {deadline!r}, expected {want.get('deadline')!r}")
    return out
