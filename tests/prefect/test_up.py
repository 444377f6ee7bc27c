"""`banfa up` as a person runs it: it starts the stack (the scheduler among it), prints the URLs, serves a
dispatched duty, and stops every child on Ctrl-C; started again on the same data directory, it deploys again without complaint."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
from pydantic import SecretStr

from engine.bootstrap import open_workflow
from engine.config import Settings
from engine.services import workflow as wf
from tests.support import databases
from tests.support.mailbox import free_port
from tests.support.paths import ROOT
from tests.support.workflows import SAMPLE, at, workflow_with_people

pytestmark = pytest.mark.slow


def _up(
    data: Path, log: Path, portal: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "BANFA_DATA_DIR": str(data),
        "BANFA_DEMO_CONTACTS": "true",
        "BANFA_PORTAL_URL": portal,
    }
    environment.pop("BANFA_PREFECT_API_URL", None)
    environment.update(env or {})
    with log.open("w") as sink:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "engine", "up", *(args or ("--port", "0"))],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def _wait_for(log: Path, text: str, process: subprocess.Popen[str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text("utf-8") if log.exists() else ""
        if text in content:
            return content
        assert process.poll() is None, content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear:\n{log.read_text('utf-8')}")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _seeded(url: str, data: Path) -> Settings:
    """Settings of a database with the seed and its people in it."""
    workflow, settings = workflow_with_people(url, data)
    workflow.db_engine.dispose()
    return settings


def _api(content: str) -> str:
    return next(line.split("：", 1)[1].strip() for line in content.splitlines() if "Prefect API" in line)


def _dispatch_and_see_the_first_document(settings: Settings, api: str, auth: str | None = None) -> None:
    """Start SAMPLE through the Prefect API, as the portal would, and wait for its first document's row."""
    wired = settings.model_copy(
        update={"prefect_api_url": api, "prefect_auth_string": SecretStr(auth) if auth else None}
    )
    workflow = open_workflow(wired)
    try:
        wf.start_duty(
            SAMPLE, actor="zhang", now=at("2007-09-11"), ports=workflow.ports, dispatcher=workflow.dispatcher
        )
        deadline = time.monotonic() + 90
        while not workflow.ports.documents.versions(SAMPLE):
            assert time.monotonic() < deadline, "no document was made"
            time.sleep(0.2)
    finally:
        workflow.db_engine.dispose()


@pytest.mark.parametrize("rounds", [2])
def test_up_starts_the_stack_and_ctrl_c_stops_it_cleanly(tmp_path: Path, rounds: int) -> None:
    data = tmp_path / "var"
    portal = f"http://127.0.0.1:{free_port()}/banfa"
    data.mkdir()
    seeded = _seeded(f"sqlite:///{data / 'banfa.db'}", data)  # the file `banfa up` opens
    for n in range(rounds):  # the second start meets an existing pool, deployment and database
        log = tmp_path / f"up-{n}.log"
        up = _up(data, log, portal)
        content = _wait_for(log, "按 Ctrl-C 停止", up)
        api = _api(content)
        with urllib.request.urlopen(f"{api}/health", timeout=5) as reply:
            assert reply.status == 200
        assert (data / "prefect" / "prefect.db").exists()
        children = _children(up.pid)
        assert len(children) == 4  # server, worker, scheduler, portal
        if n == 0:
            _dispatch_and_see_the_first_document(seeded, api)
        assert f"门户：{portal}" in content
        with urllib.request.urlopen(f"{portal}/healthz", timeout=5) as reply:
            assert reply.status == 200
        with urllib.request.urlopen(f"{portal}/login", timeout=5) as reply:
            assert "登录" in reply.read().decode("utf-8")
        scheduler_log = data / "prefect" / "scheduler.log"
        deadline = time.monotonic() + 60
        while (scheduler_log.read_text("utf-8") if scheduler_log.exists() else "").count("调度器已启动") <= n:
            assert time.monotonic() < deadline, scheduler_log.read_text("utf-8")
            time.sleep(0.2)
        up.send_signal(signal.SIGINT if n == 0 else signal.SIGTERM)  # Ctrl-C, then a service manager's stop
        assert up.wait(60) == 0, log.read_text("utf-8")
        assert "已停止" in log.read_text("utf-8")
        assert not [pid for pid in children if _alive(pid)]


