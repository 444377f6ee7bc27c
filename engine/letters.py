"""Render a Letter as a MIME message: a Chinese subject in RFC 2047, a UTF-8 text body, an optional .ics file.

An adapter: the wording comes from `<templates>/mail/*.j2` (Jinja2, StrictUndefined), the calendar file from
icalendar, and the message from the standard library's `email` package with the SMTP policy (CRLF lines,
headers folded and encoded as the RFCs say).
"""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address as MailAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

import icalendar

from engine.drafting.wording import JinjaWording, wording
from engine.ports import Outgoing
from engine.reminders import Address, CalendarEvent, Letter


def _address(a: Address) -> MailAddress:
    local, _, domain = a.email.partition("@")
    return MailAddress(display_name=a.name, username=local, domain=domain)


def calendar_file(events: tuple[CalendarEvent, ...]) -> bytes:
    """An iCalendar file of all-day events (the duty's milestones)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Banfa//banfa//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    for e in events:
        event = icalendar.Event()
        event.add("uid", e.uid)
        event.add("summary", e.summary)
        event.add("dtstart", e.day)
        event.add("dtend", e.day + dt.timedelta(days=1))
        event.add("dtstamp", dt.datetime.combine(e.day, dt.time(), tzinfo=dt.UTC))
        cal.add_component(event)
    return bytes(cal.to_ical())


class LetterComposer:
    """Turn Letters into Outgoing mails from one sender."""

    def __init__(self, templates: Path, sender: Address) -> None:
        self.wording: JinjaWording = wording(templates / "mail")
        self.sender = sender

    def subject(self, letter: Letter) -> str:
        return " ".join(self.wording.render(f"{letter.template}-subject", letter.context).split())

    def body(self, letter: Letter) -> str:
        return self.wording.render(letter.template, letter.context)

    def compose(self, letter: Letter, keys: tuple[str, ...]) -> Outgoing:
        message = EmailMessage(policy=SMTP)
        message["Subject"] = self.subject(letter)
        message["From"] = _address(self.sender)
        message["To"] = [_address(a) for a in letter.to]
        if letter.cc:
            message["Cc"] = [_address(a) for a in letter.cc]
        message["Date"] = format_datetime(letter.date)
        message["Message-ID"] = letter.message_id
        for name, value in letter.headers:
            message[name] = value
        message.set_content(self.body(letter), charset="utf-8", cte="base64")
        if letter.events:
            message.add_attachment(
                calendar_file(letter.events).decode("utf-8"),
                subtype="calendar",
                charset="utf-8",
                cte="base64",
                filename="milestones.ics",
                params={"method": "PUBLISH"},
            )
        recipients = tuple(a.email for a in (*letter.to, *letter.cc))
        return Outgoing(
            letter.message_id, self.sender.email, recipients, message.as_bytes(), keys, letter.date.date()
        )
