"""Read a notice and find its duties."""

from __future__ import annotations

from engine.departments import Registry
from engine.duties import Intake, extract
from engine.notice import parse
from engine.workdays import WorkCalendar


def intake(text: str, *, registry: Registry, calendar: WorkCalendar, source: str = "<text>") -> Intake:
    """Read a notice's text and find its duties; raise NoticeParseError when it is not one."""
    notice = parse(text, registry=registry, source=source)
    return extract(notice, registry=registry, calendar=calendar)
