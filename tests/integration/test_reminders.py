"""Reminders end to end: planned rows on a real database, mail through a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from engine.bootstrap import Workflow, mailing_for
from engine.config import Settings
from engine.domain.ports import StoredReminder
from engine.domain.reminders.planner import Kind, days_late, digest_reminder
from engine.domain.workflow.milestones import Stage
from engine.entrypoints.scheduler import Jobs
from engine.services import workflow as wf
from engine.services.reminders.sending import TickReport, send_due
from tests.support.mailbox import SmtpServer
from tests.support.workflows import SAMPLE, SHANGHAI, at

OFFICER = "caizheng.officer@example.org"
LEADER = "caizheng.leader@example.org"
CONSULTEE = "maogong.liaison@example.org"


def nine(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)


def tick(workflow: Workflow, settings: Settings, now: dt.datetime) -> TickReport:
    """What the scheduler does at `now`: close ended windows, then send what is due."""
    return Jobs(workflow, mailing_for(settings), lambda: now, lambda line: None).tick()


def rows(workflow: Workflow, **kw: object) -> list[StoredReminder]:
    with workflow.ports.uow() as uow:
        return uow.reminders.list(pending_only=False, **kw)  # type: ignore[arg-type]


def days(start: str, end: str) -> Iterator[dt.date]:
    day, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def local_day(message: object) -> dt.datetime:
    return message["Date"].datetime.astimezone(SHANGHAI)  # type: ignore[index,no-any-return]


def test_a_duty_left_in_revision_is_reminded_over_2007_on_working_days_only(
    wired: tuple[Workflow, Settings], smtp: SmtpServer
) -> None:
    """Started on 9-11, consulted from 9-20 (reply due Saturday 9-29, a 调休 working day), never submitted."""
    workflow, settings = wired
    p, d, calendar = workflow.ports, workflow.dispatcher, workflow.ports.calendar
    script = {
        dt.date(2007, 9, 11): lambda now: wf.start_duty(
            SAMPLE, actor="zhang", now=now, ports=p, dispatcher=d
        ),
        dt.date(2007, 9, 20): lambda now: wf.open_consultation(
            SAMPLE, actor="zhang", now=now, ports=p, dispatcher=d
        ),
    }
    for day in days("2007-09-11", "2008-01-18"):
        tick(workflow, settings, nine(day))
        if day in script:
            script[day](nine(day).replace(hour=10))
    mails = smtp.sink.messages
    sent_days = [local_day(m) for m in mails]
    assert all(moment.time() == dt.time(9) for moment in sent_days)
    assert all(calendar.is_workday(moment.date()) for moment in sent_days)
    assert not [m for m in sent_days if dt.date(2007, 10, 1) <= m.date() <= dt.date(2007, 10, 7)]
    weekend = {m.date() for m in sent_days if m.weekday() >= 5}
    assert weekend and weekend <= {dt.date(2007, 9, 29), dt.date(2007, 9, 30), dt.date(2007, 12, 29)}
    keys = smtp.sink.reminder_keys()
    assert len(keys) == len(set(keys)), "a reminder went out twice"

    # The consultee: 2 working days before the reply is due (9-27), and on the due day, Saturday 9-29.
    to_consultee = sorted(local_day(m).date() for m in mails if m["To"].addresses[0].addr_spec == CONSULTEE)
    digests = [m for m in mails if m["X-Banfa-Kind"] == "digest"]
    reply_days = sorted(local_day(m).date() for m in mails if m["X-Banfa-Kind"] == "reply-due")
    assert reply_days == [dt.date(2007, 9, 27), dt.date(2007, 9, 29)]
    assert len(to_consultee) == len(reply_days) + len(digests)  # the coordinator's liaison gets the digests

    # The officer: 10, 5, 3 and 1 working days before each milestone still ahead, one mail a day; then daily
    # from the first working day after the deadline, with the 分管领导 copied from the fifth.
    with p.uow() as uow:
        duty = uow.duties.get(SAMPLE)
    ahead = {s: day for s, day in duty.milestones(calendar, p.plan).items() if s not in duty.stage_ends()}
    assert set(ahead) == {Stage.REVISION, Stage.REVIEW, Stage.DELIBERATION, Stage.PUBLISH}
    before = {calendar.add_workdays(day, -n) for day in ahead.values() for n in (10, 5, 3, 1)}
    overdue = [day for day in days("2007-12-30", "2008-01-18") if calendar.is_workday(day)]
    to_officer = [m for m in mails if m["To"].addresses[0].addr_spec == OFFICER]
    assert sorted(local_day(m).date() for m in to_officer) == sorted(before | set(overdue))
    copied = sorted(local_day(m).date() for m in to_officer if m["Cc"] and LEADER in str(m["Cc"]))
    assert overdue[0] == dt.date(2008, 1, 2) and copied == overdue[4:]
    assert [m for m in to_officer if m.get_content_type() == "multipart/mixed"] == [to_officer[0]]
    # One digest a week, on the week's first working day (none in the National Day week).
    weeks = {day - dt.timedelta(days=day.weekday()) for day in days("2007-09-11", "2008-01-18")}
    firsts = sorted(calendar.on_or_after(w) for w in weeks if calendar.on_or_after(w) - w < dt.timedelta(7))
    assert firsts[0] == dt.date(2007, 9, 10)
    assert sorted(local_day(m).date() for m in digests) == [dt.date(2007, 9, 11), *firsts[1:]]


def _consulting(workflow: Workflow) -> dt.date:
    """Start the sample duty and open its consultation on 9-20: replies are due on 9-29."""
    p, d = workflow.ports, workflow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-20"), ports=p, dispatcher=d)
    return dt.date(2007, 9, 27)


def test_reminders_wait_while_smtp_is_down_and_go_once_when_it_returns(
    wired: tuple[Workflow, Settings], smtp: SmtpServer
) -> None:
    workflow, settings = wired
    day = _consulting(workflow)
    smtp.stop()
    down = send_due(nine(day), ports=workflow.ports, mailing=mailing_for(settings))
    assert down.sent == 0 and down.deferred >= 2 and "无法连接邮件服务器" in down.error
    waiting = [s for s in rows(workflow) if s.status == "pending" and s.reminder.send_on <= day]
    assert waiting and all(s.attempts == 1 for s in waiting)
    assert all(s.next_try_at == nine(day) + dt.timedelta(seconds=60) for s in waiting)
    soon = send_due(nine(day) + dt.timedelta(seconds=30), ports=workflow.ports, mailing=mailing_for(settings))
    assert (soon.sent, soon.deferred) == (0, 0)  # not before the backoff has passed

    smtp.start()
    up = send_due(nine(day) + dt.timedelta(seconds=61), ports=workflow.ports, mailing=mailing_for(settings))
    again = send_due(
        nine(day) + dt.timedelta(minutes=30), ports=workflow.ports, mailing=mailing_for(settings)
    )
    assert up.reminders == len(waiting) and again.sent == 0
    assert sorted(smtp.sink.reminder_keys()) == sorted(s.key for s in waiting)


def test_a_reminder_late_by_up_to_two_working_days_goes_once_and_older_ones_are_folded_into_the_digest(
    wired: tuple[Workflow, Settings], smtp: SmtpServer
) -> None:
    workflow, settings = wired
    p, calendar = workflow.ports, workflow.ports.calendar
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=workflow.dispatcher)
    officer_days = sorted({s.reminder.send_on for s in rows(workflow) if s.reminder.to == "caizheng:officer"})
    back = calendar.add_workdays(officer_days[4], 2)  # the scheduler was down until then
    report = send_due(nine(back), ports=p, mailing=mailing_for(settings))
    due = [s for s in rows(workflow) if s.reminder.send_on <= back and s.reminder.kind is not Kind.DIGEST]
    late = {s.key for s in due if days_late(s.reminder.send_on, back, calendar) > 2}
    on_time = {s.key for s in due} - late
    assert late and on_time
    assert {s.key for s in rows(workflow) if s.status == "folded"} == late
    assert (
        set(smtp.sink.reminder_keys()) - {k for k in smtp.sink.reminder_keys() if k.startswith("digest:")}
        == on_time
    )
    assert report.folded == len(late)
    assert send_due(nine(back).replace(hour=15), ports=p, mailing=mailing_for(settings)).sent == 0

    # The next digest (here the same morning's: the week's first tick plans it) lists them, and only it does.
    monday = calendar.on_or_after(back + dt.timedelta(days=7 - back.weekday()))
    send_due(nine(monday), ports=p, mailing=mailing_for(settings))
    digests = [m for m in smtp.sink.messages if m["X-Banfa-Kind"] == "digest"]
    reporting = [m for m in digests if m["X-Banfa-Reported"] is not None]
    assert len(digests) == 2 and len(reporting) == 1
    assert set(str(reporting[0]["X-Banfa-Reported"]).split()) == late
    assert "逾期未发出" in reporting[0].get_content()


def test_the_digest_lists_exactly_the_overdue_and_the_at_risk_duties(
    wired: tuple[Workflow, Settings], smtp: SmtpServer
) -> None:
    workflow, settings = wired
    p, d = workflow.ports, workflow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.extend_deadline(
        "sfb2007-129-10-00-1-gongan",
        dt.date(2008, 6, 30),
        "需与上位法衔接",
        actor="office",
        now=at("2007-09-12"),
        ports=p,
    )
    with p.uow() as uow:
        duties = uow.duties.list("sfb2007-129")
    unfinished = {x.id for x in duties}

    def digest_on(day: str) -> dict[str, set[str]]:
        send_due(nine(dt.date.fromisoformat(day)), ports=p, mailing=mailing_for(settings))
        body = [m for m in smtp.sink.messages if m["X-Banfa-Kind"] == "digest"][-1].get_content()
        sections = re.split(r"\n[一二三]、", body)
        ids = [set(re.findall(r"（(sfb2007-129-[^）]+)）", s)) for s in sections[1:3]]
        return {"overdue": ids[0], "at_risk": ids[1]}

    assert digest_on("2007-09-17") == {"overdue": set(), "at_risk": set()}
    extended = "sfb2007-129-10-00-1-gongan"
    assert digest_on("2007-12-17") == {"overdue": set(), "at_risk": unfinished - {extended}}
    assert digest_on("2008-01-07") == {"overdue": unfinished - {extended}, "at_risk": set()}


def test_a_template_that_no_longer_renders_fails_its_reminders_without_sending_or_leaving_a_claim(
    wired: tuple[Workflow, Settings], smtp: SmtpServer, tmp_path: Path
) -> None:
    workflow, settings = wired
    templates = tmp_path / "templates"
    shutil.copytree(settings.templates, templates)
    (templates / "mail" / "reminder.j2").write_text("{{ no_such_field.title }}", "utf-8")
    broken = settings.model_copy(update={"templates_dir": templates})
    day = _consulting(workflow)
    report = send_due(nine(day), ports=workflow.ports, mailing=mailing_for(broken))
    statuses = {s.key: s.status for s in rows(workflow) if s.reminder.send_on <= day}
    reply_due = {k for k in statuses if ":reply-due:" in k}
    assert reply_due and all(statuses[k] == "failed" for k in reply_due)
    assert "no_such_field" in " ".join(report.problems)
    assert [str(m["X-Banfa-Kind"]) for m in smtp.sink.messages] == ["digest"]  # its own template still works


def test_a_reminder_planned_twice_stays_one_row(wired: tuple[Workflow, Settings]) -> None:
    """Two ticks may plan the same digest at once; the second insert keeps the first row instead of failing."""
    workflow, _ = wired
    ports = workflow.ports
    digest = digest_reminder("sfb2007-129", "maogong", dt.date(2007, 9, 24), ports.reminders)
    for _ in range(2):
        with ports.uow() as uow:
            uow.reminders.add([digest, digest], at("2007-09-24", 9))
            uow.commit()
    assert [s.key for s in rows(workflow, subject="sfb2007-129")].count(digest.key) == 1
