"""A portal worker killed with SIGKILL at a seeded random moment while officers start duties through the JSON
API: every action happens exactly once (a request cut off is retried with the version the person read, which
either goes through or meets the first attempt's commit as a stale version), each duty's documents exist once,
and the portal keeps answering (uvicorn starts a new worker)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.adapters.sql import schema
from engine.domain.workflow.model import State
from engine.services.accounts import add_user, mint_token
from tests.support.mailbox import free_port
from tests.support.paths import ROOT
from tests.support.workflows import at, workflow_with_people

pytestmark = pytest.mark.slow
SEED = int(os.environ.get("BANFA_FAULT_SEED", "20071211"))
DUTIES = 10


def _workers(pid: int) -> list[int]:
    """The uvicorn worker processes of `banfa serve` (its multiprocessing resource tracker is not one)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    found = []
    for child in out.split():
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
        except OSError:  # it ended meanwhile
            continue
    return found


def _post(url: str, token: str, version: int) -> int:
    body = json.dumps({"version": version}).encode()
    request = urllib.request.Request(url, body, method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_portal_worker_killed_under_load_loses_and_doubles_no_action(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    workflow, _ = workflow_with_people(f"sqlite:///{data / 'banfa.db'}", data)
    p = workflow.ports
    with p.uow() as uow:
        chosen = [d for d in uow.duties.list() if d.spec.lead][:DUTIES]
    duties = {d.id: d.version for d in chosen}
    leads = {d.id: str(d.spec.lead) for d in chosen}
    tokens = {}
    for lead in sorted(set(leads.values())):  # an officer of each lead department, with an API token
        add_user(f"officer-{lead}", "承办人", lead, ("officer",), now=at("2007-09-01"), ports=p)
        tokens[lead] = mint_token(f"officer-{lead}", now=at("2007-09-01"), ports=p)

    portal = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "BANFA_DATA_DIR": str(data),
        "BANFA_DEMO_CONTACTS": "true",
        "BANFA_PORTAL_URL": portal,
    }
    env.pop("BANFA_PREFECT_API_URL", None)
    env["BANFA_PORTAL_WORKERS"] = "2"
    log = (tmp_path / "portal.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "engine", "serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    cut_off: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while len(_workers(serve.pid)) < 2 or not _healthy(portal):
            assert time.monotonic() < deadline and serve.poll() is None, (tmp_path / "portal.log").read_text()
            time.sleep(0.2)
        workers = sorted(_workers(serve.pid))

        def officer(duty_id: str) -> None:
            url, token = f"{portal}/api/v1/duties/{duty_id}/actions/start", tokens[leads[duty_id]]
            for _ in range(20):  # a person retries with the version the page showed
                try:
                    status = _post(url, token, duties[duty_id])
                except OSError:
                    cut_off.append(duty_id)
                    time.sleep(0.5)
                    continue
                if status in (200, 409):  # done now, or done by the attempt that was cut off
                    return
                time.sleep(0.5)

        threads = [threading.Thread(target=officer, args=(d,)) for d in duties]
        for thread in threads:
            thread.start()
        moment = random.Random(SEED).uniform(0.1, 0.6)  # while the starts are under way (about a second)
        time.sleep(moment)
        os.kill(workers[0], signal.SIGKILL)
        for thread in threads:
            thread.join(120)
        deadline = time.monotonic() + 30
        while not _healthy(portal) or len(_workers(serve.pid)) < 2:  # uvicorn starts a new worker
            assert time.monotonic() < deadline, "the portal did not recover"
            time.sleep(0.2)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(60)
        log.close()

    workflow.dispatcher.reconcile(at("2007-09-12"))  # as the scheduler does: work a killed worker left undone
    e, d = schema.events, schema.documents
    with workflow.db_engine.connect() as conn:
        starts = Counter(conn.execute(sa.select(e.c.duty_id).where(e.c.action == "start")).scalars())
        made = Counter(tuple(r) for r in conn.execute(sa.select(d.c.duty_id, d.c.kind, d.c.version)))
    with p.uow() as uow:
        states = {i: uow.duties.get(i).state for i in duties}
    workflow.db_engine.dispose()
    note = f"(seed {SEED}: killed at {moment:.2f} s; cut off: {cut_off})"
    print(note)
    assert starts == Counter(duties), f"an action lost or doubled {note}"
    assert set(states.values()) == {State.DRAFTING}, note
    assert set(made.values()) == {1} and {v for _, _, v in made} == {1}, f"a document twice {note}"
    assert Counter(i for i, _, _ in made) == Counter({i: 2 for i in duties}), f"draft and explanation {note}"


def _healthy(portal: str) -> bool:
    try:
        with urllib.request.urlopen(f"{portal}/healthz", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False
