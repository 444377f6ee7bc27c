"""The drafting flow through a real local Prefect: server, pool, deployment (prefect.yaml) and Banfa's workers.

One server for the module (SQLite, under a temporary PREFECT_HOME); each test starts its own workers against its
own Banfa database, passed to the worker's environment. The reliability tests kill a worker with SIGKILL at
every task boundary of a stage, then reconcile, and check that nothing was lost or done twice.
"""

from __future__ import annotations

import datetime as dt
import itertools
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL, temporary_settings

from engine.adapters.prefect.dispatcher import PrefectDispatcher
from engine.adapters.sql import schema
from engine.bootstrap import LocalDispatcher, Workflow, open_workflow
from engine.domain.drafting.decisions import Legality
from engine.domain.workflow.machine import MACHINE_WORK
from engine.domain.workflow.model import State
from engine.entrypoints.prefect.local import LocalPrefect, free_port
from engine.errors import MachineWorkPending
from engine.services import workflow as wf
from tests.support.stages import STAGES, boundaries
from tests.support.workflows import SAMPLE, at, workflow_with_people

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrefect]:
    data = tmp_path_factory.mktemp("banfa-data")
    base = {"BANFA_DATA_DIR": str(data), "BANFA_DEMO_CONTACTS": "true", "BANFA_DOCUMENT_STORE": "sql"}
    local = LocalPrefect(tmp_path_factory.mktemp("prefect-home"), free_port(0), base)
    try:
        local.start_server()
        local.deploy()
        yield local
    finally:
        local.stop()


