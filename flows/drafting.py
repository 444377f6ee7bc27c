"""The drafting flow: advance one duty as far as the machine can, then end.

`advance_duty` is what the `advance-duty/banfa` deployment runs. It takes the duty, the moment to work as of
(ISO 8601) and the stage version it was dispatched for; a duty that has moved on since is left to the run
dispatched for its new version. Each step (plan, close a window, make one kind of document, finish the stage)
calls one function of engine.services.machine and is recorded in Banfa's database under the duty, the stage
version and the step, so a rerun after a crash redoes nothing that was done. No step waits for a person: the
flow ends, and the person's action dispatches the next run.

The steps run in the flow's body, not as Prefect tasks: a task run costs its own API calls, states and events
(6 task runs made a run 30 events and 23 states; bench/scale.py), and Banfa's machine_steps table already
gives what task caching would. The Prefect UI shows, per duty, each run (tagged with the duty, its notice and
its lead department) and, as artifacts, the documents it made.

The flow is async: a sync flow run costs about a second more, joining its heartbeat thread (DESIGN.md,
Prefect; bench/workflow.py). Lost runs are found by the reconciler from the dispatch rows, not by heartbeats.
Banfa's worker runs several flows at once on its event loop (engine.entrypoints.prefect.worker), so the steps,
which block on SQL and Word files, run in a thread.

Every path the flow needs (data, rules, templates) comes from the BANFA_* variables of the worker's environment,
absolute: `banfa up` starts the worker with them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import re
import signal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.settings import get_current_settings

from engine.bootstrap import open_workflow, preload
from engine.config import Settings
from engine.domain.ports import Ports
from engine.services import machine
from engine.services.views import timeline

KILL_AT = "BANFA_KILL_AT"  # fault injection for the reliability tests: SIGKILL the worker at this boundary


@functools.cache
def _settings() -> Settings:
    return Settings().resolved()


@functools.cache
def _ports() -> Ports:
    return open_workflow(_settings()).ports


def warm() -> None:
    """Called by Banfa's worker before its first run (engine.entrypoints.prefect.worker): the settings, the
    database and the templates every run uses, loaded once for all the runs of the process."""
    preload(_settings())
    _ports()


def _boundary(name: str) -> None:
    """A step boundary. When the tests ask for it, die here the hard way: the worker and this run with it.

    Banfa's worker runs the flow in its own process, so that is the process group killed; a run started by a
    stock process worker is in its worker's group too.
    """
    if os.environ.get(KILL_AT) == name:
        os.killpg(os.getpgid(0), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


def _summary(duty_id: str, stored: list[str]) -> tuple[str, str, str]:
    """The artifact: the duty's summary in markdown (the documents this run made first, then every version),
    its key and its description."""
    ports, portal = _ports(), _settings().portal_url.rstrip("/")
    t = timeline(duty_id, ports=ports)
    key = "duty-" + re.sub(r"[^a-z0-9-]+", "-", duty_id.lower()).strip("-")
    made = [ports.documents.get(document_id) for document_id in stored]
    lines = [
        f"# {t.title}（{t.duty_id}）",
        "",
        f"- 状态：{t.state.value}",
        f"- 期限：{t.deadline}（最后工作日 {t.last_working_day}）",
        "- 节点：" + "；".join(f"{s.value} {d}" for s, d in t.milestones.items()),
        "- 本次运行生成：" + ("、".join(f"[{v.filename}]({portal}/documents/{v.id})" for v in made) or "无"),
        "",
        "| 文稿 | 版本 | 生成时间 |",
        "|---|---|---|",
    ]
    for v in ports.documents.versions(duty_id):
        link = f"[{v.filename}]({portal}/documents/{v.id})"
        lines.append(f"| {link} | {v.version} | {v.created:%Y-%m-%d %H:%M} |")
    about = f"{t.title}：{t.state.value}，本次生成文稿 {len(made)} 份"
    return "\n".join(lines), key, about


async def publish_artifacts(duty_id: str, stored: list[str]) -> None:
    """One markdown artifact per run, under the duty's key: in the Prefect UI each run shows the documents it
    made and the duty's every version, linked to the portal; the key's history is the duty's runs. (A second,
    link artifact per run cost one more API call for what this one already links.)"""
    markdown, key, description = await asyncio.to_thread(_summary, duty_id, stored)
    await create_markdown_artifact(markdown, key=key, description=description)  # type: ignore[misc]


def _advance(duty_id: str, at: dt.datetime, stage_version: int | None) -> list[str]:
    """Each step of the stage version and of those the machine reaches from it; the ids of the documents
    stored."""
    ports = _ports()
    stored: list[str] = []
    expected = stage_version
    _boundary("start")
    while (work := machine.plan(duty_id, at, ports=ports, stage_version=expected)) is not None:
        if work.closes_window:
            expected = machine.close_window(work, ports=ports)
            _boundary("close-window")
            if expected is None:
                break
            continue
        for kind in work.kinds:
            stored += machine.make_documents(work, kind, ports=ports)
            _boundary(f"make-{kind.value}")
        machine.finish(work, ports=ports)
        _boundary("finish-stage")
        expected = work.stage_version
    return stored


# Named by the dispatcher when it creates the run (`duty@stage version`). Nothing is persisted as a result (the
# documents are in Banfa's store), and the storage is named so that a run does not ask the server for its
# default each time.
@flow(
    name="advance-duty",
    log_prints=False,
    persist_result=False,
    result_storage=get_current_settings().results.local_storage_path,
)
async def advance_duty(duty_id: str, now: str, stage_version: int | None = None) -> list[str]:
    """Do the machine work of the duty's stage version: documents, letters, closing a window, tables."""
    at = dt.datetime.fromisoformat(now)
    if at.tzinfo is None:
        raise ValueError(f"now must carry its UTC offset: {now!r}")
    _ports()  # opened once per process, here on the event loop rather than in two threads at once
    # the steps block (SQL, Word files): in a thread, so that the worker's other runs go on meanwhile
    stored = await asyncio.to_thread(_advance, duty_id, at, stage_version)
    await publish_artifacts(duty_id, stored)
    get_run_logger().info("%s：本次生成文稿 %d 份", duty_id, len(stored))
    return stored
