"""Benchmark the reminders: plan 10,000 duties' reminders, then one tick that mails every reminder due that day,
against one SMTP connection per message.

Setup (not timed): the 22 duties of the seed catalogue (sfb2007-129) copied into 10,000 duties with new ids,
spread over 20 synthetic notices. Each notice's deadline is a number of working days after the tick's day
chosen so that every one of its duties has a reminder due on that day (the offsets are found by asking the
planner). Every duty is started (起草中) on the planning day, 45 working days before the tick.

1. `plan_s`: `plan_all` on the planning day: every duty loaded from the database, its reminders planned and
   inserted, one commit. The pure planner (`plan_duty` on the same duties in memory) is timed beside it.
2. The ticks between the planning day and the tick's day are simulated, not run: every reminder planned
   before the tick's day is marked sent in the database.
3. `tick_s`: one `send_due` at 09:00 (Asia/Shanghai) on the tick's day, a Monday, through SMTP to a local
   aiosmtpd sink that only counts what it accepts: one mail per duty (its reminders of the day merged) and
   one weekly digest per notice. The sink runs in its own process, so its memory is not in `peak_rss_mb`.
4. The baseline: the very messages the tick rendered (spooled to a file as they were composed), sent again to
   the sink over a new smtplib connection each. It renders nothing and reads no database, so `speedup` =
   baseline time / tick time is the tick's whole cost against the bare cost of one connection a mail.

Everything runs on a real SQLite file in a temporary directory; with BANFA_BENCH_DATABASE_URL (a PostgreSQL
server, e.g. postgresql://postgres@127.0.0.1:5432/postgres) steps 1 to 3 run again on a fresh database there.
Time is an argument everywhere; the clock is read only to time the steps. The last line is one JSON object;
the exit status is non-zero when the sink's count differs from what the tick reported sent or from the
baseline's count.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import pickle
import resource
import secrets
import smtplib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from engine import database as db  # noqa: E402
from engine.bootstrap import Workflow, load_rules, mailing_for, open_workflow  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.duties import Catalogue  # noqa: E402
from engine.model import SHANGHAI, Duty  # noqa: E402
from engine.ports import NoticeRecord, Outgoing  # noqa: E402
from engine.reminders import Letter, plan_duty  # noqa: E402
from engine.services.notices import add_user  # noqa: E402
from engine.services.reminders import Mailing, TickReport, plan_all, send_due, send_moment  # noqa: E402
from engine.workdays import WorkCalendar  # noqa: E402

DUTIES = 10_000
NOTICES = 20
TICK_DAY = dt.date(2025, 11, 17)  # a Monday and a working day: the week's digests go out too
PLAN_AHEAD = 45  # working days from the planning day to the tick's day: every reminder is still ahead
SEED = "sfb2007-129"
GOALS = {"plan_s": 5.0, "tick_s": 20.0, "peak_rss_mb": 300.0}


# --- the SMTP sink, in its own process -----------------------------------------------------------------------


class _Counter:
    """An aiosmtpd handler that accepts every message and counts it."""

    def __init__(self, received: Synchronized[int]) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.received.get_lock():
            self.received.value += 1
        return "250 Message accepted for delivery"


async def _serve(port: Connection, received: Synchronized[int], stop: EventType) -> None:
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    handler = _Counter(received)
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.local"), "127.0.0.1", 0)
    port.send(server.sockets[0].getsockname()[1])
    await loop.run_in_executor(None, stop.wait)
    server.close()


def _sink_main(port: Connection, received: Synchronized[int], stop: EventType) -> None:
    asyncio.run(_serve(port, received, stop))


class Sink:
    """aiosmtpd on an ephemeral loopback port in a child process; `received` counts the messages it took."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._received: Synchronized[int] = context.Value("q", 0)  # type: ignore[assignment]
        self._stop = context.Event()
        parent, child = context.Pipe()
        self.process = context.Process(target=_sink_main, args=(child, self._received, self._stop), daemon=True)
        self.process.start()
        if not parent.poll(30):
            raise SystemExit("the SMTP sink did not start")
        self.port: int = parent.recv()

    @property
    def received(self) -> int:
        return int(self._received.value)

    def stop(self) -> None:
        self._stop.set()
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


# --- synthetic notices and duties ----------------------------------------------------------------------------


def _started(duty: Duty, at: dt.datetime) -> Duty:
    duty.ingested("admin", at)
    duty.start("admin", at)
    return duty


def _offsets(workflow: Workflow, seed: Catalogue, plan_at: dt.datetime) -> list[int]:
    """Working days from the tick's day to a deadline for which a started duty has a reminder on the tick's
    day, and all of whose reminders are planned on the planning day."""
    ports, calendar = workflow.ports, workflow.ports.calendar
    found = []
    for n in range(1, PLAN_AHEAD):
        day = calendar.add_workdays(TICK_DAY, n)
        spec = dataclasses.replace(seed.duties[0], deadline=day, last_working_day=day)
        probe = _started(Duty.from_spec(spec, "probe"), plan_at)
        planned = plan_duty(probe, plan_at.date(), calendar, ports.plan, ports.reminders)
        if any(r.send_on == TICK_DAY for r in planned):
            if min(r.send_on for r in planned) < plan_at.date():
                raise SystemExit(f"PLAN_AHEAD is too short for a deadline {n} working days after the tick")
            found.append(n)
    return found