def _wait(condition: Callable[[], bool], timeout: float = 90, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Setup:
    """A Banfa database with the seed and people, an in-process workflow and a Prefect one over it."""

    def __init__(self, prefect: LocalPrefect, url: str, folder: Path) -> None:
        self.prefect, self.url = prefect, url
        self.local, settings = workflow_with_people(url, folder)
        wired = settings.model_copy(update={"prefect_api_url": prefect.api_url, "prefect_stall_seconds": 0})
        self.remote: Workflow = open_workflow(wired)

    def worker(self, name: str, **extra: str) -> subprocess.Popen[bytes]:
        return self.prefect.start_worker(name=name, extra={"BANFA_DATABASE_URL": self.url, **extra})

    def duty(self, duty_id: str = SAMPLE):  # type: ignore[no-untyped-def]
        with self.local.ports.uow() as uow:
            return uow.duties.get(duty_id)

    def settled(self, duty_id: str = SAMPLE) -> bool:
        d = self.duty(duty_id)
        return d.machine_done == d.stage_version

    def rows(self, table: sa.Table, duty_id: str = SAMPLE) -> list[sa.Row[tuple[object, ...]]]:
        with self.local.db_engine.connect() as conn:
            return list(conn.execute(sa.select(table).where(table.c.duty_id == duty_id)))

    def latest(self, stage_version: int, duty_id: str = SAMPLE) -> str:
        """The key of the newest attempt dispatched for a stage version (a former database's run under the
        same key makes the dispatcher move to the next attempt, so the first is not always 0)."""
        rows = [r for r in self.rows(schema.dispatches, duty_id) if r.stage_version == stage_version]
        return max(rows, key=lambda r: r.attempt).key

    def runs(self, duty_id: str = SAMPLE) -> dict[str, StateType]:
        """The state of each dispatched run, by dispatch key."""
        with temporary_settings({PREFECT_API_URL: self.prefect.api_url}), get_client(sync_client=True) as c:
            return {
                r.key: c.read_flow_run(UUID(r.flow_run_id)).state.type  # type: ignore[union-attr]
                for r in self.rows(schema.dispatches, duty_id)
                if r.flow_run_id
            }


@pytest.fixture
def setup(prefect: LocalPrefect, tmp_path: Path) -> Iterator[Setup]:
    s = Setup(prefect, f"sqlite:///{tmp_path / 'banfa.db'}", tmp_path)
    yield s
    for worker in prefect.workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
            worker.wait(30)
    prefect.workers.clear()


def test_an_action_reaches_a_worker_which_makes_the_stage_documents_and_artifacts(setup: Setup) -> None:
    setup.worker("w1")
    wf.start_duty(
        SAMPLE,
        actor="zhang",
        now=at("2007-09-11"),
        ports=setup.remote.ports,
        dispatcher=setup.remote.dispatcher,
    )
    _wait(setup.settled, what="the drafting stage")
    kinds = sorted(r.kind for r in setup.rows(schema.documents))
    assert kinds == sorted(k.value for k in MACHINE_WORK[State.DRAFTING])
    [dispatch] = setup.rows(schema.dispatches)
    assert dispatch.key.startswith(f"{SAMPLE}:drafting:1:") and dispatch.flow_run_id
    _wait(lambda: setup.runs() == {dispatch.key: StateType.COMPLETED}, what="the run to complete")
    with temporary_settings({PREFECT_API_URL: setup.prefect.api_url}), get_client(sync_client=True) as c:
        artifacts = c.read_artifacts()
    summary = [a for a in artifacts if a.key == f"duty-{SAMPLE}" and a.type == "markdown"]
    assert summary and "起草中" in str(summary[-1].data) and "draft" in str(summary[-1].data)
    assert "本次运行生成：[" in str(summary[-1].data)  # this run's documents, linked
    # Dispatching the same stage again asks Prefect for the same run: the key is idempotent.
    setup.remote.dispatcher.advance(SAMPLE, at("2007-09-11"))
    assert len(setup.rows(schema.dispatches)) == 1


def test_one_worker_runs_several_duties_at_once_in_its_own_process_and_lets_them_finish_on_a_stop(
    setup: Setup,
) -> None:
    officers = {"caizheng": "zhang", "gongan": "wang"}
    with setup.local.ports.uow() as uow:
        led = [(d.id, officers[d.spec.lead]) for d in uow.duties.list() if d.spec.lead in officers]
    duties = [duty_id for duty_id, _ in led]
    assert len(duties) == 3
    for duty_id, officer in led:  # dispatched before the worker starts: its first poll takes all three
        wf.start_duty(
            duty_id,
            actor=officer,
            now=at("2007-09-11"),
            ports=setup.remote.ports,
            dispatcher=setup.remote.dispatcher,
        )
    worker = setup.prefect.start_worker(name="many", extra={"BANFA_DATABASE_URL": setup.url}, limit=4)

    def states() -> list[StateType]:
        return [state for duty_id in duties for state in setup.runs(duty_id).values()]

    _wait(lambda: any(s in {StateType.RUNNING, StateType.COMPLETED} for s in states()), what="a run to start")
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    worker.send_signal(signal.SIGINT)  # as `banfa up` stops it: the runs in flight finish first
    assert worker.wait(60) == 0
    assert children == []  # no process per run
    assert states() == [StateType.COMPLETED] * 3
    assert all(setup.settled(duty_id) for duty_id in duties)
    with temporary_settings({PREFECT_API_URL: setup.prefect.api_url}), get_client(sync_client=True) as c:
        runs = [
            c.read_flow_run(UUID(r.flow_run_id))
            for duty_id in duties
            for r in setup.rows(schema.dispatches, duty_id)
            if r.flow_run_id  # an attempt whose key a former test's run holds has none (Setup.latest)
        ]
    assert sorted(r.name for r in runs) == sorted(f"{duty_id}@1" for duty_id in duties)
    spans = sorted((r.start_time, r.end_time) for r in runs)
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))  # at once


KILLS = [(stage, boundary) for stage in STAGES for boundary in boundaries(stage)]


