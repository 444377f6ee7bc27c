"""Every step boundary of the drafting flow, in every stage that has machine work: a run that dies there is run
again, and the stage ends with exactly what a run that never died leaves (the same documents, byte for byte,
each once; the same steps; no event added).

The flows run as real Prefect flow runs (`prefect_test_harness`); the death is simulated in-process: the flow
raises at the boundary, where a killed process would stop, and the run is Crashed. The real SIGKILL of a worker
at each of these boundaries, through a Prefect deployment, is in test_flows.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import shutil
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect.testing.utilities import prefect_test_harness

import flows.drafting as drafting
from engine.adapters.sql import schema
from engine.adapters.sql.connection import make_engine
from engine.bootstrap import Workflow, open_workflow
from engine.domain.workflow.model import State
from tests.support.stages import STAGES, boundaries
from tests.support.workflows import SAMPLE, settings_for, workflow_with_people

pytestmark = [
    pytest.mark.slow,
    # Flow runs in this process leave Prefect's own API client sockets for the garbage collector (Prefect's code,
    # not Banfa's; the flows of the other tests run in worker processes, where nothing is collected this way).
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


class Nop:
    """A dispatcher that leaves the machine work pending, for the flow under test to do."""

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        pass

    def reconcile(self, now: dt.datetime) -> list[str]:
        return []


CASES = [(state, boundary) for state in STAGES for boundary in [*boundaries(state), "finish-stage"]]


class Crash(BaseException):
    """The run stops at a boundary, as a killed process would: not an Exception, so nothing handles it."""


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield
        LOOP.run_until_complete(LOOP.shutdown_asyncgens())
    with warnings.catch_warnings():  # collect Prefect's client sockets now, under the module's filter
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(scope="module")
def pending(tmp_path_factory: pytest.TempPathFactory) -> dict[State, tuple[Path, dt.datetime, int]]:
    """For each stage, a SQLite file with SAMPLE's work of that stage pending, its moment and stage version."""
    made = {}
    for state, actions in STAGES.items():
        folder = tmp_path_factory.mktemp(state.name.lower())
        workflow, _ = workflow_with_people(f"sqlite:///{folder / 'banfa.db'}", folder)
        for action in actions[:-1]:
            action(workflow.ports, workflow.dispatcher)
        now = actions[-1](workflow.ports, Nop())
        with workflow.ports.uow() as uow:
            duty = uow.duties.get(SAMPLE)
        assert duty.state is state and duty.machine_done != duty.stage_version
        with workflow.db_engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        workflow.db_engine.dispose()
        made[state] = (folder / "banfa.db", now, duty.stage_version)
    return made


def _copy(source: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Workflow:
    """A copy of a pending stage's database in `folder`, which the flow opens through the BANFA_* variables."""
    folder.mkdir()
    shutil.copyfile(source, folder / "banfa.db")
    url = f"sqlite:///{folder / 'banfa.db'}"
    monkeypatch.setenv("BANFA_DATA_DIR", str(folder))
    monkeypatch.setenv("BANFA_DATABASE_URL", url)
    monkeypatch.setenv("BANFA_DEMO_CONTACTS", "true")
    drafting._settings.cache_clear()
    drafting._ports.cache_clear()
    return open_workflow(settings_for(url, folder))


def _left(url: str) -> tuple[Counter[tuple[str, str, int, str]], list[str], int, int]:
    """What a stage left: its documents (kind, variant, version, checksum) counted, steps, events, machine_done."""
    db = make_engine(url)
    with db.connect() as conn:
        d, m = schema.documents, schema.machine_steps
        docs = Counter(
            tuple(r) for r in conn.execute(sa.select(d.c.kind, d.c.variant, d.c.version, d.c.checksum))
        )
        steps = sorted(conn.execute(sa.select(m.c.step, m.c.stage_version)).all())
        events = conn.execute(sa.select(sa.func.count()).select_from(schema.events)).scalar_one()
        done = conn.execute(
            sa.select(schema.duties.c.machine_done).where(schema.duties.c.id == SAMPLE)
        ).scalar_one()
    db.dispose()
    return docs, [f"{s}@{v}" for s, v in steps], int(events), int(done)  # type: ignore[return-value]


LOOP = asyncio.new_event_loop()  # one loop for every run: Prefect keeps its API client's connections per loop


def _run(now: dt.datetime, version: int) -> list[str]:
    run = drafting.advance_duty(SAMPLE, now.isoformat(), version)
    return LOOP.run_until_complete(run)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def undisturbed(
    harness: None,
    pending: dict[State, tuple[Path, dt.datetime, int]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[State, tuple[Counter[tuple[str, str, int, str]], list[str], int, int]]:
    """What each stage leaves when its run never dies."""
    left = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for state, (source, now, version) in pending.items():
            folder = tmp_path_factory.mktemp(f"clean-{state.name.lower()}") / "data"
            workflow = _copy(source, folder, monkeypatch)
            _run(now, version)
            workflow.db_engine.dispose()
            left[state] = _left(f"sqlite:///{folder / 'banfa.db'}")
    return left


@pytest.mark.parametrize(("state", "boundary"), CASES, ids=[f"{s.name.lower()}-{b}" for s, b in CASES])
def test_a_run_that_dies_at_a_step_boundary_is_run_again_and_leaves_what_an_undisturbed_run_leaves(
    state: State,
    boundary: str,
    pending: dict[State, tuple[Path, dt.datetime, int]],
    undisturbed: dict[State, tuple[Counter[tuple[str, str, int, str]], list[str], int, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, now, version = pending[state]
    workflow = _copy(source, tmp_path / "data", monkeypatch)
    url = f"sqlite:///{tmp_path / 'data' / 'banfa.db'}"

    def die_at(name: str) -> None:
        if name == boundary:
            raise Crash(name)

    monkeypatch.setattr(drafting, "_boundary", die_at)
    with pytest.raises(Crash):
        _run(now, version)
    assert (_left(url)[3] == version) is (
        boundary == "finish-stage"
    )  # only the last step marks the stage done

    monkeypatch.setattr(drafting, "_boundary", lambda name: None)
    _run(now, version)
    workflow.db_engine.dispose()
    left = _left(url)
    assert left == undisturbed[state]
    assert set(left[0].values()) == {1} and left[3] == version
