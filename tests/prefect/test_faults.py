"""Kills from outside at seeded random moments during a small load through a real Prefect: a worker's process
group, and the Prefect server itself. After recovery (a new worker or a restarted server, and the reconciler,
as `banfa up` under systemd and the scheduler would do), the invariants hold: every duty's stage is done with
each document once, no transition is lost or doubled, and no run is left Running for work that ended.

The moment of each kill comes from BANFA_FAULT_SEED (default below), printed in every failure message, so that
a failing moment can be replayed.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL, temporary_settings

from engine.adapters.sql import schema
from engine.adapters.sql.migrate import migrate
from engine.bootstrap import Workflow, load_rules, open_workflow
from engine.domain.workflow.machine import MACHINE_WORK
from engine.domain.workflow.model import State
from engine.entrypoints.demo import START, setup_people
from engine.entrypoints.prefect.local import LocalPrefect, banfa_environment, free_port
from engine.services import workflow as wf
from engine.services.notices import ingest_notice
from tests.support import databases
from tests.support.workflows import settings_for

pytestmark = pytest.mark.slow
SEED = int(os.environ.get("BANFA_FAULT_SEED", "20071211"))
DUTIES = 8
STALL_S = 3  # a run a worker took and left silent this long is lost (the setting's test value)


class Load:
    """A Banfa database with the seed's people, a local Prefect over it, and the duties started through it."""

    def __init__(self, folder: Path, url: str | None = None, prefect_database: str | None = None) -> None:
        url = url or f"sqlite:///{folder / 'banfa.db'}"
        self.settings = settings_for(url, folder)
        self.local_flow = open_workflow(self.settings)
        migrate(self.local_flow.db_engine)
        catalogue = next(c for c in load_rules(self.settings).catalogues() if c.notice.id == "sfb2007-129")
        setup_people(self.local_flow, catalogue)
        ingest_notice(catalogue, actor="admin", now=START, ports=self.local_flow.ports)
        self.specs = [d for d in catalogue.duties if d.lead][:DUTIES]
        self.prefect = LocalPrefect(
            folder / "prefect", free_port(0), banfa_environment(self.settings), database_url=prefect_database
        )
        self.remote: Workflow | None = None

    def up(self) -> None:
        self.prefect.start_server()
        self.prefect.deploy()
        wired = self.settings.model_copy(
            update={"prefect_api_url": self.prefect.api_url, "prefect_stall_seconds": STALL_S}
        )
        self.remote = open_workflow(wired)

    def worker(self, name: str) -> int:
        """Start a worker; return its process group."""
        return self.prefect.start_worker(name=name, extra={"BANFA_DATABASE_URL": self._url()}, limit=4).pid

    def _url(self) -> str:
        return self.local_flow.db_engine.url.render_as_string(hide_password=False)

    def start(self, specs: list[object]) -> None:
        assert self.remote is not None
        for spec in specs:
            lead = spec.lead  # type: ignore[attr-defined]
            wf.start_duty(
                spec.id,  # type: ignore[attr-defined]
                actor=f"officer-{lead}",
                now=START,
                ports=self.remote.ports,
                dispatcher=self.remote.dispatcher,
            )

    def settled(self) -> bool:
        with self.local_flow.ports.uow() as uow:
            duties = [uow.duties.get(s.id) for s in self.specs]
        return all(d.machine_done == d.stage_version for d in duties)

    def recover(self, timeout: float = 120) -> None:
        """Reconcile, as the scheduler does, until every duty's stage is done and no run is in flight."""
        assert self.remote is not None
        deadline = time.monotonic() + timeout
        while True:
            self.remote.dispatcher.reconcile(dt.datetime.now(dt.UTC))
            with self.local_flow.ports.uow() as uow:
                flying = uow.dispatches.in_flight()
            if self.settled() and not flying:
                return
            assert time.monotonic() < deadline, f"no recovery in {timeout} s (seed {SEED})"
            time.sleep(1)

    def check(self) -> None:
        """The invariants after recovery."""
        e, d = schema.events, schema.documents
        with self.local_flow.db_engine.connect() as conn:
            starts = Counter(conn.execute(sa.select(e.c.duty_id).where(e.c.action == "start")).scalars())
            made = Counter(tuple(r) for r in conn.execute(sa.select(d.c.duty_id, d.c.kind, d.c.variant)))
            versions = set(conn.execute(sa.select(d.c.version)).scalars())
            keys = [r for r in conn.execute(sa.select(schema.dispatches.c.flow_run_id)).scalars() if r]
        ids = [s.id for s in self.specs]
        assert starts == Counter(ids), f"a start lost or doubled (seed {SEED})"
        kinds = {k.value for k in MACHINE_WORK[State.DRAFTING]}
        assert made == Counter({(i, k, ""): 1 for i in ids for k in kinds}), f"documents (seed {SEED})"
        assert versions == {1}, f"a document stored twice (seed {SEED})"
        with (
            temporary_settings({PREFECT_API_URL: self.prefect.api_url}),
            get_client(sync_client=True) as client,
        ):
            states = [client.read_flow_run(UUID(k)).state for k in keys]
        left = [s.type for s in states if s is not None and s.type in (StateType.RUNNING, StateType.PENDING)]
        assert not left, f"runs left {left} for work that ended (seed {SEED})"

    def close(self) -> None:
        self.prefect.stop()
        self.local_flow.db_engine.dispose()
        if self.remote is not None:
            self.remote.db_engine.dispose()


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Load]:
    yield from _loaded(Load(tmp_path))


