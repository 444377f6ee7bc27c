"""PostgreSQL restarted under load: nothing committed is lost, nothing is stored or mailed twice.

A private cluster of the test's own (tests.support.private_postgres, never the shared server) holds the seed.
Three people drive twelve duties from 启动 to 发布, their days staggered so that different steps share a day,
while the scheduler sends each working day's reminders through a real SMTP server on loopback and redoes the
machine work a failure left undone. At a seeded moment in the middle (the n-th operation, or the n-th mail
while the mail server holds it) the server is restarted, cleanly or as a crash, and stays down for a second.

What hits the outage must fail with Banfa's own DatabaseUnavailable, never a driver's error; the person then
does what a person does: waits, reloads, sees whether the action took, and otherwise tries again. Once the
load is done: each duty's record holds exactly the actions the people saw take; no document was stored twice
(versions 1..n with different bytes, each stored by one recorded machine step); no mail reached the server
twice, and each reminder recorded as sent reached it; and every reminder due by the last tick was sent, or is
uncertain because the tick that claimed it could not record the outcome.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa

from engine.adapters.sql import schema
from engine.bootstrap import Workflow, mailing_for
from engine.config import Settings
from engine.domain.drafting.decisions import Legality
from engine.domain.workflow.machine import resume_at
from engine.domain.workflow.model import Duty, State
from engine.errors import ConcurrencyConflict, DatabaseUnavailable, MachineWorkPending
from engine.services import workflow as wf
from engine.services.reminders.sending import Mailing, send_due
from tests.support.mailbox import SmtpServer
from tests.support.private_postgres import PrivatePostgres, private_postgres
from tests.support.workflows import at, workflow_with_people

pytestmark = pytest.mark.slow

T = TypeVar("T")
DUTIES = 12
PEOPLE = 3
DOWN_FOR = 1.0  # seconds the server stays down
PATIENCE = 60.0  # seconds a person keeps retrying before the test gives up on the database


@dataclass(frozen=True)
class Step:
    """One action of the procedure, taken `after` working days from the duty's start, and the event it records."""

    event: str
    after: int
    act: Callable[[Workflow, str, dt.datetime, int], object]


def _acting(name: str) -> Callable[[Workflow, str, dt.datetime, int], object]:
    """An action that takes nothing but the duty: start_duty, open_consultation, ..."""

    def act(w: Workflow, duty_id: str, now: dt.datetime, version: int) -> object:
        service = getattr(wf, name)
        return service(
            duty_id, actor="admin", now=now, ports=w.ports, dispatcher=w.dispatcher, expected_version=version
        )

    return act


def _review(w: Workflow, duty_id: str, now: dt.datetime, version: int) -> object:
    return wf.record_review(
        duty_id,
        Legality.LAWFUL,
        "",
        actor="admin",
        now=now,
        ports=w.ports,
        dispatcher=w.dispatcher,
        expected_version=version,
    )


def _approve(w: Workflow, duty_id: str, now: dt.datetime, version: int) -> object:
    return wf.deliberate(
        duty_id,
        True,
        "",
        actor="admin",
        now=now,
        ports=w.ports,
        dispatcher=w.dispatcher,
        expected_version=version,
    )


def _publish(w: Workflow, duty_id: str, now: dt.datetime, version: int) -> object:
    return wf.publish(
        duty_id,
        "深财〔2007〕35号",
        now.date(),
        dt.date(2008, 1, 1),
        actor="admin",
        now=now,
        ports=w.ports,
        dispatcher=w.dispatcher,
        expected_version=version,
    )


# The replies asked for at 征求意见 are due 7 working days later: the consultation closes the day after, once
# the consultees' reminders (2 days before, and on the day) have gone out.
STEPS = (
    Step("start", 0, _acting("start_duty")),
    Step("open_consultation", 4, _acting("open_consultation")),
    Step("close_consultation", 12, _acting("close_consultation")),
    Step("submit", 13, _acting("submit_for_review")),
    Step("review_lawful", 16, _review),
    Step("approve", 18, _approve),
    Step("publish", 19, _publish),
)
STAGGER = 4  # duty i starts i % STAGGER working days after the first, so that different steps share a day


