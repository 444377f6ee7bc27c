"""Read a notice and find its duties."""

from __future__ import annotations

from engine.domain.departments import Registry
from engine.domain.intake.duties import Intake, extract
from engine.domain.intake.notice import parse
from engine.domain.workdays import WorkCalendar
from engine.errors import DuplicateDuties


def intake(text: str, *, registry: Registry, calendar: WorkCalendar, source: str = "<text>") -> Intake:
    """Read a notice's text and find its duties; raise NoticeParseError when it is not one."""
    notice = parse(text, registry=registry, source=source)
    try:
        result = extract(notice, registry=registry, calendar=calendar)
    except DuplicateDuties as exc:
        raise DuplicateDuties(source, exc.ids) from None
    return result if result.registry else _named(result, registry)


def _named(result: Intake, registry: Registry) -> Intake:
    from dataclasses import replace

    return replace(result, registry=registry.info.id)
