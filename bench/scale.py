"""Benchmark Banfa at scale on PostgreSQL: ten notices' duties through the whole procedure by two workers.

1. The baseline: the 2007 replay (engine.entrypoints.demo) of `--copies` notices (the seed and copies of it
   under new ids: 10 × 22 = 220 duties), with the in-process dispatcher, on a fresh PostgreSQL database.
2. The same replay through Prefect as the scale-out runs it: a Prefect server on its own PostgreSQL database,
   the deployment and `--workers` Banfa workers, Banfa on another fresh PostgreSQL database,
   `--parallel` duties driven at once.

Figures (the last line is one JSON object):
- `overhead_per_transition_s` = (Prefect time − in-process time) / state transitions (goal ≤ 0.3 s);
- `transitions_per_s` = transitions / Prefect time (goal ≥ 5 with 2 workers on 2 cores);
- `action_to_document_p95_s`: over every action that dispatched machine work during the load, the time from
  the action until the stage's documents were all stored (so an upper bound on the first one; goal ≤ 5 s);
- `prefect_db_bytes_per_duty`: the Prefect database's growth over the load, per duty; then its size per duty
  once the retention (`BANFA_PREFECT_RETENTION_DAYS`) has pruned the runs, aged past it here by SQL;
- where Prefect's time goes: flow runs, task runs per flow run, events and logs per flow run, and the runs'
  medians from creation to a worker's claim (Pending), from the claim to Running, and from Running to the end;
- `speedup` = in-process time / Prefect time (below 1: the baseline does the same work with no orchestration).

    python bench/scale.py [--copies 10] [--workers 2] [--limit 6] [--parallel 12] [--server postgresql://…]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from scratch import scratch_database  # noqa: E402  (bench/ is the script's folder)

import engine.entrypoints.demo as demo  # noqa: E402
from engine.adapters.sql import schema  # noqa: E402
from engine.adapters.sql.migrate import migrate  # noqa: E402
from engine.bootstrap import open_workflow  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.entrypoints.prefect.local import LocalPrefect, banfa_environment, free_port  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# How often a waiting driver thread looks at its duty: the replay's 0.05 s, times a dozen threads each loading
# a duty, took a fifth of the machine from the system it measures.
POLL_S = 0.25
VACUUM_LOOP_S = "5"  # the bench's own: Prefect's db_vacuum runs hourly


class TimedSettled(demo.Settled):
    """The replay's waiting dispatcher, timing each action that had machine work until the work was done."""

    latencies: ClassVar[list[float]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.poll = POLL_S

    def advance(self, duty_id: str, now: object) -> None:  # type: ignore[override]
        started = time.perf_counter()
        with self.ports.uow() as uow:
            pending = demo.work_for(uow.duties.get(duty_id), now) is not None  # type: ignore[arg-type]
        super().advance(duty_id, now)  # type: ignore[arg-type]
        if pending:
            with self.lock:
                self.latencies.append(time.perf_counter() - started)


def _replay(settings: Settings, parallel: int, copies: int) -> tuple[float, int]:
    workflow = open_workflow(settings)
    migrate(workflow.db_engine)
    started = time.perf_counter()
    demo.replay(workflow, settings, parallel=parallel, copies=copies)
    elapsed = time.perf_counter() - started
    e = schema.events
    with workflow.db_engine.connect() as conn:
        moved = conn.execute(sa.select(sa.func.count()).select_from(e).where(e.c.from_state != e.c.to_state))
        transitions = int(moved.scalar_one())
    workflow.db_engine.dispose()
    return elapsed, transitions


def _prefect_db(url: str) -> sa.Engine:
    return sa.create_engine(
        sa.make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )


def _size(db: sa.Engine) -> int:
    with db.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())


def _counts(db: sa.Engine) -> dict[str, int]:
    with db.connect() as conn:
        return {
            t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one())
            for t in ("flow_run", "task_run", "log", "artifact", "events", "flow_run_state", "task_run_state")
        }


def _wait_final(db: sa.Engine, timeout: float = 120) -> None:
    """Wait until every flow run has ended (the last ones write their artifacts after the replay's answer)."""
    deadline = time.monotonic() + timeout
    with db.connect() as conn:
        while time.monotonic() < deadline:
            live = conn.exec_driver_sql(
                "SELECT count(*) FROM flow_run WHERE state_type NOT IN ('COMPLETED','FAILED','CRASHED','CANCELLED')"
            ).scalar_one()
            if not live:
                return
            time.sleep(0.5)


def _timings(db: sa.Engine) -> dict[str, float]:
    """Medians over the runs: created → claimed by a worker (Pending), claimed → running, running → ended."""
    with db.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT extract(epoch FROM p.timestamp - r.created), extract(epoch FROM r.start_time - p.timestamp),"
            " extract(epoch FROM r.end_time - r.start_time)"
            " FROM flow_run r JOIN flow_run_state p ON p.flow_run_id = r.id AND p.type = 'PENDING'"
            " WHERE r.start_time IS NOT NULL AND r.end_time IS NOT NULL"
        ).all()
    return {
        name: statistics.median(float(r[i]) for r in rows)
        for i, name in enumerate(("claim", "start", "running"))
    }


