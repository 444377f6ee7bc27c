"""Benchmark the read models against the old status view: a person's tasks, one duty's page, the notice board.

Setup (not timed): the 22 duties of the seed catalogue (sfb2007-129) copied into 10,000 duties over 50
synthetic notices, one of which (`bench00`) holds 1,000. 市财政局 leads exactly 200 of them, spread over every
notice; the other leads take turns. The duties are built in memory with the domain's own transitions and stored
through the duty repository, one transaction a notice: a tenth each not started, drafting, in consultation
(window open, or ended with replies missing), revising with an opinion undecided, under review, in 集体审议 and
published, with the machine work done except for one duty in a hundred (系统生成中). Deadlines vary by notice,
so some duties are at risk and some overdue on the day of the views. One more duty of 市财政局 in `bench00` gets
a realistic history through the services and the in-process dispatcher: started, consulted (two departments
with opinions, one 无意见), closed, every opinion decided, submitted, returned by the legal office, consulted
again, with every document the stages made (征求意见稿, letters, 送审稿, …).

Timed, each `--repeat` times after two calls not counted, as p50 and p95 in milliseconds:
- `tasks_for` of that department's officer;
- `duty_page` of the duty with the history, as that officer;
- `notice_board` of `bench00` (1,000 duties);
- the baseline, in the same run: the old `status` view of `bench00` (`--baseline-repeat` times), which loads
  every duty aggregate. `speedup` = status p50 / board p50.
The board and the old view must agree on every duty's state, next stage and day, risk and lateness; the exit
status is non-zero when they do not. Goals on SQLite: p95 ≤ 30 ms for tasks and the page, ≤ 150 ms for the board.

Everything runs on a real SQLite file in a temporary directory; with BANFA_BENCH_DATABASE_URL (a PostgreSQL
server, e.g. postgresql://postgres@127.0.0.1:5432/postgres) it runs again on a fresh database there. Time is
an argument everywhere; the clock is read only to time the calls. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from scratch import scratch_database  # noqa: E402  (bench/ is the script's folder)

from engine.adapters.sql.migrate import migrate  # noqa: E402
from engine.bootstrap import Workflow, load_rules, open_workflow  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.domain.drafting.decisions import Decision, Legality  # noqa: E402
from engine.domain.intake.specs import (  # noqa: E402
    Catalogue,
    DutySpec,
    Track,
)
from engine.domain.ports import NoticeRecord  # noqa: E402
from engine.domain.workdays import WorkCalendar  # noqa: E402
from engine.domain.workflow.consultation import OpinionInput  # noqa: E402
from engine.domain.workflow.model import SHANGHAI, Duty  # noqa: E402
from engine.services import workflow as wf  # noqa: E402
from engine.services.accounts import add_user  # noqa: E402
from engine.services.board import notice_board, tasks_for  # noqa: E402
from engine.services.pages import duty_page  # noqa: E402
from engine.services.views import status  # noqa: E402

SEED = "sfb2007-129"
TODAY = dt.date(2025, 11, 17)  # a Monday
BIG = "bench00"
DEPARTMENT = "caizheng"  # 市财政局: leads exactly LED duties
LED = 200
OFFICER = "cz"
GOALS_MS = {"tasks": 30.0, "duty_page": 30.0, "board": 150.0}


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


# --- synthetic notices and duties ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Layout:
    """Which notice each duty goes to, and who leads it: `led` duties of DEPARTMENT spread evenly."""

    duties: int
    notices: int
    big: int

    def notice_of(self, i: int) -> int:
        if i < self.big:
            return 0
        rest = self.duties - self.big
        return 1 + (i - self.big) * (self.notices - 1) // rest

    def leads(self, others: list[str]) -> list[str]:
        step = self.duties / LED
        spread = 10 if step >= 10 else 1  # so that DEPARTMENT's duties take every state in turn
        mine = {int(k * step) + k % spread for k in range(LED)}
        leads, turn = [], 0
        for i in range(self.duties):
            if i in mine:
                leads.append(DEPARTMENT)
            else:
                leads.append(others[turn % len(others)])
                turn += 1
        return leads


def _spec(seed: DutySpec, duty_id: str, lead: str, deadline: dt.date, departments: list[str]) -> DutySpec:
    """The seed's duty under another lead: the lead is never its own co-department or consultee."""
    consultees = tuple(c for c in seed.consultees if c != lead) or (
        departments[0 if lead != departments[0] else 1],
    )
    return dataclasses.replace(
        seed,
        id=duty_id,
        lead=lead,
        co_departments=tuple(c for c in seed.co_departments if c != lead),
        consultees=consultees,
        officer="",
        deadline=deadline,
        last_working_day=deadline,
    )


