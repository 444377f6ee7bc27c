"""Render a Mail as a MIME message: a Chinese subject in RFC 2047, a UTF-8 text body, an optional .ics file.

An adapter: the wording comes from `<templates>/mail/*.j2` (Jinja2, StrictUndefined), the calendar file from
icalendar, and the message from the standard library's `email` package (CRLF lines, headers encoded as the
RFCs say).
"""

from __future__ import annotations

import datetime as dt
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import Any

import icalendar

from engine.adapters.wording import JinjaWording, wording
from engine.domain.ports import Outgoing
from engine.domain.reminders.mail import Address, CalendarEvent, Mail
from engine.errors import RegistryError


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


class MimeComposer:
    """Turn each Mail into an Outgoing message from one sender.

    Built with the `compat32` MIME classes and `email.header.Header`: the Chinese subject and names become
    RFC 2047 encoded-words and the body base64 UTF-8, without the modern policy's parsing of every header,
    which cost ten times as much per mail.
    """

    def __init__(self, templates: Path, sender: Address) -> None:
        self.wording: JinjaWording = wording(templates / "mail")
        self.sender = sender
        self._from = _encoded(sender)

    def subject(self, content: Mail) -> str:
        return " ".join(self.wording.render(f"{content.template}-subject", content.context).split())

    def body(self, content: Mail) -> str:
        return self.wording.render(content.template, content.context)

    def compose(self, content: Mail, keys: tuple[str, ...]) -> Outgoing:
        text = MIMEText(self.body(content), "plain", "utf-8")
        message: Message = text
        if content.events:
            message = MIMEMultipart("mixed")
            message.attach(text)
            ics = MIMEText(calendar_file(content.events).decode("utf-8"), "calendar", "utf-8")
            ics.set_param("method", "PUBLISH")
            ics.add_header("Content-Disposition", "attachment", filename="milestones.ics")
            message.attach(ics)
        message["Subject"] = Header(self.subject(content), "utf-8")  # type: ignore[assignment]  # compat32 takes it
        message["From"] = self._from
        message["To"] = ", ".join(map(_checked, content.to))
        if content.cc:
            message["Cc"] = ", ".join(map(_checked, content.cc))
        message["Date"] = format_datetime(content.date)
        message["Message-ID"] = content.message_id
        for name, value in content.headers:
            message[name] = value
        data = message.as_bytes(policy=_WIRE)
        recipients = tuple(a.email for a in (*content.to, *content.cc))
        reported = dict(content.headers).get("X-Banfa-Reported", "")
        return Outgoing(
            content.message_id, self.sender.email, recipients, data, keys, content.date.date(), reported
        )


class _Wire(Compat32):
    """compat32 with CRLF lines that writes an ASCII header as it is when it fits on one line.

    Every header Banfa sets is already encoded (the names by `formataddr`, the subject by `Header`), and
    running each through `Header` again to fold it cost most of a mail's composing. RFC 5322 allows lines of
    998 characters; a longer one is folded as compat32 folds it.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and value.isascii() and len(name) + len(value) < 990 and "\n" not in value:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _Wire(linesep="\r\n")


def _checked(a: Address) -> str:
    """The address for a header, or RegistryError naming the contact when it cannot go into a mail: an
    internationalised address (SMTPUTF8 is not assumed of an office's relay) or a line break in it."""
    if not a.email.isascii() or any(c in a.email for c in "\r\n"):
        raise RegistryError(f"联系人“{a.name}”的电子邮件地址 {a.email!r} 无法用于发信（只支持 ASCII 地址）")
    return _encoded(a)


@lru_cache(maxsize=4096)
def _encoded(a: Address) -> str:
    """`名称 <address>` with the name as an RFC 2047 encoded-word; departments repeat, so it is cached."""
    return formataddr((" ".join(a.name.split()), a.email), charset="utf-8")  # a name's line break is a space
