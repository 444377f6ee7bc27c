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

Every path the flow needs (data, rules, templates) comes from the BANFA_* variables of the job's environment,
absolute, because a process worker runs each flow in a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import signal

from prefect import flow, get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact

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
    """Called by the zygote before it forks (engine.entrypoints.prefect.zygote): the templates every run uses.
    The settings are read here and not cached, since each run reads its own from its environment."""
    preload(Settings().resolved())


def _boundary(name: str) -> None:
    """A step boundary. When the tests ask for it, die here the hard way: the worker and this run with it.

    The worker's process group holds the worker and the process it started for this run (the launcher, when the
    run was forked by the zygote, which says which group that is).
    """
    if os.environ.get(KILL_AT) == name:
        os.killpg(int(os.environ.get("BANFA_WORKER_PGID") or os.getpgid(0)), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


async def publish_artifacts(duty_id: str, stored: list[str]) -> None:
    """A markdown summary of the duty, and a link to each document this run stored."""
    ports, portal = _ports(), _settings().portal_url.rstrip("/")
    t = timeline(duty_id, ports=ports)
    key = "duty-" + re.sub(r"[^a-z0-9-]+", "-", duty_id.lower()).strip("-")
    lines = [
        f"# {t.title}（{t.duty_id}）",
        "",
        f"- 状态：{t.state.value}",
        f"- 期限：{t.deadline}（最后工作日 {t.last_working_day}）",
        "- 节点：" + "；".join(f"{s.value} {d}" for s, d in t.milestones.items()),
        "",
        "| 文稿 | 版本 | 生成时间 |",
        "|---|---|---|",
    ]
    for v in ports.documents.versions(duty_id):
        link = f"[{v.filename}]({portal}/documents/{v.id})"
        lines.append(f"| {link} | {v.version} | {v.created:%Y-%m-%d %H:%M} |")
    await create_markdown_artifact(  # type: ignore[misc]
        "\n".join(lines), key=key, description=f"{t.title}：{t.state.value}"
    )
    if stored:  # one link artifact for what this run made; the summary above links every version
        first = ports.documents.get(stored[0])
        await create_link_artifact(  # type: ignore[misc]
            f"{portal}/documents/{first.id}",
            link_text=first.filename,
            key=f"{key}-latest",
            description=f"{t.title}：本次生成 {len(stored)} 份文稿，首份为 {first.filename}",
        )


@flow(name="advance-duty", flow_run_name="{duty_id}@{stage_version}", log_prints=False)
async def advance_duty(duty_id: str, now: str, stage_version: int | None = None) -> list[str]:
    """Do the machine work of the duty's stage version: documents, letters, closing a window, tables."""
    at = dt.datetime.fromisoformat(now)
    if at.tzinfo is None:
        raise ValueError(f"now must carry its UTC offset: {now!r}")
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
    await publish_artifacts(duty_id, stored)
    get_run_logger().info("%s：本次生成文稿 %d 份", duty_id, len(stored))
    return stored