def _progress(duty: Duty, i: int, calendar: WorkCalendar) -> None:
    """Move a new duty to the state its index picks, with the domain's own transitions."""
    day = calendar.add_workdays(TODAY, -45)
    duty.ingested("admin", _at(day, 9))
    stage = i % 10

    def step(action: Callable[[dt.datetime], None], back: int) -> None:
        action(_at(calendar.add_workdays(TODAY, -back)))
        if i % 100 != 42:  # one in a hundred still waits for the system's documents
            duty.mark_machine_done()

    if stage < 2:
        return
    step(lambda t: duty.start("cz", t), 40)
    if stage < 4:
        return
    opened = 3 if stage == 4 else 30
    step(lambda t: duty.open_consultation("cz", t, calendar, 7), opened)
    first = duty.spec.consultees[0]
    if stage == 4:
        duty.reply(first, "bench", _at(calendar.add_workdays(TODAY, -1)), ())
        return
    if stage == 5:
        return  # the window ended with every reply missing
    duty.reply(first, "bench", _at(calendar.add_workdays(TODAY, -25)), (OpinionInput("第二条", "建议细化"),))
    step(lambda t: duty.close_consultation("cz", t), 20)
    if stage == 6:
        return  # one opinion still undecided
    [opinion] = duty.undecided()
    duty.decide(opinion.id, Decision.ADOPTED, "", "cz", _at(calendar.add_workdays(TODAY, -18)))
    step(lambda t: duty.submit("cz", t), 15)
    if stage == 7:
        return
    step(lambda t: duty.review(Legality.LAWFUL, "", "fa", t), 8)
    if stage == 8:
        return
    step(lambda t: duty.deliberate(True, "office", t), 5)
    if duty.spec.track is Track.LEGISLATIVE:
        step(lambda t: duty.forward("cz", t), 2)
    else:
        published = calendar.add_workdays(TODAY, -2)
        step(lambda t: duty.publish(f"深财〔2025〕{i + 1}号", published, published, "cz", t), 2)


def populate(workflow: Workflow, seed: Catalogue, layout: Layout) -> str:
    """Store the notices and their duties, one transaction a notice; return the id of the duty of DEPARTMENT in
    BIG left not started for `with_history`, which three departments are to be consulted on."""
    ports, calendar = workflow.ports, workflow.ports.calendar
    departments = sorted(d.key for d in ports.registry)
    others = [k for k in departments if k != DEPARTMENT]
    leads = layout.leads(others)
    with ports.uow() as uow:
        uow.departments.sync(list(ports.registry))
        uow.commit()
    by_notice: dict[int, list[int]] = {}
    for i in range(layout.duties):
        by_notice.setdefault(layout.notice_of(i), []).append(i)
    ingested = _at(calendar.add_workdays(TODAY, -45), 9)
    history = next(i for i in range(layout.big) if leads[i] == DEPARTMENT and i % 10 < 2)
    for n, indices in by_notice.items():
        # from 25 working days ahead to 5 behind: late notices, tight ones, comfortable ones
        deadline = calendar.add_workdays(TODAY, 25 - (n * 7) % 31)
        info = dataclasses.replace(
            seed.notice, id=f"bench{n:02d}", number=f"深府办〔2025〕{n + 1}号", date=ingested.date()
        )
        with ports.uow() as uow:
            uow.notices.save(NoticeRecord(info, seed.coordinator, deadline, {}, ingested))
            for i in indices:
                spec = seed.duties[i % len(seed.duties)]
                spec = _spec(spec, f"{info.id}-{i:05d}-{leads[i]}", leads[i], deadline, departments)
                if i == history:
                    spec = dataclasses.replace(spec, consultees=tuple(others[:3]))
                duty = Duty.from_spec(spec, info.id)
                _progress(duty, i, calendar)
                uow.duties.add(duty)
            uow.commit()
    return f"{BIG}-{history:05d}-{DEPARTMENT}"


def add_people(workflow: Workflow, history: Duty) -> None:
    ports, now = workflow.ports, _at(TODAY - dt.timedelta(days=100))
    add_user("admin", "系统管理员", "maogong", ("admin",), now=now, ports=ports)
    add_user(OFFICER, "财政承办人", DEPARTMENT, ("officer",), now=now, ports=ports)
    add_user("fa", "法制办审核员", "fazhiban", ("reviewer",), now=now, ports=ports)
    add_user("office", "统筹协调员", "maogong", ("coordinator",), now=now, ports=ports)
    for key in history.spec.consultees:
        add_user(f"c-{key}", f"{key} 联络员", key, ("consultee",), now=now, ports=ports)