def _prune(db: sa.Engine, timeout: float = 120) -> float:
    """Age every run and event past the retention, wait for the server's vacuum to delete them, VACUUM FULL."""
    with db.connect() as conn:
        conn.exec_driver_sql("UPDATE flow_run SET end_time = end_time - interval '400 days'")
        conn.exec_driver_sql("UPDATE events SET occurred = occurred - interval '400 days'")
        conn.exec_driver_sql("UPDATE event_resources SET occurred = occurred - interval '400 days'")
    started = time.monotonic()
    while _counts(db)["flow_run"] and time.monotonic() - started < timeout:
        time.sleep(1)
    with db.connect() as conn:
        conn.exec_driver_sql("VACUUM FULL")
    return time.monotonic() - started


def _through_prefect(folder: Path, server: str, args: argparse.Namespace) -> dict[str, object]:
    with scratch_database(server) as banfa_url, scratch_database(server, "postgresql+asyncpg") as prefect_url:
        settings = Settings(
            data_dir=folder / "prefect-data", database_url=SecretStr(banfa_url), demo_contacts=True
        ).resolved()
        local = LocalPrefect(
            folder / "prefect-home",
            free_port(0),
            banfa_environment(settings),
            database_url=prefect_url,
            retention_days=1,
        )
        db = _prefect_db(prefect_url)
        os.environ["PREFECT_SERVER_SERVICES_DB_VACUUM_LOOP_SECONDS"] = VACUUM_LOOP_S
        try:
            local.start_server()
            local.deploy()
            wired = {"BANFA_DATABASE_URL": banfa_url}
            for n in range(args.workers):
                local.start_worker(name=f"bench-{n}", extra=wired, limit=args.limit)
            empty = _size(db)
            demo.Settled = TimedSettled  # type: ignore[misc]
            prefect_s, transitions = _replay(
                settings.model_copy(update={"prefect_api_url": local.api_url}), args.parallel, args.copies
            )
            _wait_final(db)
            loaded, counts = _size(db), _counts(db)
            timings = _timings(db)
            prune_s = _prune(db)
            pruned, left = _size(db), _counts(db)
        finally:
            local.stop()
            db.dispose()
    return {
        "prefect_s": prefect_s,
        "transitions": transitions,
        "empty": empty,
        "loaded": loaded,
        "pruned": pruned,
        "counts": counts,
        "left": left,
        "timings": timings,
        "prune_s": prune_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=10, help="notices: the seed and copies of it")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=6, help="flow runs at once per worker")
    parser.add_argument("--parallel", type=int, default=12, help="duties driven at once")
    parser.add_argument("--server", default=os.environ.get("BANFA_BENCH_DATABASE_URL", SERVER))
    args = parser.parse_args()
    duties = 22 * args.copies
    with tempfile.TemporaryDirectory(prefix="banfa-scale-") as tmp:
        folder = Path(tmp)
        with scratch_database(args.server) as url:
            baseline = Settings(data_dir=folder / "inproc", database_url=SecretStr(url), demo_contacts=True)
            inproc_s, transitions = _replay(baseline.resolved(), args.parallel, args.copies)
        print(f"in-process on PostgreSQL: {duties} duties, {transitions} transitions in {inproc_s:.1f} s")
        p = _through_prefect(folder, args.server, args)
    if p["transitions"] != transitions:
        raise SystemExit(f"the replay through Prefect made {p['transitions']} transitions, not {transitions}")
    prefect_s = float(p["prefect_s"])  # type: ignore[arg-type]
    counts: dict[str, int] = p["counts"]  # type: ignore[assignment]
    latencies = sorted(TimedSettled.latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    runs = counts["flow_run"]
    figures = {
        "duties": duties,
        "notices": args.copies,
        "workers": args.workers,
        "parallel": args.parallel,
        "transitions": transitions,
        "in_process_s": round(inproc_s, 1),
        "prefect_s": round(prefect_s, 1),
        "overhead_per_transition_s": round((prefect_s - inproc_s) / transitions, 3),
        "transitions_per_s": round(transitions / prefect_s, 2),
        "action_to_document_p95_s": round(p95, 2),
        "action_to_document_p50_s": round(statistics.median(latencies), 2),
        "actions_timed": len(latencies),
        "flow_runs": runs,
        "task_runs_per_flow_run": round(counts["task_run"] / runs, 1),
        "events_per_flow_run": round(counts["events"] / runs, 1),
        "logs_per_flow_run": round(counts["log"] / runs, 1),
        "states_per_flow_run": round((counts["flow_run_state"] + counts["task_run_state"]) / runs, 1),
        "run_claim_median_s": round(p["timings"]["claim"], 2),  # type: ignore[index]
        "run_start_median_s": round(p["timings"]["start"], 2),  # type: ignore[index]
        "run_median_s": round(p["timings"]["running"], 2),  # type: ignore[index]
        "prefect_db_bytes_per_duty": round((int(p["loaded"]) - int(p["empty"])) / duties),  # type: ignore[call-overload]
        "prefect_db_bytes_per_duty_after_retention": round((int(p["pruned"]) - int(p["empty"])) / duties),  # type: ignore[call-overload]
        "flow_runs_after_retention": p["left"]["flow_run"],  # type: ignore[index]
        "retention_prune_s": round(float(p["prune_s"]), 1),  # type: ignore[arg-type]
        "speedup": round(inproc_s / prefect_s, 3),
    }
    for goal, ok in (
        ("overhead_per_transition_s <= 0.3", figures["overhead_per_transition_s"] <= 0.3),  # type: ignore[operator]
        ("transitions_per_s >= 5", figures["transitions_per_s"] >= 5),  # type: ignore[operator]
        ("action_to_document_p95_s <= 5", figures["action_to_document_p95_s"] <= 5),  # type: ignore[operator]
    ):
        print(f"goal {goal}: {'met' if ok else 'missed'}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
