"""Two processes acting on one duty at once: one wins, the other gets a clear conflict, nothing is half-written."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

from engine.bootstrap import open_workflow
from engine.domain.workflow.model import State
from engine.errors import ConcurrencyConflict
from tests.support.workflows import SAMPLE, at, settings_for, workflow_with_people


def _act(url: str, data_dir: str, action: str, barrier: Barrier, results: multiprocessing.Queue[str]) -> None:
    """Load the duty, wait until the other process has loaded it too, then act and commit.

    Neither can hold its transaction open for the other: SQLite's BEGIN IMMEDIATE and PostgreSQL's row lock
    make the second writer wait for the first, then find the version it read is gone.
    """
    workflow = open_workflow(settings_for(url, Path(data_dir)), migrate_embedded=False)
    try:
        with workflow.ports.uow() as uow:
            duty = uow.duties.get(SAMPLE)
        barrier.wait(timeout=30)
        if action == "start":
            duty.start("zhang", at("2007-09-11"))
        else:
            duty.withdraw("office", at("2007-09-11"), "与他项合并")
        with workflow.ports.uow() as uow:  # both read version 1; the database orders the two writes
            uow.duties.save(duty)
            uow.commit()
        results.put(f"{action}:ok")
    except ConcurrencyConflict:
        results.put(f"{action}:conflict")
    except Exception as exc:
        results.put(f"{action}:error:{type(exc).__name__}:{exc}")
    finally:
        workflow.db_engine.dispose()


def test_of_two_concurrent_actions_on_one_duty_one_wins_and_nothing_is_half_written(
    database_url: str, tmp_path: Path
) -> None:
    workflow, _ = workflow_with_people(database_url, tmp_path)
    workflow.db_engine.dispose()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_act, args=(database_url, str(tmp_path), a, barrier, results))
        for a in ("start", "withdraw")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert [o.split(":")[1] for o in outcomes].count("ok") == 1, outcomes
    assert [o.split(":")[1] for o in outcomes].count("conflict") == 1, outcomes
    with workflow.ports.uow() as uow:
        duty = uow.duties.get(SAMPLE)
    winner = next(o.split(":")[0] for o in outcomes if o.endswith(":ok"))
    assert duty.state is (State.DRAFTING if winner == "start" else State.WITHDRAWN)
    assert [e.action for e in duty.events] == ["ingest", winner]
    assert duty.version == 2
    workflow.db_engine.dispose()
