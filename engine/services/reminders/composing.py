"""Say what each mail says: a Mail for each group of reminders (one recipient, one duty) and for a digest.

Addresses come from the registry's contacts (`<department>:<role>`); a group whose recipient has no address
gets the reason instead of a Mail, and is recorded as failed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from engine.domain.departments import Role
from engine.domain.ports import DutyFacts, StoredReminder, UnitOfWork
from engine.domain.reminders.mail import Address, CalendarEvent, Mail
from engine.domain.reminders.planner import Kind, Reminder, stage_slug, working_days_left
from engine.domain.workflow.milestones import Stage
from engine.domain.workflow.model import SHANGHAI, local_date
from engine.errors import UnknownDepartment
from engine.services.reminders.digest import digest_context

if TYPE_CHECKING:
    from engine.domain.ports import Ports
    from engine.services.reminders.sending import Mailing

# What a mail calls each `about` of a reminder: the stage's own name, and a few of its own.
STAGE_NAMES = {stage_slug(s): s.value for s in Stage} | {
    "revision": "修改送审",
    "deadline": "完成期限",
    "filing": "备案",
}


def _contact(party: str, ports: Ports) -> Address | None:
    """The address of `<department>:<role>`, or None when the registry has no e-mail for it."""
    key, _, role = party.partition(":")
    try:
        department = ports.registry.get(key)
        contact = department.contact(Role(role))
    except (UnknownDepartment, ValueError):
        return None
    if contact is None or not contact.email:
        return None
    return Address(contact.name or f"{department.display}{Role(role).label}", contact.email)


def message_id(keys: list[str], domain: str) -> str:
    """The same reminders always make the same Message-ID, so a receiving system can tell a repeat."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def mails_for(
    groups: list[list[StoredReminder]], now: dt.datetime, ports: Ports, mailing: Mailing, uow: UnitOfWork
) -> list[Mail | str]:
    """A Mail for each group, or the reason it cannot be sent."""
    log = uow.reminders
    subjects = sorted({g[0].reminder.subject for g in groups})
    facts: dict[str, DutyFacts] = log.facts(subjects)
    ahead: dict[str, list[tuple[str, dt.date]]] = log.milestones(subjects)
    mailed: set[tuple[str, str]] = log.mailed([(g[0].reminder.subject, g[0].reminder.to) for g in groups])
    mails: list[Mail | str] = []
    for group in groups:
        first = group[0].reminder
        to = _contact(first.to, ports)
        if to is None:
            mails.append(f"收件人 {first.to} 没有电子邮件地址（请在部门名录中填写）")
            continue
        if first.kind is Kind.DIGEST:
            mails.append(_digest_mail(first, to, now, ports, mailing, uow))
            continue
        fact = facts.get(first.subject)
        if fact is None:
            mails.append(f"任务 {first.subject} 不存在")
            continue
        fresh = (first.subject, first.to) not in mailed
        mails.append(_reminder_mail(group, fact, ahead.get(fact.id, []), to, fresh, now, ports, mailing))
    return mails


def _reminder_mail(
    group: list[StoredReminder],
    fact: DutyFacts,
    ahead: list[tuple[str, dt.date]],
    to: Address,
    fresh: bool,
    now: dt.datetime,
    ports: Ports,
    mailing: Mailing,
) -> Mail:
    today = local_date(now)
    rows = sorted((s.reminder for s in group), key=lambda r: (r.kind.urgency, r.due, r.key))
    primary = rows[0]
    cc = tuple(a for a in {_contact(r.cc, ports) for r in rows if r.cc} if a is not None)
    items = [_item(r, today, ports) for r in rows]
    lead = ports.registry.display_of(fact.lead) if fact.lead else ""
    context = {
        "duty": {
            "id": fact.id,
            "title": fact.title,
            "lead": lead,
            "state": fact.state,
            "deadline": fact.deadline,
        },
        "recipient": to.name,
        "items": items,
        "primary": items[0],
        "today": today,
        "link": f"{mailing.portal_url.rstrip('/')}/duties/{fact.id}",
        "milestones": [{"name": STAGE_NAMES.get(a, a), "day": d} for a, d in ahead],
        "escalated": bool(cc),
    }
    keys = [r.key for r in rows]
    headers = (
        ("X-Banfa-Duty", fact.id),
        ("X-Banfa-Kind", primary.kind.value),
        ("X-Banfa-Due", primary.due.isoformat()),
        ("X-Banfa-Key", " ".join(keys)),
    )
    events: tuple[CalendarEvent, ...] = ()
    if fresh and primary.kind is not Kind.REPLY_DUE and ahead:
        events = tuple(
            CalendarEvent(
                f"{fact.id}-{a}-{d.isoformat()}@{mailing.domain}", d, f"{fact.title}：{STAGE_NAMES.get(a, a)}"
            )
            for a, d in ahead
        )
    moment = now.astimezone(SHANGHAI)
    return Mail("reminder", context, (to,), cc, headers, moment, message_id(keys, mailing.domain), events)


def _item(r: Reminder, today: dt.date, ports: Ports) -> dict[str, object]:
    about = STAGE_NAMES.get(r.about, r.about)
    if r.kind is Kind.REPLY_DUE:
        consultee = r.about.partition("-")[2]
        about = ports.registry.display_of(consultee)
    return {
        "key": r.key,
        "kind": r.kind.value,
        "about": about,
        "due": r.due,
        "left": working_days_left(today, r.due, ports.calendar),
        "overdue_day": int(r.about) if r.kind is Kind.OVERDUE and r.about.isdigit() else 0,
    }


def _digest_mail(
    digest: Reminder, to: Address, now: dt.datetime, ports: Ports, mailing: Mailing, uow: UnitOfWork
) -> Mail:
    context, reported = digest_context(digest, now, ports, uow, mailing.portal_url)
    headers: tuple[tuple[str, str], ...] = (
        ("X-Banfa-Duty", digest.subject),
        ("X-Banfa-Kind", Kind.DIGEST.value),
        ("X-Banfa-Due", digest.due.isoformat()),
        ("X-Banfa-Key", digest.key),
    )
    if reported:  # the reminders the digest lists, so that the next one does not list them again
        headers += (("X-Banfa-Reported", " ".join(reported)),)
    moment = now.astimezone(SHANGHAI)
    return Mail("digest", context, (to,), (), headers, moment, message_id([digest.key], mailing.domain))