@pytest.fixture
def load_on_postgresql(tmp_path: Path, prefect_database: str) -> Iterator[Load]:
    """The scale-out's databases: Banfa on a fresh PostgreSQL schema, the Prefect server on its own database."""
    yield from _loaded(Load(tmp_path, databases.scratch_database().schema_url(), prefect_database))


def _loaded(made: Load) -> Iterator[Load]:
    try:
        made.up()
        yield made
    finally:
        made.close()


def _at_random(what: str, low: float, high: float) -> float:
    moment = random.Random(f"{SEED}:{what}").uniform(low, high)
    print(f"{what} at {moment:.2f} s (seed {SEED})")
    return moment


def test_a_worker_killed_from_outside_at_a_random_moment_loses_and_duplicates_nothing(load: Load) -> None:
    group = load.worker("doomed")
    load.start(load.specs)
    time.sleep(_at_random("the worker's kill", 0.0, 4.0))
    os.killpg(group, signal.SIGKILL)
    load.worker("healthy")
    load.recover()
    load.check()


@pytest.mark.parametrize("databases_of", ["sqlite", "postgresql"])
def test_the_prefect_server_killed_under_load_and_started_again_loses_nothing(
    request: pytest.FixtureRequest, databases_of: str
) -> None:
    """On the embedded default (SQLite for both), and on the scale-out's PostgreSQL for both."""
    load: Load = request.getfixturevalue("load" if databases_of == "sqlite" else "load_on_postgresql")
    load.worker("steady")
    half = len(load.specs) // 2
    load.start(load.specs[:half])
    time.sleep(_at_random("the server's kill", 0.0, 3.0))
    assert load.prefect.server is not None
    load.prefect.server.kill()  # SIGKILL: no shutdown of its own
    load.prefect.server.wait()
    load.start(load.specs[half:])  # actions during the outage commit; their dispatch waits for the reconciler
    load.prefect.start_server()  # the same database and port, as systemd would restart it
    for process in load.prefect.workers:  # a worker that gave up while the server was gone is started again
        if process.poll() is not None and "worker" in " ".join(map(str, process.args)):  # type: ignore[arg-type]
            load.worker("restarted")
            break
    load.recover()
    load.check()
