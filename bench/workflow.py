"""Benchmark the workflow through Prefect against the in-process dispatcher, in one run.

1. The seed replay (engine.entrypoints.demo) with the in-process dispatcher: the baseline.
2. A local Prefect as `banfa up` starts it (SQLite server, prefect.yaml deployment, one Banfa worker), warmed
   by one run; then `start_to_first_draft_s`: from an officer's `start` to the stored 征求意见稿, median of three
   duties (goal ≤ 5 s).
3. The same replay through the deployment.

`overhead_per_transition_s` = (Prefect time − in-process time) / dispatched transitions (goal ≤ 0.3 s);
`slowdown` = Prefect time / in-process time; `speedup` = in-process time / Prefect time (the baseline is the
in-process run, so it is below 1). Both replays drive the same number of duties at once (`--parallel`).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from scratch import scratch_database  # noqa: E402  (bench/ is the script's folder)

from engine.adapters.sql import schema  # noqa: E402
from engine.bootstrap import load_rules, open_workflow  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.entrypoints.demo import START, Settled, replay, setup_people  # noqa: E402
from engine.entrypoints.prefect.local import LocalPrefect, local_prefect  # noqa: E402
from engine.services import workflow as wf  # noqa: E402
from engine.services.notices import ingest_notice  # noqa: E402

T = TypeVar("T")


def _settings(folder: Path, **update: object) -> Settings:
    return Settings(data_dir=folder, demo_contacts=True).resolved().model_copy(update=update)


def _replay(settings: Settings, parallel: int, duties: int | None) -> tuple[float, int, int]:
    workflow = open_workflow(settings)
    started = time.perf_counter()
    result = replay(workflow, settings, parallel=parallel, duties=duties)
    elapsed = time.perf_counter() - started
    with workflow.db_engine.connect() as conn:
        moved = conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.events)
            .where(schema.events.c.from_state != schema.events.c.to_state)
        ).scalar_one()
    return elapsed, int(moved), result.documents


def _first_drafts(settings: Settings, rounds: int = 3) -> list[float]:
    """Officers start duties one by one; time each until its first draft is stored."""
    workflow = open_workflow(settings)
    catalogue = next(c for c in load_rules(settings).catalogues() if c.notice.id == "sfb2007-129")
    setup_people(workflow, catalogue)
    ingest_notice(catalogue, actor="admin", now=START, ports=workflow.ports)
    settled = Settled(workflow.dispatcher, workflow.ports, poll=0.01)
    times = []
    for spec in catalogue.duties[: rounds + 1]:
        started = time.perf_counter()
        wf.start_duty(
            spec.id, actor=f"officer-{spec.lead}", now=START, ports=workflow.ports, dispatcher=settled
        )
        times.append(time.perf_counter() - started)
    return times[1:]  # the first warms the worker


@contextlib.contextmanager
def _prefect_database(server: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL database for the Prefect server when `server` names one, dropped afterwards."""
    if server is None:
        yield None
        return
    with scratch_database(server, "postgresql+asyncpg") as url:
        yield url


def _through_prefect(folder: Path, parallel: int, work: Callable[[Settings], T], server: str | None) -> T:
    local = local_prefect(_settings(folder), preferred_port=0)
    with _prefect_database(server) as database_url:
        local.database_url = database_url
        return _run(local, folder, parallel, work)


def _run(local: LocalPrefect, folder: Path, parallel: int, work: Callable[[Settings], T]) -> T:
    try:
        started = time.perf_counter()
        local.start_server()
        local.deploy()
        local.start_worker(limit=parallel)
        print(f"local Prefect up in {time.perf_counter() - started:.1f} s at {local.url}")
        return work(_settings(folder, prefect_api_url=local.api_url))
    finally:
        local.stop()


def _runs(settings: Settings) -> tuple[float, float]:
    """Medians over the replay's flow runs: created → Running (pick-up and start), Running → Completed."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    time.sleep(2)  # let the last runs write their end
    with temporary_settings({PREFECT_API_URL: settings.prefect_api_url}), get_client(sync_client=True) as c:
        runs = [r for n in range(0, 4000, 200) for r in c.read_flow_runs(limit=200, offset=n)]
    done = [r for r in runs if r.start_time and r.end_time]
    pickup = statistics.median((r.start_time - r.created).total_seconds() for r in done if r.created)
    running = statistics.median((r.end_time - r.start_time).total_seconds() for r in done)
    return pickup, running


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--duties", type=int, default=None, help="replay only the first N duties")
    parser.add_argument(
        "--prefect-database",
        default=None,
        help="run the Prefect server on PostgreSQL (a server URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="banfa-bench-") as tmp:
        folder = Path(tmp)
        inproc_s, transitions, documents = _replay(_settings(folder / "inproc"), args.parallel, args.duties)
        print(f"in-process: {inproc_s:.1f} s, {transitions} transitions, {documents} documents")
        # Two local Prefects, one after the other: the deployment names its data directory, and a new database
        # must not meet the dispatch keys of the old one.
        server = args.prefect_database
        firsts = _through_prefect(folder / "first", args.parallel, _first_drafts, server)
        print("start → first draft: " + ", ".join(f"{t:.2f} s" for t in firsts))
        prefect_s, moved, prefect_documents, (pickup, running) = _through_prefect(
            folder / "prefect",
            args.parallel,
            lambda s: (*_replay(s, args.parallel, args.duties), _runs(s)),
            server,
        )
    print(f"through Prefect: {prefect_s:.1f} s, {moved} transitions, {prefect_documents} documents")
    if (moved, prefect_documents) != (transitions, documents):
        raise SystemExit("the replay through Prefect did not give the in-process result")
    figures = {
        "prefect_server_db": "postgresql" if args.prefect_database else "sqlite",
        "duties": args.duties or 22,
        "parallel": args.parallel,
        "transitions": transitions,
        "in_process_s": round(inproc_s, 2),
        "prefect_s": round(prefect_s, 2),
        "overhead_per_transition_s": round((prefect_s - inproc_s) / transitions, 3),
        "start_to_first_draft_s": round(statistics.median(firsts), 2),
        "run_pickup_median_s": round(pickup, 2),
        "run_median_s": round(running, 2),
        "slowdown": round(prefect_s / inproc_s, 2),
        "speedup": round(inproc_s / prefect_s, 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
