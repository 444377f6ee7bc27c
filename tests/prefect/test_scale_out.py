"""The scale-out path: a Prefect server on PostgreSQL, Banfa on PostgreSQL, two workers on one pool.

Part of the seed replay runs through the deployment with several duties driven at once, and must give exactly
what the in-process replay gives (states, events, every document's bytes), with one flow run per dispatch.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL, temporary_settings
from pydantic import SecretStr

from engine.adapters.sql import schema
from engine.adapters.sql.connection import make_engine
from engine.adapters.sql.migrate import migrate
from engine.bootstrap import open_workflow
from engine.config import Settings
from engine.entrypoints.demo import DemoResult, replay
from engine.entrypoints.prefect.local import LocalPrefect, free_port
from tests.support import databases

pytestmark = pytest.mark.slow
DUTIES = 6


def _checksums(url: str) -> set[tuple[str, str, str, int, str]]:
    engine = make_engine(url)
    t = schema.documents
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.duty_id, t.c.kind, t.c.variant, t.c.version, t.c.checksum))
        result = {tuple(r) for r in rows}
    engine.dispose()
    return result  # type: ignore[return-value]


def _replay(settings: Settings, parallel: int) -> DemoResult:
    workflow = open_workflow(settings)
    try:
        migrate(workflow.db_engine)
        return replay(workflow, settings, parallel=parallel, duties=DUTIES)
    finally:
        workflow.db_engine.dispose()


def test_two_workers_run_every_stage_once_and_match_the_in_process_replay(
    prefect_database: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    base = {"BANFA_DATA_DIR": str(data), "BANFA_DEMO_CONTACTS": "true", "BANFA_DOCUMENT_STORE": "sql"}
    local = LocalPrefect(tmp_path / "prefect-home", free_port(0), base, database_url=prefect_database)
    banfa_url = databases.scratch_database().schema_url()
    try:
        local.start_server()
        local.deploy()
        for name in ("worker-a", "worker-b"):
            local.start_worker(name=name, extra={"BANFA_DATABASE_URL": banfa_url}, limit=3)
        remote = Settings(
            data_dir=data,
            database_url=SecretStr(banfa_url),
            demo_contacts=True,
            prefect_api_url=local.api_url,
        ).resolved()
        through_prefect = _replay(remote, parallel=DUTIES)
        with temporary_settings({PREFECT_API_URL: local.api_url}), get_client(sync_client=True) as client:
            deadline = time.monotonic() + 60
            while True:  # the last runs may still be writing their artifacts when the replay has its answer
                runs = [r for n in range(0, 2000, 200) for r in client.read_flow_runs(limit=200, offset=n)]
                if all(r.state and r.state.is_final() for r in runs) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
    finally:
        local.stop()

    inproc_url = f"sqlite:///{tmp_path / 'inproc.db'}"
    in_process = _replay(
        Settings(
            data_dir=tmp_path / "inproc", database_url=SecretStr(inproc_url), demo_contacts=True
        ).resolved(),
        parallel=1,
    )
    assert through_prefect == in_process and in_process.terminal == DUTIES
    assert _checksums(banfa_url) == _checksums(inproc_url)

    engine = make_engine(banfa_url)
    with engine.connect() as conn:
        keys = conn.execute(sa.select(schema.dispatches.c.key)).scalars().all()
    engine.dispose()
    per_key = Counter(r.idempotency_key for r in runs)
    assert sorted(per_key) == sorted(keys) and set(per_key.values()) == {1}  # one run per dispatch, no more
    assert {r.state.type for r in runs if r.state} == {StateType.COMPLETED}