def with_history(workflow: Workflow, duty_id: str) -> int:
    """Drive one duty through two consultation rounds and a returned review, through the services; return the
    number of its events."""
    ports, dispatcher, calendar = workflow.ports, workflow.dispatcher, workflow.ports.calendar

    def at(back: int, hour: int = 10) -> dt.datetime:
        return _at(calendar.add_workdays(TODAY, -back), hour)

    def act(service: Callable[..., object], *args: object, actor: str = OFFICER, when: dt.datetime) -> None:
        service(duty_id, *args, actor=actor, now=when, ports=ports, dispatcher=dispatcher)

    with ports.reading() as uow:
        consultees = uow.duties.get(duty_id).spec.consultees
    act(wf.start_duty, when=at(40))
    act(wf.open_consultation, when=at(30))
    for n, key in enumerate(consultees):
        opinions = (
            ()
            if n == len(consultees) - 1
            else tuple(OpinionInput(f"第{k}条", "建议写明适用范围") for k in (2, 5))
        )
        wf.record_opinion(duty_id, opinions, actor=f"c-{key}", now=at(28 - n), ports=ports)
    act(wf.close_consultation, when=at(22))
    with ports.reading() as uow:
        undecided = [o.id for o in uow.duties.get(duty_id).undecided()]
    for n, opinion_id in enumerate(undecided):
        decision, reason = (Decision.ADOPTED, "") if n % 2 == 0 else (Decision.NOT_ADOPTED, "与上位法不一致")
        wf.decide_opinion(duty_id, opinion_id, decision, reason, actor=OFFICER, now=at(20, 11), ports=ports)
    act(wf.submit_for_review, when=at(18))
    act(wf.record_review, Legality.TO_AMEND, "第五条应当删除", actor="fa", when=at(12))
    act(wf.open_consultation, when=at(3))
    wf.record_opinion(duty_id, (), actor=f"c-{consultees[0]}", now=at(1), ports=ports)
    with ports.reading() as uow:
        return len(uow.duties.get(duty_id).events)


# --- timing --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Timing:
    p50_ms: float
    p95_ms: float
    calls: int


def timed(call: Callable[[], object], repeat: int) -> Timing:
    gc.collect()  # the setup's garbage is not the view's: each series starts from a clean heap
    for _ in range(2):
        call()
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(spent, n=20, method="inclusive")[-1] if len(spent) > 1 else spent[0]
    return Timing(statistics.median(spent), p95, repeat)


@dataclasses.dataclass(frozen=True)
class Run:
    database: str
    timings: dict[str, Timing]
    tasks: int
    documents: int
    events: int
    rows: int
    disagreements: list[str]


def _agree(workflow: Workflow) -> tuple[int, list[str]]:
    """The board and the old view of BIG, duty by duty: what differs."""
    ports = workflow.ports
    old = {
        r.duty_id: (r.state, r.next_stage, r.next_due, r.at_risk, r.overdue)
        for r in status(TODAY, ports=ports, notice_id=BIG)
    }
    board = notice_board(BIG, TODAY, ports=ports)
    new = {r.duty_id: (r.state, r.next_stage, r.next_due, r.at_risk, r.overdue) for r in board.rows}
    differ = [
        f"{k}: status {old.get(k)} / board {new.get(k)}"
        for k in sorted(old.keys() | new.keys())
        if old.get(k) != new.get(k)
    ]
    return len(board.rows), differ


