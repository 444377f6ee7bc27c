"""The reminder verbs as people run them: what will be sent, one tick into the outbox, and the outbox."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.test_cli_workflow import SAMPLE, run


def test_reminders_are_listed_then_sent_into_the_outbox_once(
    data: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BANFA_DEMO_CONTACTS", "true")  # the registry's own contacts have no addresses yet
    assert run(data, "start", SAMPLE, "--as", "zhang", "--now", "2007-09-11T09:30").returncode == 0
    listed = run(data, "reminders", "list", "--duty", SAMPLE, "--due-before", "2007-11-15")
    assert listed.returncode == 0, listed.stderr
    assert (
        "2007-11-05 09:00" in listed.stdout
        and "起草节点提醒" in listed.stdout
        and "市财政局承办人" in listed.stdout
    )
    count = int(listed.stdout.rsplit("共 ", 1)[1].split(" 条")[0])
    # 10, 5 and 3 working days before the drafting milestone (11-19), 10 before the consultation's (11-28)
    assert count == 4 and listed.stdout.count("起草节点提醒") == 3

    sent = run(data, "reminders", "send-due", "--now", "2007-11-05T09:00")
    assert sent.returncode == 0, sent.stderr
    assert "发出邮件 2 封" in sent.stdout  # the reminder and the week's digest
    again = run(data, "reminders", "send-due", "--now", "2007-11-05T09:05")
    assert "发出邮件 0 封" in again.stdout

    files = sorted((data / "outbox").glob("*.eml"))
    assert len(files) == 2
    messages = [
        email.message_from_bytes(f.read_bytes(), _class=EmailMessage, policy=email.policy.default)
        for f in files
    ]
    kinds = sorted(str(m["X-Banfa-Kind"]) for m in messages)
    assert kinds == ["before:drafting", "digest"]
    outbox = run(data, "outbox")
    assert outbox.returncode == 0 and "共 2 封" in outbox.stdout and "每周汇总" in outbox.stdout


def test_a_reminder_to_a_contact_without_an_address_fails_and_says_why(data: Path) -> None:
    assert run(data, "start", SAMPLE, "--as", "zhang", "--now", "2007-09-11T09:30").returncode == 0
    sent = run(data, "reminders", "send-due", "--now", "2007-11-05T09:00")
    assert sent.returncode == 0 and "失败 2 条" in sent.stdout
    assert "caizheng:officer 没有电子邮件地址" in sent.stdout and "maogong:liaison" in sent.stdout
    assert not list((data / "outbox").glob("*.eml"))
    assert "发出邮件 0 封" in run(data, "reminders", "send-due", "--now", "2007-11-05T10:00").stdout


def test_a_tick_on_a_day_off_sends_nothing(data: Path) -> None:
    assert run(data, "start", SAMPLE, "--as", "zhang", "--now", "2007-09-11T09:30").returncode == 0
    holiday = run(data, "reminders", "send-due", "--now", "2007-10-03T09:00")
    early = run(data, "reminders", "send-due", "--now", "2007-09-12T08:59")
    assert "发出邮件 0 封" in holiday.stdout and "发出邮件 0 封" in early.stdout
    assert not list((data / "outbox").glob("*.eml"))


def test_a_bad_date_is_refused_as_usage(data: Path) -> None:
    result = run(data, "reminders", "list", "--due-before", "next week")
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr


@pytest.mark.slow
def test_the_demo_replays_the_reminders_of_2007_into_its_outbox(tmp_path: Path) -> None:
    from tests.e2e.test_cli import banfa

    folder = tmp_path / "demo"
    result = banfa("demo", "--data-dir", folder)
    assert result.returncode == 0, result.stderr[-2000:]
    files = sorted((folder / "outbox").glob("*.eml"))
    assert files and f"提醒和每周汇总邮件 {len(files)} 封" in result.stdout
    messages = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    dates = {m["Date"].datetime.date() for m in messages}
    assert all(d.year == 2007 for d in dates)
    assert not [d for d in dates if d.month == 10 and d.day <= 7]
    assert {str(m["X-Banfa-Kind"]) for m in messages} >= {"digest", "reply-due"}