@pytest.mark.parametrize(("stage", "boundary"), KILLS, ids=[f"{s.name.lower()}-{b}" for s, b in KILLS])
def test_a_worker_killed_at_a_task_boundary_loses_nothing_and_duplicates_nothing(
    setup: Setup, stage: State, boundary: str
) -> None:
    """In every stage with machine work, at every step boundary before the last (finish-stage, below): the
    worker's process group is SIGKILLed there, the reconciler dispatches the work again to a healthy worker, and
    the stage ends with one new version of each of its documents, each step once, and no event added."""
    *before, last = STAGES[stage]
    for action in before:
        action(setup.local.ports, setup.local.dispatcher)
    made_before = Counter((r.kind, r.variant) for r in setup.rows(schema.documents))
    doomed = setup.worker("doomed", BANFA_KILL_AT=boundary)
    last(setup.remote.ports, setup.remote.dispatcher)
    assert doomed.wait(90) == -signal.SIGKILL
    duty = setup.duty()
    assert duty.state is stage and not setup.settled()
    events, first = len(duty.events), setup.latest(duty.stage_version)
    assert first.startswith(f"{SAMPLE}:{stage.name.lower()}:")
    _wait(lambda: setup.runs().get(first) is StateType.RUNNING, what="the killed run to be seen running")

    setup.worker("healthy")
    assert setup.remote.dispatcher.reconcile(dt.datetime.now(dt.UTC)) == [SAMPLE]
    _wait(setup.settled, what="the stage to finish after the reconcile")

    duty = setup.duty()
    assert duty.state is stage and len(duty.events) == events  # the rerun added no event
    made = Counter((r.kind, r.variant) for r in setup.rows(schema.documents)) - made_before
    assert {kind for kind, _ in made} == {k.value for k in MACHINE_WORK[stage]}
    assert set(made.values()) == {1}  # one new version of each, whatever the kill interrupted
    steps = [r.step for r in setup.rows(schema.machine_steps) if r.stage_version == duty.stage_version]
    assert sorted(steps) == sorted(k.value for k in MACHINE_WORK[stage])
    runs, again = setup.runs(), setup.latest(duty.stage_version)
    assert runs[first] is StateType.CRASHED and again != first
    _wait(lambda: setup.runs()[again] is StateType.COMPLETED, what="the second run to complete")
    # nothing more to do, but closing the consultation: its window has ended by today's clock
    assert setup.remote.dispatcher.reconcile(dt.datetime.now(dt.UTC)) == (
        [SAMPLE] if stage is State.CONSULTING else []
    )


@pytest.mark.parametrize("stage", list(STAGES), ids=lambda state: state.name.lower())
def test_a_worker_killed_after_finishing_a_stage_leaves_no_run_running(setup: Setup, stage: State) -> None:
    """In every stage with machine work: the stage's work was done and committed before the kill, so nothing is
    dispatched again; the run the worker left Running is marked Crashed by the reconciler's sweep, and is no
    longer in flight."""
    *before, last = STAGES[stage]
    for action in before:
        action(setup.local.ports, setup.local.dispatcher)
    doomed = setup.worker("doomed", BANFA_KILL_AT="finish-stage")
    last(setup.remote.ports, setup.remote.dispatcher)
    assert doomed.wait(90) == -signal.SIGKILL
    duty = setup.duty()
    assert duty.state is stage and setup.settled()
    events, first = len(duty.events), setup.latest(duty.stage_version)
    _wait(lambda: setup.runs().get(first) is StateType.RUNNING, what="the killed run to be seen running")

    redone = setup.remote.dispatcher.reconcile(dt.datetime.now(dt.UTC))
    # Nothing of this stage is done again. A consultation's window has ended by today's clock, so closing it is
    # dispatched next (and waits: no worker is left).
    assert redone == ([SAMPLE] if stage is State.CONSULTING else [])
    assert setup.runs()[first] is StateType.CRASHED
    assert StateType.RUNNING not in setup.runs().values()
    assert len(setup.duty().events) == events  # the reconcile changed nothing
    steps = [r.step for r in setup.rows(schema.machine_steps) if r.stage_version == duty.stage_version]
    assert sorted(steps) == sorted(k.value for k in MACHINE_WORK[stage])  # each once
    with setup.local.ports.uow() as uow:
        assert first not in {d.key for d in uow.dispatches.in_flight()}