def run(workflow: Workflow, settings: Settings, args: argparse.Namespace) -> Run:
    ports = workflow.ports
    name = workflow.db_engine.dialect.name
    seed = next(c for c in load_rules(settings).catalogues() if c.notice.id == SEED)
    layout = Layout(args.duties, args.notices, args.big)
    started = time.perf_counter()
    history_id = populate(workflow, seed, layout)
    with ports.reading() as uow:
        history = uow.duties.get(history_id)
    add_people(workflow, history)
    events = with_history(workflow, history_id)
    documents = len(ports.documents.versions(history_id))
    print(
        f"[{name}] setup (not timed): {args.duties:,} duties over {args.notices} notices ({BIG}: {args.big:,}),"
        f" {DEPARTMENT} leads {LED}; {history_id}: {events} events, {documents} documents;"
        f" {time.perf_counter() - started:.1f} s"
    )
    found = len(tasks_for(OFFICER, TODAY, ports=ports))
    timings = {
        "tasks": timed(lambda: tasks_for(OFFICER, TODAY, ports=ports), args.repeat),
        "duty_page": timed(lambda: duty_page(history_id, OFFICER, TODAY, ports=ports), args.repeat),
        "board": timed(lambda: notice_board(BIG, TODAY, ports=ports), args.repeat),
        "status": timed(lambda: status(TODAY, ports=ports, notice_id=BIG), args.baseline_repeat),
    }
    for key, what in (
        ("tasks", f"tasks_for({OFFICER!r}): {found} tasks"),
        ("duty_page", f"duty_page({history_id!r})"),
        ("board", f"notice_board({BIG!r}): {args.big:,} duties"),
        ("status", f"baseline: the old status view of {BIG!r}"),
    ):
        t = timings[key]
        print(f"[{name}] {what}: p50 {t.p50_ms:.1f} ms, p95 {t.p95_ms:.1f} ms over {t.calls} calls")
    rows, differ = _agree(workflow)
    workflow.db_engine.dispose()
    return Run(name, timings, found, documents, events, rows, differ)


def _postgres_run(server: str, settings: Settings, args: argparse.Namespace, folder: Path) -> Run:
    with scratch_database(server) as url:
        settings = settings.model_copy(
            update={"data_dir": folder / "postgresql", "database_url": SecretStr(url)}
        )
        workflow = open_workflow(settings)  # a server database is not migrated by itself
        migrate(workflow.db_engine)
        return run(workflow, settings, args)


def _figures(lite: Run, pg: Run | None, args: argparse.Namespace) -> dict[str, Any]:
    t = lite.timings
    figures: dict[str, Any] = {
        "tasks_p95_ms": round(t["tasks"].p95_ms, 2),
        "duty_page_p95_ms": round(t["duty_page"].p95_ms, 2),
        "board_p95_ms": round(t["board"].p95_ms, 2),
        "speedup": round(t["status"].p50_ms / t["board"].p50_ms, 2),
        "tasks_p50_ms": round(t["tasks"].p50_ms, 2),
        "duty_page_p50_ms": round(t["duty_page"].p50_ms, 2),
        "board_p50_ms": round(t["board"].p50_ms, 2),
        "status_p50_ms": round(t["status"].p50_ms, 2),
        "status_p95_ms": round(t["status"].p95_ms, 2),
        "database": "sqlite",
        "duties": args.duties,
        "notices": args.notices,
        "board_duties": lite.rows,
        "tasks": lite.tasks,
        "page_events": lite.events,
        "page_documents": lite.documents,
        "repeat": args.repeat,
        "baseline_repeat": args.baseline_repeat,
    }
    if pg is not None:
        p = pg.timings
        for key in ("tasks", "duty_page", "board", "status"):
            figures[f"pg_{key}_p50_ms"] = round(p[key].p50_ms, 2)
            figures[f"pg_{key}_p95_ms"] = round(p[key].p95_ms, 2)
        figures["pg_speedup"] = round(p["status"].p50_ms / p["board"].p50_ms, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duties", type=int, default=10_000)
    parser.add_argument("--notices", type=int, default=50)
    parser.add_argument("--big", type=int, default=1_000, help="duties of the notice on the board")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--baseline-repeat", type=int, default=5)
    args = parser.parse_args()
    server = os.environ.get("BANFA_BENCH_DATABASE_URL")
    pg: Run | None = None
    with tempfile.TemporaryDirectory(prefix="banfa-bench-") as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "sqlite", demo_contacts=True).resolved()
        lite = run(open_workflow(settings), settings, args)
        if server:
            pg = _postgres_run(server, settings, args, folder)
    t = lite.timings
    for key, goal in GOALS_MS.items():
        p95 = t[key].p95_ms
        print(f"goal {key} p95 <= {goal:g} ms on SQLite: {p95:.1f} ms, {'met' if p95 <= goal else 'NOT MET'}")
    print(
        f"speedup = old status / board, p50, same notice: {t['status'].p50_ms:.1f} ms / {t['board'].p50_ms:.1f} ms"
        f" = {t['status'].p50_ms / t['board'].p50_ms:.1f}"
    )
    problems = [f"[{r.database}] {d}" for r in (lite, pg) if r is not None for d in r.disagreements]
    problems += [
        f"[{r.database}] the board has {r.rows} rows, not {args.big}"
        for r in (lite, pg)
        if r and r.rows != args.big
    ]
    for problem in problems[:20]:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(json.dumps(_figures(lite, pg, args)))
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
