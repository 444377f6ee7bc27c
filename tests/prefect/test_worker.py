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


def test_the_dispatcher_builds_one_tls_context_and_verifies_only_where_there_is_tls() -> None:
    import ssl

    from engine.adapters.prefect.dispatcher import PrefectDispatcher

    def contexts(url: str) -> list[ssl.SSLContext]:
        dispatcher = PrefectDispatcher(lambda: None, api_url=url)  # type: ignore[arg-type,return-value]
        seen = []
        for _ in range(2):  # two clients, as two dispatches make; no request is sent
            with dispatcher._client() as client:
                seen.append(client._client._transport._pool._ssl_context)
        return seen

    plain, secure = contexts("http://127.0.0.1:4200/api"), contexts("https://prefect.example/api")
    assert plain[0] is plain[1] and secure[0] is secure[1]  # one context for every client
    assert plain[0].verify_mode == ssl.CERT_NONE
    assert secure[0].verify_mode == ssl.CERT_REQUIRED
