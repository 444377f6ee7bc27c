"""Send the reminders that are due, once each, and the weekly digest; list what will be sent.

One tick (`send_due`) at `now`:
1. Claims that were never confirmed within the lease become uncertain: the mail may have gone, so it is never
   sent again by itself; the next digest lists it.
2. On a working day from the policy's hour: overdue duties get today's reminder planned; each notice gets its
   digest for the week; reminders more than `fold_after` working days late are folded into the digest.
3. The due reminders, grouped by recipient and duty (one mail for each group), are claimed a chunk at a time,
   handed to one transport session, and settled: sent, deferred with backoff (the server was down or said
   "later"), failed (no address, or the server said no for good) or uncertain.

A crash between the server taking a mail and the commit leaves the chunk claimed; the next tick after the
lease marks it uncertain. Nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from engine.domain.ports import MailSession, MailTransport, Outgoing, Ports, StoredReminder
from engine.domain.reminders.mail import Mail
from engine.domain.reminders.planner import Kind, Reminder, days_late, digest_reminder, digest_week
from engine.domain.workflow.model import SHANGHAI, local_date
from engine.errors import MailRejected, MailUnavailable, MailUncertain, RegistryError, TemplateError
from engine.services.reminders.composing import mails_for
from engine.services.reminders.planning import changes, replan

CHUNK = 100  # mails per claim and per commit: at most this many become uncertain if the process dies


@dataclass(frozen=True)
class Mailing:
    """How mail leaves: the transport, the composer, the portal's address for links."""

    transport: MailTransport
    compose: Callable[[Mail, tuple[str, ...]], Outgoing]
    portal_url: str
    domain: str = "banfa.local"


@dataclass
class TickReport:
    """What one tick did, counted in mails (`sent`) and in reminders (the rest)."""

    sent: int = 0
    reminders: int = 0
    deferred: int = 0
    uncertain: int = 0
    folded: int = 0
    failed: int = 0
    digests: int = 0
    error: str = ""
    problems: list[str] = field(default_factory=list)  # why reminders failed, each reason once


def send_moment(day: dt.date, ports: Ports) -> dt.datetime:
    return dt.datetime.combine(day, ports.reminders.send_at, tzinfo=SHANGHAI)


def sending_hours(now: dt.datetime, ports: Ports) -> bool:
    """Mail goes out on working days from the policy's hour, Asia/Shanghai."""
    today = local_date(now)
    return ports.calendar.is_workday(today) and now >= send_moment(today, ports)


def plan_all(now: dt.datetime, *, ports: Ports) -> int:
    """Plan again every duty's reminders (after a policy change, or for a database planned by nothing).

    One transaction; a notice at a time, with its duties, their stored statuses and their new rows read or
    written in bulk, so that memory holds one notice's worth.
    """
    p, planned = ports, 0
    with ports.uow() as uow:
        for notice in uow.notices.list():
            stored = uow.reminders.notice_statuses(notice.id)
            added: list[Reminder] = []
            cancelled: list[str] = []
            for duty in uow.duties.list(notice.id):
                new, gone = changes(
                    duty, stored.get(duty.id, {}), now, calendar=p.calendar, plan=p.plan, policy=p.reminders
                )
                added += new
                cancelled += gone
            uow.reminders.add(added, now)
            uow.reminders.cancel(cancelled)
            planned += len(added)
        uow.commit()
    return planned


def list_reminders(
    *, ports: Ports, duty: str | None = None, due_before: dt.date | None = None
) -> list[StoredReminder]:
    with ports.uow() as uow:
        return uow.reminders.list(subject=duty, due_before=due_before)


def send_due(now: dt.datetime, *, ports: Ports, mailing: Mailing, chunk: int = CHUNK) -> TickReport:
    """Run one tick at `now`; see the module's docstring."""
    report = TickReport()
    lease = dt.timedelta(seconds=ports.reminders.claim_lease_seconds)
    with ports.uow() as uow:
        report.uncertain += len(uow.reminders.expire_claims(now - lease))
        uow.commit()
    if not sending_hours(now, ports):
        return report
    today = local_date(now)
    _top_up_overdue(today, now, ports)
    _plan_digests(today, now, ports)
    with ports.uow() as uow:
        due = uow.reminders.due(today, now)
        late = [
            s.key
            for s in due
            if s.reminder.kind is not Kind.DIGEST
            and days_late(s.reminder.send_on, today, ports.calendar) > ports.reminders.fold_after
        ]
        uow.reminders.settle(late, "folded", now, error="逾期未发出，已并入每周汇总")
        uow.commit()
    report.folded = len(late)
    folded = set(late)
    groups = _groups([s for s in due if s.key not in folded])
    if not groups:
        return report
    try:
        with mailing.transport.session() as session:
            for start in range(0, len(groups), chunk):
                if not _send_chunk(groups[start : start + chunk], now, ports, mailing, session, report):
                    _defer([k for g in groups[start + chunk :] for k in g], now, ports, report.error)
                    report.deferred += sum(len(g) for g in groups[start + chunk :])
                    break
    except MailUnavailable as exc:
        report.error = str(exc)
        unsent = [k for g in groups for k in g]
        _defer(unsent, now, ports, str(exc))
        report.deferred += len(unsent)
    return report


def _groups(due: Iterable[StoredReminder]) -> list[list[str]]:
    """Keys grouped by (recipient, subject): each group is one mail. Digests stay alone."""
    groups: dict[tuple[str, str], list[str]] = {}
    for s in due:
        r = s.reminder
        groups.setdefault((r.to, r.subject if r.kind is not Kind.DIGEST else r.key), []).append(s.key)
    return list(groups.values())