@dataclass
class Load:
    """What the people and the scheduler saw: the actions that took, and every error the outage caused."""

    workflow: Workflow
    mailing: Mailing
    restart_after: int  # operations done before the server goes down (sys.maxsize: a mail decides)
    committed: dict[str, list[str]] = field(default_factory=dict)
    outages: list[str] = field(default_factory=list)
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    due_for_restart: threading.Event = field(default_factory=threading.Event)
    down: threading.Event = field(default_factory=threading.Event)

    def count(self) -> None:
        with self.lock:
            self.done += 1
            if self.done >= self.restart_after:
                self.due_for_restart.set()

    def saw(self, outage: DatabaseUnavailable) -> None:
        with self.lock:
            self.outages.append(str(outage))

    def patiently(self, operation: Callable[[], T]) -> T:
        """Do it, and when the database is away wait and do it again, as a person or the scheduler would."""
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                return operation()
            except DatabaseUnavailable as exc:
                self.saw(exc)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def duty(self, duty_id: str) -> Duty:
        def load() -> Duty:
            with self.workflow.ports.reading() as uow:
                return uow.duties.get(duty_id)

        return self.patiently(load)

    def take(self, step: Step, duty_id: str, now: dt.datetime) -> None:
        """Take one step as a person: with the version the page showed, again after an outage unless it took."""
        uncertain = False
        deadline = time.monotonic() + PATIENCE
        while True:
            duty = self.duty(duty_id)
            if uncertain and duty.events[-1].action == step.event and duty.events[-1].at == now:
                break  # the outage came after the commit: the person reloads and sees it done
            try:
                step.act(self.workflow, duty_id, now, duty.version)
                break
            except DatabaseUnavailable as exc:
                self.saw(exc)
                uncertain = True
                assert time.monotonic() < deadline, f"{duty_id}: {step.event} never went through"
                time.sleep(0.1)
            except ConcurrencyConflict:
                uncertain = True  # the page was older than the duty: reload and look again
            except MachineWorkPending:  # the outage cut the last step's machine work short, and the sweep
                # has not redone it yet: the person waits while the scheduler redoes it, as of the stage's start
                self.workflow.dispatcher.advance(duty_id, resume_at(duty, now))
                assert time.monotonic() < deadline, (
                    f"{duty_id}: the machine work before {step.event} never ended"
                )
        self.committed[duty_id].append(step.event)
        self.count()

    def tick(self, now: dt.datetime) -> None:
        """One scheduler tick: send what is due; a tick the outage broke is simply run again."""
        self.patiently(lambda: send_due(now, ports=self.workflow.ports, mailing=self.mailing))
        self.count()

    def reconcile(self, now: dt.datetime) -> None:
        """The scheduler's sweep for machine work that a failure left undone."""
        self.patiently(lambda: self.workflow.dispatcher.reconcile(now))


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


def _restarting(cluster: PrivatePostgres, load: Load, crash: bool) -> Callable[[], None]:
    """Wait for the moment, take the server down (fast: in-flight work is rolled back; crash: immediate, and
    recovery replays the WAL), keep it down for DOWN_FOR seconds, and start it again."""

    def restart() -> None:
        load.due_for_restart.wait(120)
        cluster.stop("immediate" if crash else "fast")
        load.down.set()
        time.sleep(DOWN_FOR)
        cluster.start()

    return restart


def _down_at_mail(smtp: SmtpServer, load: Load, nth: int) -> None:
    """Take the server down while the mail server holds the `nth` mail, before it answers 250: the tick that
    sent it cannot record the outcome, so the mail's reminders must end uncertain, never sent again."""
    seen = itertools.count(1)

    def on_data() -> None:
        if next(seen) == nth:
            load.due_for_restart.set()
            assert load.down.wait(30)

    smtp.sink.on_data = on_data


OPERATION, MAIL = "operation", "mail"


@pytest.mark.parametrize(
    ("moment", "crash", "seed"),
    [
        pytest.param(OPERATION, False, 1501, id="fast-restart-amid-actions"),
        pytest.param(OPERATION, True, 1502, id="crash-amid-actions"),
        pytest.param(MAIL, True, 1503, id="crash-while-a-mail-is-handed-over"),
    ],
)
def test_a_postgresql_restart_under_load_loses_no_transition_and_duplicates_no_document_or_mail(
    cluster: PrivatePostgres, tmp_path: Path, moment: str, crash: bool, seed: int
) -> None:
    smtp = SmtpServer().start()
    workflow, settings = workflow_with_people(cluster.url, tmp_path)
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    try:
        _run_and_check(cluster, workflow, settings, smtp, moment, crash, random.Random(seed))
    finally:
        workflow.db_engine.dispose()
        smtp.stop()


def _schedule(workflow: Workflow, duties: list[str]) -> dict[dt.date, list[tuple[str, Step]]]:
    """Each working day's actions: duty i takes its steps from the first day plus i % STAGGER working days."""
    calendar, first = workflow.ports.calendar, dt.date(2007, 9, 11)
    days: dict[dt.date, list[tuple[str, Step]]] = {}
    for i, duty_id in enumerate(duties):
        for step in STEPS:
            days.setdefault(calendar.add_workdays(first, i % STAGGER + step.after), []).append(
                (duty_id, step)
            )
    last = max(days)
    every = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return {day: days.get(day, []) for day in every if calendar.is_workday(day)}