def populate(workflow: Workflow, seed: Catalogue, plan_at: dt.datetime) -> list[Duty]:
    """Store NOTICES notices of DUTIES started duties in all (copies of the seed's duties); return the duties."""
    ports, calendar = workflow.ports, workflow.ports.calendar
    offsets = _offsets(workflow, seed, plan_at)
    add_user("admin", "系统管理员", seed.coordinator.department or "maogong", ("admin",), now=plan_at, ports=ports)
    duties: list[Duty] = []
    with ports.uow() as uow:
        uow.departments.sync(list(ports.registry))
        for n in range(NOTICES):
            deadline = calendar.add_workdays(TICK_DAY, offsets[n % len(offsets)])
            info = dataclasses.replace(seed.notice, id=f"bench{n:02d}", number=f"深府办〔2025〕{n + 1}号")
            uow.notices.save(NoticeRecord(info, seed.coordinator, deadline, {}, plan_at))
            for i in range(n * DUTIES // NOTICES, (n + 1) * DUTIES // NOTICES):
                spec = seed.duties[i % len(seed.duties)]
                spec = dataclasses.replace(
                    spec, id=f"{info.id}-{i:05d}-{spec.lead}", deadline=deadline, last_working_day=deadline
                )
                duty = _started(Duty.from_spec(spec, info.id), plan_at)
                uow.duties.add(duty)
                duties.append(duty)
        uow.commit()
    return duties


# --- the spool of rendered messages, and the baseline --------------------------------------------------------


class Spool:
    """Wraps the composer: every message the tick renders is also appended to a file, for the baseline."""

    def __init__(self, compose: Callable[[Letter, tuple[str, ...]], Outgoing], out: BinaryIO) -> None:
        self.compose, self.out, self.count = compose, out, 0

    def __call__(self, letter: Letter, keys: tuple[str, ...]) -> Outgoing:
        mail = self.compose(letter, keys)
        pickle.dump((mail.sender, mail.recipients, mail.data), self.out)
        self.count += 1
        return mail


def _spooled(path: Path) -> Iterator[tuple[str, tuple[str, ...], bytes]]:
    with path.open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


def baseline(path: Path, port: int) -> tuple[float, int]:
    """Send every spooled message to the sink over a connection of its own; return (seconds, messages)."""
    sent = 0
    started = time.perf_counter()
    for sender, recipients, data in _spooled(path):
        client = smtplib.SMTP("127.0.0.1", port, timeout=30)
        try:
            client.sendmail(sender, list(recipients), data)
        finally:
            client.quit()
        sent += 1
    return time.perf_counter() - started, sent


# --- one run: populate, plan, tick ---------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    database: str
    plan_s: float
    pure_s: float
    planned: int
    marked: int
    tick_s: float
    report: TickReport
    received: int
    spooled: int


def _mark_earlier_ticks(workflow: Workflow, at: dt.datetime) -> int:
    """Stand in for the ticks between planning and the tick's day: their reminders count as sent."""
    t = db.reminders
    with workflow.db_engine.begin() as conn:
        result = conn.execute(
            sa.update(t).where(t.c.status == "pending", t.c.send_on < TICK_DAY).values(status="sent", sent_at=at)
        )
    return int(result.rowcount)


def run(settings: Settings, sink: Sink, spool: Path, workflow: Workflow | None = None) -> Run:
    workflow = workflow or open_workflow(settings)
    ports = workflow.ports
    calendar: WorkCalendar = ports.calendar
    seed = next(c for c in load_rules(settings).catalogues() if c.notice.id == SEED)
    plan_day = calendar.add_workdays(TICK_DAY, -PLAN_AHEAD)
    plan_at = dt.datetime.combine(plan_day, dt.time(10, 0), tzinfo=SHANGHAI)
    tick_at = send_moment(TICK_DAY, ports)
    name = workflow.db_engine.dialect.name

    started = time.perf_counter()
    duties = populate(workflow, seed, plan_at)
    print(f"[{name}] setup: {len(duties):,} started duties over {NOTICES} notices in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    rows = sum(len(plan_duty(d, plan_day, calendar, ports.plan, ports.reminders)) for d in duties)
    pure_s = time.perf_counter() - started
    del duties

    started = time.perf_counter()
    planned = plan_all(plan_at, ports=ports)
    plan_s = time.perf_counter() - started
    print(
        f"[{name}] plan_all at {plan_at:%Y-%m-%d %H:%M}: {plan_s:.2f} s for {DUTIES:,} duties, {planned:,} reminders"
        " (timed: loading every duty, planning, inserting the rows, one commit)"
    )
    print(f"[{name}] pure planner (plan_duty in memory, no database): {pure_s:.2f} s, {rows:,} reminders")

    marked = _mark_earlier_ticks(workflow, plan_at)
    print(f"[{name}] earlier ticks stood in for: {marked:,} reminders before {TICK_DAY} marked sent (not timed)")

    base = mailing_for(settings)
    before = sink.received
    with spool.open("wb") as out:
        spooler = Spool(base.compose, out)
        mailing: Mailing = dataclasses.replace(base, compose=spooler)
        started = time.perf_counter()
        report = send_due(tick_at, ports=ports, mailing=mailing)
        tick_s = time.perf_counter() - started
    received = sink.received - before
    print(
        f"[{name}] tick at {tick_at:%Y-%m-%d %H:%M %Z}: {report.sent:,} mails sent ({report.reminders:,} reminders,"
        f" {report.digests} digests), folded {report.folded}, failed {report.failed}, deferred {report.deferred},"
        f" uncertain {report.uncertain}{', error: ' + report.error if report.error else ''};"
        f" {tick_s:.2f} s, {report.sent / tick_s:,.0f} mails/s; the sink received {received:,}"
    )
    workflow.db_engine.dispose()
    return Run(name, plan_s, pure_s, planned, marked, tick_s, report, received, spooler.count)


@contextlib.contextmanager
def postgres(server: str) -> Iterator[str]:
    """A fresh PostgreSQL database on `server`, dropped afterwards; yields its URL."""
    url = sa.make_url(server)
    name = f"banfa_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _check(label: str, got: int, want: int, problems: list[str]) -> None:
    if got != want:
        problems.append(f"{label}: {got:,}, the tick reported {want:,} sent")


def main() -> None:
    sink = Sink()
    problems: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="banfa-bench-") as tmp:
            folder = Path(tmp)
            update = {"smtp_host": "127.0.0.1", "smtp_port": sink.port}
            settings = Settings(data_dir=folder / "sqlite", demo_contacts=True).resolved().model_copy(update=update)
            spool = folder / "spool.pickle"
            lite = run(settings, sink, spool)
            _check("the sink received", lite.received, lite.report.sent, problems)
            _check("the tick rendered", lite.spooled, lite.report.sent, problems)

            before = sink.received
            base_s, base_sent = baseline(spool, sink.port)
            _check("the baseline sent", base_sent, lite.report.sent, problems)
            _check("the sink received from the baseline", sink.received - before, lite.report.sent, problems)
            print(
                f"baseline: {base_sent:,} mails, a new smtplib connection each: {base_s:.2f} s,"
                f" {base_sent / base_s:,.0f} mails/s"
            )

            pg: Run | None = None
            server = os.environ.get("BANFA_BENCH_DATABASE_URL")
            if server:
                with postgres(server) as url:
                    pg_settings = settings.model_copy(
                        update={"data_dir": folder / "postgresql", "database_url": SecretStr(url)}
                    )
                    workflow = open_workflow(pg_settings)
                    db.migrate(workflow.db_engine)
                    pg = run(pg_settings, sink, folder / "spool-pg.pickle", workflow)
                _check("the sink received (PostgreSQL)", pg.received, pg.report.sent, problems)
    finally:
        sink.stop()

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures: dict[str, Any] = {
        "plan_s": round(lite.plan_s, 2),
        "tick_s": round(lite.tick_s, 2),
        "mails_per_s": round(lite.report.sent / lite.tick_s, 1),
        "speedup": round(base_s / lite.tick_s, 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "duties": DUTIES,
        "notices": NOTICES,
        "reminders_planned": lite.planned,
        "plan_pure_s": round(lite.pure_s, 2),
        "mails": lite.report.sent,
        "reminders_sent": lite.report.reminders,
        "digests": lite.report.digests,
        "baseline_s": round(base_s, 2),
    }
    if pg is not None:
        figures |= {
            "pg_plan_s": round(pg.plan_s, 2),
            "pg_tick_s": round(pg.tick_s, 2),
            "pg_mails_per_s": round(pg.report.sent / pg.tick_s, 1),
        }
    goals = {"plan_s": lite.plan_s, "tick_s": lite.tick_s, "peak_rss_mb": peak_rss_mb}
    for key, value in goals.items():
        met = "met" if value < GOALS[key] else "NOT MET"
        print(f"goal {key} < {GOALS[key]:g}: {value:.2f} — {met}")
    many = "met" if lite.report.sent >= DUTIES else "NOT MET"
    print(f"goal mails >= {DUTIES:,} in one tick: {lite.report.sent:,} — {many}")
    print(f"speedup (baseline / tick): {base_s / lite.tick_s:.2f} (above 1 is better)")
    print(f"peak RSS of this process (the sink not included): {peak_rss_mb:.0f} MB")
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(json.dumps(figures))
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
