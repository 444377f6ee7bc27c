"""Never a duplicate: a sender killed between the server's acceptance and the commit, two senders at once, and
two schedulers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.adapters.sql.scheduler_lock import SchedulerLock
from engine.bootstrap import Workflow, mailing_for
from engine.config import Settings
from engine.services import workflow as wf
from engine.services.reminders.sending import send_due
from tests.support.mailbox import SmtpServer
from tests.support.paths import ROOT
from tests.support.workflows import SHANGHAI, at, workflow_with_people

DAY = dt.datetime(2007, 9, 27, 9, 0, tzinfo=SHANGHAI)  # replies opened on 9-20 are due 9-29: reminded today


def _consult_everywhere(workflow: Workflow) -> None:
    """Start every duty with consultees and open its consultation on 9-20, as the admin."""
    p, d = workflow.ports, workflow.dispatcher
    with p.uow() as uow:
        ids = [x.id for x in uow.duties.list() if x.spec.consultees]
    for duty_id in ids:
        wf.start_duty(duty_id, actor="admin", now=at("2007-09-11"), ports=p, dispatcher=d)
        wf.open_consultation(duty_id, actor="admin", now=at("2007-09-20"), ports=p, dispatcher=d)


def _environment(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    return {
        **os.environ,
        "BANFA_DATA_DIR": str(settings.data_dir),
        "BANFA_DATABASE_URL": settings.database_url.get_secret_value(),
        "BANFA_DEMO_CONTACTS": "true",
        "BANFA_SMTP_HOST": "127.0.0.1",
        "BANFA_SMTP_PORT": str(settings.smtp_port),
    }


def _send_due_command(now: dt.datetime) -> list[str]:
    return [sys.executable, "-m", "engine", "reminders", "send-due", "--now", now.isoformat()]


def _statuses(workflow: Workflow) -> dict[str, str]:
    with workflow.ports.uow() as uow:
        return {s.key: s.status for s in uow.reminders.list(pending_only=False)}


def test_a_sender_killed_after_the_server_took_the_mail_leaves_it_uncertain_and_never_resends_it(
    wired: tuple[Workflow, Settings], smtp: SmtpServer
) -> None:
    workflow, settings = wired
    _consult_everywhere(workflow)
    sender: list[subprocess.Popen[bytes]] = []

    def kill_the_sender() -> None:  # the server has the message; the sender dies before it hears 250
        if sender and sender[0].poll() is None:
            sender[0].kill()
            sender[0].wait()

    smtp.sink.on_data = kill_the_sender
    sender.append(subprocess.Popen(_send_due_command(DAY), env=_environment(settings), cwd=ROOT))
    assert sender[0].wait(120) == -signal.SIGKILL
    smtp.sink.on_data = None
    assert len(smtp.sink.messages) == 1
    taken = smtp.sink.reminder_keys()
    claimed = {k for k, s in _statuses(workflow).items() if s == "sending"}
    assert set(taken) <= claimed

    mailing = mailing_for(settings)
    send_due(DAY + dt.timedelta(minutes=1), ports=workflow.ports, mailing=mailing)  # within the lease
    send_due(DAY + dt.timedelta(minutes=11), ports=workflow.ports, mailing=mailing)  # the lease has run out
    statuses = _statuses(workflow)
    assert {k for k, s in statuses.items() if s == "uncertain"} == claimed
    assert [k for k in smtp.sink.reminder_keys() if k in claimed] == taken, (
        "an uncertain reminder was sent again"
    )
    assert {k for k, s in statuses.items() if s == "sent"} == set(smtp.sink.reminder_keys()) - claimed - {
        k for k in smtp.sink.reminder_keys() if k.startswith("digest:")
    }

    monday = dt.datetime(2007, 10, 8, 9, 0, tzinfo=SHANGHAI)
    send_due(monday, ports=workflow.ports, mailing=mailing)
    digest = [m for m in smtp.sink.messages if m["X-Banfa-Kind"] == "digest"][-1]
    assert set(str(digest["X-Banfa-Reported"]).split()) >= claimed
    assert "投递结果不明" in digest.get_content()


def test_two_senders_at_once_send_each_reminder_once(
    wired: tuple[Workflow, Settings], smtp: SmtpServer
) -> None:
    workflow, settings = wired
    _consult_everywhere(workflow)
    due = {k for k, s in _statuses(workflow).items() if s == "pending" and k.split(":")[-2] == "2007-09-29"}
    due = {k for k in due if k.endswith(":2")}
    senders = [
        subprocess.Popen(
            _send_due_command(DAY), env=_environment(settings), cwd=ROOT, stdout=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    assert [s.wait(180) for s in senders] == [0, 0]
    keys = smtp.sink.reminder_keys()
    assert len(keys) == len(set(keys)), "a reminder went out twice"
    assert due <= set(keys) and len(due) >= 10
    assert {k for k, s in _statuses(workflow).items() if s == "sent"} == set(keys)


def test_a_second_scheduler_waits_as_a_standby_until_the_first_lets_go(
    database_url: str, tmp_path: Path
) -> None:
    workflow = workflow_with_people(database_url, tmp_path)[0]
    now = at("2007-09-27")
    first = SchedulerLock(workflow.db_engine, "host:1", dt.timedelta(seconds=20))
    second = SchedulerLock(workflow.db_engine, "host:2", dt.timedelta(seconds=20))
    try:
        assert first.acquire(now)
        assert not second.acquire(now + dt.timedelta(seconds=5))
        assert first.renew(now + dt.timedelta(seconds=10))
        assert not second.acquire(now + dt.timedelta(seconds=25))  # renewed at +10: still fresh
        first.release()
        assert second.acquire(now + dt.timedelta(seconds=26))
        assert not first.acquire(now + dt.timedelta(seconds=27))
    finally:
        first.release()
        second.release()
        workflow.db_engine.dispose()


def test_a_silent_scheduler_is_taken_over_once_its_lease_is_stale(tmp_path: Path) -> None:
    workflow = workflow_with_people(f"sqlite:///{tmp_path / 'lease.db'}", tmp_path)[0]
    now = at("2007-09-27")
    hung = SchedulerLock(workflow.db_engine, "host:1", dt.timedelta(seconds=20))
    standby = SchedulerLock(workflow.db_engine, "host:2", dt.timedelta(seconds=20))
    assert hung.acquire(now)
    assert not standby.acquire(now + dt.timedelta(seconds=19))
    assert standby.acquire(now + dt.timedelta(seconds=21))
    assert not hung.renew(now + dt.timedelta(seconds=22))  # it must stand down
    workflow.db_engine.dispose()


@pytest.mark.slow
def test_banfa_scheduler_started_twice_runs_once_and_the_standby_takes_over(
    database_url: str, tmp_path: Path
) -> None:
    workflow, settings = workflow_with_people(database_url, tmp_path)
    workflow.db_engine.dispose()
    env = _environment(settings.model_copy(update={"smtp_port": 9}))
    env["BANFA_SCHEDULER_TICK_SECONDS"] = "3600"
    logs = [tmp_path / "first.log", tmp_path / "second.log"]

    def start(log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as sink:
            return subprocess.Popen(
                [sys.executable, "-m", "engine", "scheduler"], env=env, cwd=ROOT, stdout=sink, stderr=sink
            )

    def wait_for(log: Path, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in log.read_text("utf-8"):
            assert time.monotonic() < deadline, f"{log.name}: {log.read_text('utf-8')}"
            time.sleep(0.2)

    first = start(logs[0])
    second = None
    try:
        wait_for(logs[0], "调度器已启动")
        second = start(logs[1])
        wait_for(logs[1], "备用")
        assert "调度器已启动" not in logs[1].read_text("utf-8")
        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 0
        wait_for(logs[1], "调度器已启动", timeout=30)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(60)


def test_a_contact_that_cannot_be_written_into_a_mail_fails_alone(
    wired: tuple[Workflow, Settings], smtp: SmtpServer
) -> None:
    """An internationalised address (the server cannot take it) and a name with a line break in the registry:
    their own reminders fail, named with the reason; every other reminder of the same tick is sent."""
    workflow, settings = wired
    _consult_everywhere(workflow)
    bad = {
        "contacts": {
            "caizheng": {"liaison": {"name": "财政联络员", "email": "张三@例子.中国"}},
            "gongan": {"liaison": {"name": "公安\n联络员", "email": "gongan-liaison@example.org"}},
        }
    }
    ports = dataclasses.replace(workflow.ports, registry=workflow.ports.registry.with_contacts(bad))
    report = send_due(DAY, ports=ports, mailing=mailing_for(settings))
    statuses = _statuses(workflow)
    with ports.uow() as uow:
        due = [s for s in uow.reminders.list(pending_only=False) if s.reminder.send_on == DAY.date()]
    to_bad = {s.key for s in due if s.reminder.to == "caizheng:liaison"}
    assert to_bad and all(statuses[k] == "failed" for k in to_bad)
    assert any("张三@例子.中国" in p for p in report.problems)
    others = {s.key for s in due if s.key not in to_bad}
    assert others and all(statuses[k] == "sent" for k in others), {k: statuses[k] for k in others}
    assert not [k for k, s in statuses.items() if s in ("sending", "uncertain")]
    assert set(smtp.sink.reminder_keys()) == {k for k, s in statuses.items() if s == "sent"}


def test_the_scheduler_killed_at_a_seeded_random_mail_sends_each_reminder_once_or_marks_it_uncertain(
    wired: tuple[Workflow, Settings], smtp: SmtpServer
) -> None:
    """`banfa reminders send-due` is the scheduler's tick with the clock passed in: killed with SIGKILL as the
    server takes its n-th mail (n drawn from BANFA_FAULT_SEED), then the next ticks after the claim lease."""
    workflow, settings = wired
    _consult_everywhere(workflow)
    with workflow.ports.uow() as uow:
        due = {s.key for s in uow.reminders.list(due_before=DAY.date() + dt.timedelta(days=1))}
    assert due
    seed = int(os.environ.get("BANFA_FAULT_SEED", "20071211"))
    nth = random.Random(seed).randint(1, 12)
    sender: list[subprocess.Popen[bytes]] = []

    def kill_at_the_nth() -> None:
        if len(smtp.sink.messages) + 1 == nth and sender and sender[0].poll() is None:
            sender[0].kill()
            sender[0].wait()

    smtp.sink.on_data = kill_at_the_nth
    sender.append(subprocess.Popen(_send_due_command(DAY), env=_environment(settings), cwd=ROOT))
    code = sender[0].wait(120)
    print(f"killed at mail {nth}: exit {code}, {len(smtp.sink.messages)} mails taken")
    smtp.sink.on_data = None
    mailing = mailing_for(settings)
    send_due(DAY + dt.timedelta(minutes=11), ports=workflow.ports, mailing=mailing)  # after the claim lease
    send_due(DAY + dt.timedelta(hours=1), ports=workflow.ports, mailing=mailing)
    keys = smtp.sink.reminder_keys()
    statuses = _statuses(workflow)
    assert len(keys) == len(set(keys)), f"a reminder was mailed twice (seed {seed}, killed at mail {nth})"
    assert code == -signal.SIGKILL or len(smtp.sink.messages) < nth  # killed, or had fewer mails to send
    for key in due & {k for k, s in statuses.items() if s in ("pending", "sending")}:
        pytest.fail(f"{key} was due and is still {statuses[key]} (seed {seed})")
    assert {k for k in due if statuses[k] == "sent"} <= set(keys)
