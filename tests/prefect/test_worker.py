"""Banfa's worker leans on two details of Prefect's flow engine; a Prefect upgrade that moves them fails here.

The worker itself runs in tests/prefect/test_flows.py (several runs at once, a stop, kills at every boundary).
"""

from __future__ import annotations

import inspect

import prefect.flow_engine
from prefect.context import AsyncClientContext

from engine.entrypoints.prefect import worker
from engine.entrypoints.prefect.local import WORKER_TYPE


def test_the_engine_still_starts_the_suspension_observer_the_worker_replaces() -> None:
    source = inspect.getsource(prefect.flow_engine.BaseFlowRunEngine.setup_flow_run_suspension_request)
    assert "observe_flow_run_suspension(" in source
    original = prefect.flow_engine.observe_flow_run_suspension
    try:
        worker.run_in_process()
        replaced = prefect.flow_engine.observe_flow_run_suspension
        assert replaced is not original
        with replaced("run id", "request"):  # type: ignore[arg-type]
            pass
    finally:
        prefect.flow_engine.observe_flow_run_suspension = original


def test_the_engine_takes_its_client_from_the_context_the_worker_enters() -> None:
    source = inspect.getsource(prefect.flow_engine.AsyncFlowRunEngine.initialize_run)
    assert "AsyncClientContext.get_or_create()" in source
    assert callable(AsyncClientContext.get_or_create)


def test_the_worker_is_of_the_pool_type_banfa_up_creates() -> None:
    assert worker.BanfaWorker.type == WORKER_TYPE
