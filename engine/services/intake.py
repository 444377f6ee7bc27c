"""Read a notice and find its duties."""

from __future__ import annotations

from engine.domain.departments import Registry
from engine.domain.intake.duties import Intake, extract
from engine.domain.intake.notice import parse
from engine.domain.workdays import WorkCalendar


def intake(text: str, *, registry: Registry, calendar: WorkCalendar, source: str = "<text>") -> Intake:
    """Read a notice's text and find its duties; raise NoticeParseError when it is not one."""
    notice = parse(text, registry=registry, source=source)
    return extract(notice, registry=registry, calendar=calendar)
