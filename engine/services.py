"""Banfa's use cases, one function each; entrypoints call these and nothing below them.

Services take their ports as keyword-only arguments and return small frozen values. This first set covers
intake; the workflow services join when the database does.
"""

from __future__ import annotations

from engine.departments import Registry
from engine.duties import Intake, extract
from engine.notice import parse
from engine.workdays import WorkCalendar


def intake(text: str, *, registry: Registry, calendar: WorkCalendar, source: str = "<text>") -> Intake:
    """Read a notice's text and find its duties; raise NoticeParseError when it is not a notice."""
    notice = parse(text, registry=registry, source=source)
    return extract(notice, registry=registry, calendar=calendar)
