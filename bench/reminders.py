"""Benchmark the reminders: plan 10,000 duties' reminders, then one tick that mails every reminder due that day,
against one SMTP connection per message.

Setup (not timed): the 22 duties of the seed catalogue (sfb2007-129) copied into 10,000 duties with new ids,
spread over 20 synthetic notices. Each notice's deadline is a number of working days after the tick's day
chosen so that every one of its duties has a reminder due on that day (the offsets are found by asking the
planner). Every duty is started (起草中) on the planning day, 45 working days before the tick.

1. `plan_s`: `plan_all` on the planning day: every duty loaded from the database, its reminders planned and
   inserted, one commit. The pure planner (`plan_duty` on the same duties in memory) is timed beside it.
2. The ticks between the planning day and the tick's day are simulated, not run: every reminder planned
   before the tick's day is marked sent in the database; on PostgreSQL the table is then vacuumed and
   analysed, as autovacuum would have done in the weeks those ticks stand for (without it, the tick's
   queries ran on statistics of an emptier table and took 44 s instead of 18).
3. `tick_s`: one `send_due` at 09:00 (Asia/Shanghai) on the tick's day, a Monday, through SMTP to a local
   aiosmtpd sink that only counts what it accepts: one mail per duty (its reminders of the day merged) and
   one weekly digest per notice. The sink runs in its own process, so its memory is not in `peak_rss_mb`.
   The composer and the transport are wrapped to time them (`compose_s`, `smtp_s`) and to spool each
   rendered message to a file; the spooling (a fraction of a second) counts in `tick_s`.
4. The baseline: the very messages the tick rendered (spooled to a file as they were composed), sent again to
   the sink over a new smtplib connection each. It renders nothing and reads no database, so `speedup` =
   baseline time / tick time is the tick's whole cost against the bare cost of one connection a mail.

`--duties` and `--notices` change the scale. Everything runs on a real SQLite file in a temporary directory;
with BANFA_BENCH_DATABASE_URL (a PostgreSQL server, e.g. postgresql://postgres@127.0.0.1:5432/postgres) steps
1 to 3 run again on a fresh database there.
Time is an argument everywhere; the clock is read only to time the steps. The last line is one JSON object;
the exit status is non-zero when the sink's count differs from what the tick reported sent or from the
baseline's count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import pickle
import resource
import smtplib
import sys
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from scratch import scratch_database  # noqa: E402  (bench/ is the script's folder)

from engine.adapters.sql import schema  # noqa: E402
from engine.adapters.sql.migrate import migrate  # noqa: E402
from engine.bootstrap import Workflow, load_rules, mailing_for, open_workflow  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.domain.intake.specs import Catalogue  # noqa: E402
from engine.domain.ports import MailSession, NoticeRecord, Outgoing  # noqa: E402
from engine.domain.reminders.mail import Mail  # noqa: E402
from engine.domain.reminders.planner import plan_duty  # noqa: E402
from engine.domain.workflow.model import SHANGHAI, Duty  # noqa: E402
from engine.services.accounts import add_user  # noqa: E402
from engine.services.reminders.sending import Mailing, TickReport, plan_all, send_due, send_moment  # noqa: E402

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
        self._received: Synchronized[int] = context.Value("q", 0)
        self._stop = context.Event()
        parent, child = context.Pipe()
        self.process = context.Process(
            target=_sink_main, args=(child, self._received, self._stop), daemon=True
        )
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


def populate(
    workflow: Workflow, seed: Catalogue, plan_at: dt.datetime, duties: int, notices: int
) -> list[Duty]:
    """Store `notices` notices with `duties` started duties in all, copies of the seed's; return the duties."""
    ports, calendar = workflow.ports, workflow.ports.calendar
    offsets = _offsets(workflow, seed, plan_at)
    add_user(
        "admin", "系统管理员", seed.coordinator.department or "maogong", ("admin",), now=plan_at, ports=ports
    )
    stored: list[Duty] = []
    with ports.uow() as uow:
        uow.departments.sync(list(ports.registry))
        for n in range(notices):
            deadline = calendar.add_workdays(TICK_DAY, offsets[n % len(offsets)])
            info = dataclasses.replace(seed.notice, id=f"bench{n:02d}", number=f"深府办〔2025〕{n + 1}号")
            uow.notices.save(NoticeRecord(info, seed.coordinator, deadline, {}, plan_at))
            for i in range(n * duties // notices, (n + 1) * duties // notices):
                spec = seed.duties[i % len(seed.duties)]
                spec = dataclasses.replace(
                    spec, id=f"{info.id}-{i:05d}-{spec.lead}", deadline=deadline, last_working_day=deadline
                )
                duty = _started(Duty.from_spec(spec, info.id), plan_at)
                uow.duties.add(duty)
                stored.append(duty)
        uow.commit()
    return stored


# --- the spool of rendered messages, and the baseline --------------------------------------------------------


class _TimedSession:
    def __init__(self, inner: MailSession, owner: Instrumented) -> None:
        self.inner, self.owner = inner, owner

    def send(self, mail: Outgoing) -> None:
        started = time.perf_counter()
        try:
            self.inner.send(mail)
        finally:
            self.owner.send_s += time.perf_counter() - started


class Instrumented:
    """Wraps a mailing's composer and transport: times both, and appends every message the tick renders to a
    spool file, for the baseline."""

    def __init__(self, mailing: Mailing, spool: BinaryIO) -> None:
        self.inner, self.spool = mailing, spool
        self.compose_s = self.send_s = self.spool_s = 0.0
        self.count = 0
        self.mailing = dataclasses.replace(mailing, transport=self, compose=self.compose)

    def compose(self, content: Mail, keys: tuple[str, ...]) -> Outgoing:
        started = time.perf_counter()
        mail = self.inner.compose(content, keys)
        composed = time.perf_counter()
        pickle.dump((mail.sender, mail.recipients, mail.data), self.spool)
        self.compose_s += composed - started
        self.spool_s += time.perf_counter() - composed
        self.count += 1
        return mail

    @contextlib.contextmanager
    def session(self) -> Iterator[MailSession]:
        with self.inner.transport.session() as session:
            yield _TimedSession(session, self)


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
    """The figures of one database's run."""

    database: str
    plan_s: float
    pure_s: float
    planned: int
    tick_s: float
    report: TickReport
    received: int  # by the sink during the tick
    rendered: int
    compose_s: float
    send_s: float
    spool_s: float


def _mark_earlier_ticks(workflow: Workflow, at: dt.datetime) -> int:
    """Stand in for the ticks between planning and the tick's day: their reminders count as sent."""
    t = schema.reminders
    with workflow.db_engine.begin() as conn:
        result = conn.execute(
            sa.update(t)
            .where(t.c.status == "pending", t.c.send_on < TICK_DAY)
            .values(status="sent", sent_at=at)
        )
    if workflow.db_engine.dialect.name == "postgresql":
        with workflow.db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE reminders")
    return int(result.rowcount)


def run(workflow: Workflow, settings: Settings, args: argparse.Namespace, sink: Sink, spool: Path) -> Run:
    """Populate the database, plan every duty's reminders, then run the tick; print what each step did."""
    ports, calendar = workflow.ports, workflow.ports.calendar
    seed = next(c for c in load_rules(settings).catalogues() if c.notice.id == SEED)
    plan_day = calendar.add_workdays(TICK_DAY, -PLAN_AHEAD)
    plan_at = dt.datetime.combine(plan_day, dt.time(10, 0), tzinfo=SHANGHAI)
    tick_at = send_moment(TICK_DAY, ports)
    name = workflow.db_engine.dialect.name

    started = time.perf_counter()
    duties = populate(workflow, seed, plan_at, args.duties, args.notices)
    setup_s = time.perf_counter() - started
    print(
        f"[{name}] setup (not timed): {len(duties):,} duties started on {plan_day}, {args.notices} notices, {setup_s:.1f} s"
    )

    started = time.perf_counter()
    rows = sum(len(plan_duty(d, plan_day, calendar, ports.plan, ports.reminders)) for d in duties)
    pure_s = time.perf_counter() - started
    del duties

    started = time.perf_counter()
    planned = plan_all(plan_at, ports=ports)
    plan_s = time.perf_counter() - started
    print(
        f"[{name}] plan_s = plan_all at {plan_at:%Y-%m-%d %H:%M}: {plan_s:.2f} s, {planned:,} reminders planned"
        " (timed: loading every duty from the database, planning, inserting the rows, one commit)"
    )
    print(
        f"[{name}] the pure planner on the same duties (plan_duty in memory): {pure_s:.2f} s, {rows:,} reminders"
    )

    marked = _mark_earlier_ticks(workflow, plan_at)
    print(f"[{name}] the ticks before {TICK_DAY} stood in for: {marked:,} reminders marked sent (not timed)")

    before = sink.received
    with spool.open("wb") as out:
        mailing = Instrumented(mailing_for(settings), out)
        started = time.perf_counter()
        report = send_due(tick_at, ports=ports, mailing=mailing.mailing)
        tick_s = time.perf_counter() - started
    received = sink.received - before
    error = f", error: {report.error}" if report.error else ""
    print(
        f"[{name}] tick_s = send_due at {tick_at:%Y-%m-%d %H:%M} Asia/Shanghai: {tick_s:.2f} s;"
        f" {report.sent:,} mails sent ({report.reminders:,} reminders merged, {report.digests} of them digests),"
        f" {report.sent / tick_s:,.1f} mails/s; folded {report.folded}, failed {report.failed},"
        f" deferred {report.deferred}, uncertain {report.uncertain}{error}; the sink received {received:,}"
    )
    print(
        f"[{name}] of the tick: composing MIME {mailing.compose_s:.2f} s, handing to SMTP {mailing.send_s:.2f} s"
        f" (in a thread of its own, overlapping the composing), spooling for the baseline {mailing.spool_s:.2f} s"
    )
    workflow.db_engine.dispose()
    return Run(
        name,
        plan_s,
        pure_s,
        planned,
        tick_s,
        report,
        received,
        mailing.count,
        mailing.compose_s,
        mailing.send_s,
        mailing.spool_s,
    )


def _postgres_run(server: str, settings: Settings, args: argparse.Namespace, sink: Sink, folder: Path) -> Run:
    with scratch_database(server) as url:
        settings = settings.model_copy(
            update={"data_dir": folder / "postgresql", "database_url": SecretStr(url)}
        )
        workflow = open_workflow(settings)  # a server database is not migrated by itself
        migrate(workflow.db_engine)
        return run(workflow, settings, args, sink, folder / "spool-postgresql.pickle")


def _compare(label: str, got: int, sent: int, problems: list[str]) -> None:
    if got != sent:
        problems.append(f"{label}: {got:,}, but the tick reported {sent:,} mails sent")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duties", type=int, default=DUTIES)
    parser.add_argument("--notices", type=int, default=NOTICES)
    args = parser.parse_args()
    server = os.environ.get("BANFA_BENCH_DATABASE_URL")
    problems: list[str] = []
    pg: Run | None = None
    sink = Sink()
    try:
        with tempfile.TemporaryDirectory(prefix="banfa-bench-") as tmp:
            folder = Path(tmp)
            mail = {"smtp_host": "127.0.0.1", "smtp_port": sink.port}
            settings = (
                Settings(data_dir=folder / "sqlite", demo_contacts=True).resolved().model_copy(update=mail)
            )
            spool = folder / "spool-sqlite.pickle"
            lite = run(open_workflow(settings), settings, args, sink, spool)
            sent = lite.report.sent
            _compare("the sink received", lite.received, sent, problems)
            _compare("the tick rendered", lite.rendered, sent, problems)

            before = sink.received
            base_s, base_sent = baseline(spool, sink.port)
            _compare("the baseline sent", base_sent, sent, problems)
            _compare("the sink received from the baseline", sink.received - before, sent, problems)
            print(
                f"baseline: the same {base_sent:,} rendered messages, a new smtplib connection each:"
                f" {base_s:.2f} s, {base_sent / base_s:,.1f} mails/s"
            )
            if server:
                pg = _postgres_run(server, settings, args, sink, folder)
                _compare("the sink received (PostgreSQL)", pg.received, pg.report.sent, problems)
    finally:
        sink.stop()

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures: dict[str, Any] = {
        "plan_s": round(lite.plan_s, 2),
        "tick_s": round(lite.tick_s, 2),
        "mails_per_s": round(sent / lite.tick_s, 1),
        "speedup": round(base_s / lite.tick_s, 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "database": "sqlite",
        "duties": args.duties,
        "notices": args.notices,
        "reminders_planned": lite.planned,
        "plan_pure_s": round(lite.pure_s, 2),
        "mails": sent,
        "reminders_sent": lite.report.reminders,
        "digests": lite.report.digests,
        "compose_s": round(lite.compose_s, 2),
        "smtp_s": round(lite.send_s, 2),
        "baseline_s": round(base_s, 2),
    }
    if pg is not None:
        figures |= {
            "pg_plan_s": round(pg.plan_s, 2),
            "pg_tick_s": round(pg.tick_s, 2),
            "pg_mails_per_s": round(pg.report.sent / pg.tick_s, 1),
        }
    for key, value in (("plan_s", lite.plan_s), ("tick_s", lite.tick_s), ("peak_rss_mb", peak_rss_mb)):
        print(f"goal {key} < {GOALS[key]:g}: {value:.2f}, {'met' if value < GOALS[key] else 'NOT MET'}")
    print(
        f"goal >= {args.duties:,} mails in the tick: {sent:,}, {'met' if sent >= args.duties else 'NOT MET'}"
    )
    print(
        f"speedup = baseline / tick = {base_s:.2f} s / {lite.tick_s:.2f} s = {base_s / lite.tick_s:.3f} (above 1 is better)"
    )
    print(f"peak RSS of this process, the sink's not included: {peak_rss_mb:.1f} MB")
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(json.dumps(figures))
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