def test_up_refuses_a_taken_portal_port_before_starting_anything(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        log = tmp_path / "up.log"
        up = _up(tmp_path / "var", log, f"http://127.0.0.1:{port}")
        assert up.wait(60) == 1
    said = log.read_text("utf-8")
    assert f"门户地址 127.0.0.1:{port} 无法使用" in said and "BANFA_PORTAL_URL" in said
    assert not (tmp_path / "var" / "prefect" / "prefect.db").exists()  # nothing was started


def test_the_parts_run_apart_on_loopback_and_a_protected_server_serves_a_duty(
    prefect_database: str, tmp_path: Path
) -> None:
    """A server machine, a worker machine and a machine for the scheduler and the portal, as three process
    groups with three data directories, sharing Banfa's PostgreSQL database and the Prefect server's."""
    banfa_url = databases.scratch_database().schema_url()
    seeded = _seeded(banfa_url, tmp_path / "seed")
    auth, port, portal = "banfa:s3cret", free_port(), f"http://127.0.0.1:{free_port()}"
    api = f"http://127.0.0.1:{port}/api"
    shared = {"BANFA_DATABASE_URL": banfa_url, "BANFA_PREFECT_AUTH_STRING": auth}
    machines = {
        "server": (
            ["--role", "server", "--port", str(port)],
            {"BANFA_PREFECT_DATABASE_URL": prefect_database},
        ),
        "workers": (["--role", "worker", "--workers", "2"], {"BANFA_PREFECT_API_URL": api}),
        "office": (["--role", "scheduler", "--role", "portal"], {"BANFA_PREFECT_API_URL": api}),
    }
    started: dict[str, subprocess.Popen[str]] = {}
    try:
        for name, (args, env) in machines.items():
            log = tmp_path / f"{name}.log"
            started[name] = _up(tmp_path / name, log, portal, *args, env=shared | env)
            _wait_for(log, "按 Ctrl-C 停止", started[name])
        assert len(_children(started["workers"].pid)) == 2  # two workers
        with pytest.raises(urllib.error.HTTPError) as refused:  # the API wants the auth string
            urllib.request.urlopen(f"{api}/admin/version", timeout=5)
        assert refused.value.code == 401
        with urllib.request.urlopen(f"{portal}/healthz", timeout=5) as reply:
            assert reply.status == 200
        _dispatch_and_see_the_first_document(seeded, api, auth)
        with (
            temporary_settings({PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: auth}),
            get_client(sync_client=True) as client,
        ):
            [run] = client.read_flow_runs()
            workers = {w.name for w in client.read_workers_for_work_pool("banfa")}
        assert {f"duty:{SAMPLE}", "notice:sfb2007-129", "lead:caizheng"} <= set(run.tags)
        assert len(workers) == 2
        assert not (tmp_path / "workers" / "banfa.db").exists()  # the worker used the shared database
    finally:
        for process in reversed(list(started.values())):
            process.send_signal(signal.SIGINT)
        codes = {name: process.wait(60) for name, process in started.items()}
    assert codes == {"server": 0, "workers": 0, "office": 0}


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--role", "worker"], {"BANFA_DOCUMENT_STORE": "file"}, "BANFA_DOCUMENT_STORE=sql"),
        (["--role", "worker"], {"BANFA_DATABASE_URL": ""}, "BANFA_DATABASE_URL"),
        (["--role", "portal"], {"BANFA_DATABASE_URL": "postgresql://x@127.0.0.1/x"}, "BANFA_PREFECT_API_URL"),
        (["--role", "server"], {"BANFA_PREFECT_HOST": "0.0.0.0"}, "BANFA_PREFECT_AUTH_STRING"),
    ],
)
def test_up_refuses_parts_that_cannot_run_apart_with_these_settings(
    tmp_path: Path, args: list[str], env: dict[str, str], says: str
) -> None:
    log = tmp_path / "up.log"
    up = _up(tmp_path / "var", log, f"http://127.0.0.1:{free_port()}", *args, env=env)
    assert up.wait(60) == 1
    assert says in log.read_text("utf-8") and "不能启动" in log.read_text("utf-8")
    assert not (tmp_path / "var" / "prefect").exists()  # nothing was started