def _run_and_check(
    cluster: PrivatePostgres,
    workflow: Workflow,
    settings: Settings,
    smtp: SmtpServer,
    moment: str,
    crash: bool,
    rng: random.Random,
) -> None:
    with workflow.ports.uow() as uow:
        duties = [d.id for d in uow.duties.list() if d.spec.consultees and d.spec.track.value == "规范性文件"]
    duties = duties[:DUTIES]
    assert len(duties) == DUTIES
    schedule = _schedule(workflow, duties)
    operations = len(STEPS) * DUTIES + len(schedule)
    nth = (
        rng.randint(operations * 3 // 10, operations * 6 // 10) if moment == OPERATION else rng.randint(3, 15)
    )
    load = Load(workflow, mailing_for(settings), nth if moment == OPERATION else sys.maxsize)
    load.committed = {d: [] for d in duties}
    if moment == MAIL:
        _down_at_mail(smtp, load, nth)
    people = [set(duties[p::PEOPLE]) for p in range(PEOPLE)]

    def act(day: dt.date, mine: set[str]) -> None:
        for duty_id, step in schedule[day]:
            if duty_id in mine:
                load.take(step, duty_id, at(day.isoformat()))

    swept = 0
    restarter = threading.Thread(target=_restarting(cluster, load, crash), name="restarter")
    restarter.start()
    try:
        with ThreadPoolExecutor(PEOPLE + 1) as pool:
            # Each working day: the 09:00 tick and the people's 10:00 actions at once, then the sweep if needed.
            for day in schedule:
                jobs = [pool.submit(load.tick, at(day.isoformat(), 9))]
                jobs += [pool.submit(act, day, mine) for mine in people]
                for job in jobs:
                    job.result()  # an error the people or the scheduler did not expect fails the test here
                if len(load.outages) > swept:  # machine work the outage cut short: the scheduler's sweep
                    swept = len(load.outages)
                    load.reconcile(at(day.isoformat(), 18))
    finally:
        load.due_for_restart.set()
        restarter.join(120)
    last = max(schedule)
    lease = dt.timedelta(seconds=workflow.ports.reminders.claim_lease_seconds)
    load.tick(at(last.isoformat(), 9) + lease + dt.timedelta(minutes=1))  # stale claims become uncertain
    load.reconcile(at(last.isoformat(), 18))

    assert load.outages, f"the restart at {moment} {nth} met no action or tick"
    assert all(o.startswith("数据库暂时无法使用") for o in load.outages), set(load.outages)

    # No lost transition, none recorded twice: each duty's record is the actions the people saw take.
    with workflow.ports.reading() as uow:
        records = {d: uow.duties.get(d) for d in duties}
    for duty_id, duty in records.items():
        assert duty.events[0].action == "ingest", duty_id
        actions = [e.action for e in duty.events[1:]]
        assert actions == load.committed[duty_id] == [s.event for s in STEPS], duty_id
        assert duty.state is State.PUBLISHED
        assert duty.machine_done == duty.stage_version, f"{duty_id}: machine work left undone"

    # No document stored twice: versions 1..n of each with different bytes, each stored by one machine step.
    with workflow.db_engine.connect() as conn:
        d, m = schema.documents, schema.machine_steps
        rows = conn.execute(
            sa.select(d.c.id, d.c.duty_id, d.c.kind, d.c.variant, d.c.version, d.c.checksum)
        ).all()
        recorded = Counter(i for ids in conn.execute(sa.select(m.c.documents)).scalars() for i in ids)
    documents: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    for row in rows:
        documents.setdefault((row.duty_id, row.kind, row.variant), []).append((row.version, row.checksum))
    for key, versions in documents.items():
        assert sorted(v for v, _ in versions) == list(range(1, len(versions) + 1)), key
        assert len({c for _, c in versions}) == len(versions), f"{key}: the same bytes stored twice"
    assert Counter(row.id for row in rows) == recorded, (
        "a document no machine step recorded, or recorded twice"
    )
    assert {duty_id for duty_id, *_ in documents} == set(duties)

    # No mail twice; what the database says was sent reached the server once; nothing due was left behind.
    keys = smtp.sink.reminder_keys()
    message_ids = [str(m["Message-ID"]) for m in smtp.sink.messages]
    assert len(message_ids) == len(set(message_ids)), "a mail went out twice"
    assert len(keys) == len(set(keys)), [k for k, n in Counter(keys).items() if n > 1]
    with workflow.ports.reading() as uow:
        reminders = uow.reminders.list(pending_only=False)
    status = {r.key: r.status for r in reminders}
    sent = {k for k, s in status.items() if s == "sent"}
    assert sent <= set(keys), "a reminder recorded as sent never reached the server"
    assert {status.get(k) for k in keys} <= {"sent", "uncertain"}, "a mail the server took is not recorded"
    due = [r for r in reminders if r.reminder.send_on <= last and r.status != "cancelled"]
    left = Counter(r.status for r in due if r.status not in ("sent", "uncertain"))
    assert not left, f"due reminders neither sent nor uncertain: {left}"
    if moment == MAIL:
        assert "uncertain" in status.values(), "the mail the outage cut off was not marked uncertain"
    replies = {k for k in sent if not k.startswith("digest:")}
    assert len(replies) >= DUTIES, f"too few reminders went out to mean anything: {sorted(sent)}"