def _defer(keys: list[str], now: dt.datetime, ports: Ports, error: str) -> None:
    if not keys:
        return
    with ports.uow() as uow:
        uow.reminders.defer(keys, error, now, ports.reminders.retry_seconds)
        uow.commit()


def _top_up_overdue(today: dt.date, now: dt.datetime, ports: Ports) -> None:
    """Plan today's overdue reminders for duties that became (or stayed) overdue without any change."""
    with ports.uow() as uow:
        for duty_id in uow.reminders.overdue_without(today):
            replan(uow, uow.duties.get(duty_id), now, ports=ports)
        uow.commit()


def _plan_digests(today: dt.date, now: dt.datetime, ports: Ports) -> None:
    """Plan this week's digest of every notice with a coordinating office, once its first working day came."""
    week = digest_week(today, ports.calendar)
    if week is None or week > today:
        return
    with ports.uow() as uow:
        for notice in uow.notices.list():
            office = notice.coordinator.department
            if office is None:
                continue
            digest = digest_reminder(notice.id, office, week, ports.reminders)
            if digest.key not in uow.reminders.statuses(notice.id):
                uow.reminders.add([digest], now)
        uow.commit()


Outcome = tuple[list[str], str, dict[str, str]]  # the keys of one mail, what became of them, and the details


def _send_chunk(
    keys: list[list[str]],
    now: dt.datetime,
    ports: Ports,
    mailing: Mailing,
    session: MailSession,
    report: TickReport,
) -> bool:
    """Claim, send and settle one chunk of mails; False when the session broke and the rest must wait.

    One thread hands mails to the server while this one composes the next, so that rendering overlaps the
    server's replies; the chunk is settled only once every mail of it has been handed over or given up.
    """
    token = secrets.token_hex(8)
    with ports.uow() as uow:
        claimed = {s.key: s for s in uow.reminders.claim([k for g in keys for k in g], token, now)}
        groups = [[claimed[k] for k in g if k in claimed] for g in keys]
        groups = [g for g in groups if g]
        contents = mails_for(groups, now, ports, mailing, uow)
        uow.commit()
    broken = threading.Event()

    def hand(group_keys: list[str], mail: Outgoing) -> Outcome:
        if broken.is_set():  # the session broke on an earlier mail: this one was never offered
            return group_keys, "defer", {"error": report.error}
        outcome = _hand_over(group_keys, mail, session, report)
        if outcome[1] in ("uncertain", "defer"):
            broken.set()
        return outcome

    with ThreadPoolExecutor(1) as sender:
        pending: list[Future[Outcome]] = []
        for group, content in zip(groups, contents, strict=True):
            group_keys = [s.key for s in group]
            if isinstance(content, str):
                pending.append(_settled((group_keys, "failed", {"error": content})))
                continue
            try:
                mail = mailing.compose(content, tuple(group_keys))
            except (TemplateError, RegistryError) as exc:  # a template or a contact that cannot make a mail
                # fails alone: nothing was offered, and the rest of the chunk goes on
                pending.append(_settled((group_keys, "failed", {"error": str(exc)})))
                continue
            pending.append(sender.submit(hand, group_keys, mail))
        outcomes = [f.result() for f in pending]
    _settle(outcomes, now, ports, report)
    return not broken.is_set()


def _settled(outcome: Outcome) -> Future[Outcome]:
    future: Future[Outcome] = Future()
    future.set_result(outcome)
    return future


def _hand_over(keys: list[str], mail: Outgoing, session: MailSession, report: TickReport) -> Outcome:
    """Offer one mail; a rejection for good fails it, a temporary one defers it (the session stays usable)."""
    try:
        session.send(mail)
    except MailRejected as exc:
        return keys, "failed" if exc.permanent else "retry", {"error": str(exc)}
    except MailUncertain as exc:
        report.error = str(exc)
        return keys, "uncertain", {"error": str(exc)}
    except MailUnavailable as exc:
        report.error = str(exc)
        return keys, "defer", {"error": str(exc)}
    fields = {
        "message_id": mail.message_id,
        "addresses": ", ".join(mail.recipients),
        "reported": mail.reported,
    }
    return keys, "sent", fields


def _settle(
    outcomes: list[tuple[list[str], str, dict[str, str]]], now: dt.datetime, ports: Ports, report: TickReport
) -> None:
    deferred: list[str] = []
    sent: list[tuple[list[str], str, str]] = []
    with ports.uow() as uow:
        for keys, status, fields in outcomes:
            if status in ("defer", "retry"):
                deferred += keys
                continue
            reported = fields.pop("reported", "").split()
            if status == "sent":
                sent.append((keys, fields["message_id"], fields["addresses"]))
                report.sent += 1
                report.reminders += len(keys)
                if keys[0].startswith("digest:"):
                    report.digests += 1
                    uow.reminders.report(reported, keys[0])
                continue
            uow.reminders.settle(keys, status, now, **fields)
            if status == "uncertain":
                report.uncertain += len(keys)
            else:
                report.failed += len(keys)
                if fields["error"] not in report.problems:
                    report.problems.append(fields["error"])
        uow.reminders.record_sent(sent, now)
        uow.commit()
    _defer(deferred, now, ports, report.error or "稍后重试")
    report.deferred += len(deferred)
