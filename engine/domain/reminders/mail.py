"""What a mail says, as plain data: its template and context, its people, its headers and its calendar file.

The MIME adapter (engine.adapters.mail.mime) renders a Mail; nothing here knows about MIME or SMTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Address:
    name: str
    email: str


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day event of the .ics file the first reminder for a duty carries."""

    uid: str
    day: dt.date
    summary: str


@dataclass(frozen=True)
class Mail:
    """One mail to render: a template and its context, the recipients, the Banfa headers and the time."""

    template: str  # "reminder" or "digest": <template>.j2 and <template>-subject.j2
    context: Mapping[str, Any]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    headers: tuple[tuple[str, str], ...]
    date: dt.datetime
    message_id: str
    events: tuple[CalendarEvent, ...] = ()
