"""schemathesis against the JSON API's own OpenAPI schema: whatever a client sends that the schema admits (and
much that it does not), the portal answers without a server error. Requests carry an API token of the lead
department's officer, so that they reach the services rather than stop at the login."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from engine.bootstrap import open_workflow
from engine.config import Settings
from engine.entrypoints.web.app import create_app
from engine.services.accounts import mint_token
from tests.support.portal import SHANGHAI, Clock

TOKEN: list[str] = []


@pytest.fixture(scope="module")
def api_app(portal_var: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp("schema") / "var"
    shutil.copytree(portal_var, folder)
    workflow = open_workflow(Settings(data_dir=folder).resolved())
    TOKEN[:] = [mint_token("zhang", now=dt.datetime(2007, 9, 12, 9, tzinfo=SHANGHAI), ports=workflow.ports)]
    yield create_app(Settings(data_dir=folder), workflow=workflow, clock=Clock("2007-09-12T10:00"))
    workflow.db_engine.dispose()


def test_the_api_never_answers_with_a_server_error(api_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} >= {
        "GET /api/v1/tasks",
        "GET /api/v1/notices/{notice_id}",
        "GET /api/v1/duties/{duty_id}",
        "POST /api/v1/duties/{duty_id}/actions/{action}",
    }
    seen: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {TOKEN[0]}"})
            seen[response.status_code] += 1
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        no_server_error()
    # The cases reached the services: some were answered, some refused as the error groups say.
    assert sum(seen.values()) >= 80 and seen[200] > 0 and any(400 <= code < 500 for code in seen), seen