def test_a_worker_killed_after_closing_a_window_leaves_it_closed_once(setup: Setup) -> None:
    p, d = setup.local.ports, setup.local.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    doomed = setup.worker("doomed", BANFA_KILL_AT="close-window")
    due = wf.close_due_consultations(
        at("2007-10-13", 9), ports=setup.remote.ports, dispatcher=setup.remote.dispatcher
    )
    assert due == [SAMPLE]
    assert doomed.wait(90) == -signal.SIGKILL
    duty = setup.duty()
    assert duty.state is State.REVISING and not setup.settled()  # closed in one transaction, table not made
    setup.worker("healthy")
    killed = setup.latest(duty.stage_version - 1)
    assert killed.startswith(f"{SAMPLE}:close:")
    _wait(lambda: setup.runs().get(killed) is StateType.RUNNING)
    assert setup.remote.dispatcher.reconcile(dt.datetime.now(dt.UTC)) == [SAMPLE]
    _wait(setup.settled, what="the adoption table")
    duty = setup.duty()
    assert [e.action for e in duty.events].count("close_consultation") == 1
    assert [r.kind for r in setup.rows(schema.documents)].count("adoption-table") == 1


def test_the_dispatcher_is_chosen_from_the_settings(tmp_path: Path) -> None:
    workflow, settings = workflow_with_people(f"sqlite:///{tmp_path / 'banfa.db'}", tmp_path)
    assert isinstance(workflow.dispatcher, LocalDispatcher)  # no Prefect server configured
    wired = open_workflow(settings.model_copy(update={"prefect_api_url": "http://127.0.0.1:9/api"}))
    assert (
        isinstance(wired.dispatcher, PrefectDispatcher)
        and wired.dispatcher.api_url == "http://127.0.0.1:9/api"
    )
    for flow in (workflow, wired):
        flow.db_engine.dispose()


def _refused_until_settled(s: Setup, act: Callable[[], object], what: str) -> None:
    """While the stage's run has not been picked up (no worker), the action that would end the stage is refused
    and changes nothing; once a worker has made the documents, it goes through."""
    before = s.duty()
    with pytest.raises(MachineWorkPending, match="系统正在生成本阶段文稿"):
        act()
    assert s.duty() == before, f"{what}: a refused action changed the duty"
    worker = s.worker(f"worker-{what}")
    _wait(s.settled, what=f"the documents before {what}")
    worker.send_signal(signal.SIGINT)
    worker.wait(30)
    act()


def test_no_stage_ends_before_its_documents_exist_through_a_prefect_deployment(setup: Setup) -> None:
    """start → consult, window end → submit, submit → review → deliberate, publish → file: with no worker
    running, every next step is refused until the stage's documents are made, and every stage ends up with
    them. (The window's end is machine work itself: the run that closes it makes the 意见采纳情况表.)"""
    s = setup
    p, d = s.remote.ports, s.remote.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    _refused_until_settled(
        s,
        lambda: wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d),
        "consult",
    )
    worker = s.worker("worker-close")
    _wait(s.settled, what="the consultation letters")
    wf.close_due_consultations(at("2007-10-13", 9), ports=p, dispatcher=d)  # the window ends: silence counts
    _wait(lambda: s.duty().state is State.REVISING and s.settled(), what="the closing and the adoption table")
    worker.send_signal(signal.SIGINT)
    worker.wait(30)
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-15"), ports=p, dispatcher=d)
    _refused_until_settled(
        s,
        lambda: wf.record_review(
            SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-22"), ports=p, dispatcher=d
        ),
        "review",
    )
    _refused_until_settled(
        s,
        lambda: wf.deliberate(SAMPLE, True, "", actor="office", now=at("2007-10-25"), ports=p, dispatcher=d),
        "deliberate",
    )
    wf.publish(
        SAMPLE, "深财〔2007〕35号", dt.date(2007, 10, 26), dt.date(2008, 1, 1), actor="zhang",
        now=at("2007-10-26"), ports=p, dispatcher=d,
    )  # fmt: skip
    _refused_until_settled(
        s,
        lambda: wf.file_duty(
            SAMPLE, dt.date(2007, 11, 2), actor="zhang", now=at("2007-11-02"), ports=p, dispatcher=d
        ),
        "file",
    )
    assert s.duty().state is State.FILED
    made = {r.kind for r in s.rows(schema.documents)}
    wanted = {k.value for kinds in MACHINE_WORK.values() for k in kinds}
    assert wanted <= made, f"stages without their documents: {sorted(wanted - made)}"
