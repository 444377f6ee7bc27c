"""Benchmark the portal as its people use it: 20 people on loopback, each waiting a second between requests.

Setup (not timed): the data of bench/views.py (10,000 duties over 50 notices, `bench00` holding 1,000; one duty
of 市财政局 with a realistic history and its documents), the officer of 市财政局 with a password, and
`banfa serve --workers 2` on a free loopback port, on SQLite. Each client logs in once as the officer and once
as the coordinating office, then for `--seconds` asks in turn for:
- the officer's task list (`/tasks`), the notice page of the 1,000-duty notice with its chart data, all 1,000
  duties as the coordinating office sees it (`/notices/bench00`), the duty page of the duty with the history
  (`/duties/{id}`) and the download of its newest draft;
- in the same run, the bare endpoints returning the same rows as JSON (`/api/v1/tasks`,
  `/api/v1/notices/bench00`, `/api/v1/duties/{id}`), and `/healthz` as the bare cost of a request for the
  download.
Each page's p50 and p95 (milliseconds, wall clock from request to full body) and its ratio to its bare endpoint
(`speedup` = bare p50 / page p50, so above 1 would mean the page is cheaper). Goals on SQLite with two portal
workers: p95 ≤ 200 ms for the task list, the duty page and the download, ≤ 400 ms for the notice page. The last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from views import BIG, OFFICER, SEED, Layout, add_people, populate, with_history  # noqa: E402

from engine.bootstrap import load_rules, open_workflow, password_hasher  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.domain.drafting.versions import DocumentKind  # noqa: E402
from engine.services.accounts import set_password  # noqa: E402

PASSWORD = "bench2025pw"
COORDINATOR = "office"  # the coordinating office reads every duty of the notice: the whole board
GOALS_MS = {"tasks": 200.0, "notice": 400.0, "duty": 200.0, "download": 200.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _prepare(folder: Path, args: argparse.Namespace) -> tuple[str, str]:
    settings = Settings(data_dir=folder).resolved()
    workflow = open_workflow(settings)
    seed = next(c for c in load_rules(settings).catalogues() if c.notice.id == SEED)
    started = time.perf_counter()
    history_id = populate(workflow, seed, Layout(args.duties, args.notices, args.big))
    with workflow.ports.reading() as uow:
        history = uow.duties.get(history_id)
    add_people(workflow, history)
    with_history(workflow, history_id)
    now = history.events[0].at
    for person in (OFFICER, COORDINATOR):
        set_password(person, PASSWORD, now=now, ports=workflow.ports, hasher=password_hasher())
    draft = workflow.ports.documents.latest(history_id, DocumentKind.DRAFT)
    assert draft is not None
    print(f"setup (not timed): {args.duties:,} duties, {history_id}; {time.perf_counter() - started:.1f} s")
    workflow.db_engine.dispose()
    return history_id, draft.id


def _serve(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BANFA_PORTAL_URL": f"http://127.0.0.1:{port}", "BANFA_USER": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "--data-dir", str(folder), "serve", "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the portal did not start")


class Refused(Exception):
    """A request the portal did not answer with 200 (or a login it did not accept)."""


def _client(base: str, person: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    done = client.post(
        "/login", data={"username": person, "password": PASSWORD, "csrf": token.group(1) if token else ""}
    )
    if done.status_code != 303:
        alert = re.search(r'role="alert">([^<]*)<', done.text)
        raise Refused(f"login of {person}: {done.status_code} {alert.group(1) if alert else done.text[:120]}")
    return client


def _person(
    base: str,
    targets: list[tuple[str, str]],
    stop: float,
    offset: int,
    out: dict[str, list[float]],
    failures: list[str],
) -> None:
    try:
        _browse(base, targets, stop, offset, out)
    except (Refused, httpx.HTTPError) as exc:
        failures.append(f"{type(exc).__name__}: {exc}")


def _browse(
    base: str, targets: list[tuple[str, str]], stop: float, offset: int, out: dict[str, list[float]]
) -> None:
    officer, coordinator = _client(base, OFFICER), _client(base, COORDINATOR)
    turn = offset
    while time.monotonic() < stop:
        name, path = targets[turn % len(targets)]
        turn += 1
        started = time.perf_counter()
        response = (coordinator if "notices" in path else officer).get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise Refused(f"{path}: {response.status_code} {response.text[:200]}")
        out.setdefault(name, []).append(elapsed)
        time.sleep(1.0)  # a person reads before the next click
    officer.close()
    coordinator.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duties", type=int, default=10_000)
    parser.add_argument("--notices", type=int, default=50)
    parser.add_argument("--big", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="banfa-portal-bench-") as tmp:
        folder = Path(tmp) / "var"
        duty_id, document_id = _prepare(folder, args)
        port = _free_port()
        server = _serve(folder, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        targets = [
            ("tasks", "/tasks"),
            ("notice", f"/notices/{BIG}"),
            ("duty", f"/duties/{duty_id}"),
            ("download", f"/documents/{document_id}"),
            ("bare_tasks", "/api/v1/tasks"),
            ("bare_notice", f"/api/v1/notices/{BIG}"),
            ("bare_duty", f"/api/v1/duties/{duty_id}"),
            ("bare_download", "/healthz"),
        ]
        results: list[dict[str, list[float]]] = [{} for _ in range(args.clients)]
        failures: list[str] = []
        try:
            stop = time.monotonic() + args.seconds
            threads = [
                threading.Thread(
                    target=_person, args=(base, targets, stop, n, results[n], failures), daemon=True
                )
                for n in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(30)
    merged: dict[str, list[float]] = {}
    for r in results:
        for name, times in r.items():
            merged.setdefault(name, []).extend(times)
    figures: dict[str, float | int] = {}
    for name, _ in targets:
        times = sorted(merged.get(name, [0.0]))
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        figures[f"{name}_p50_ms"] = round(p50, 1)
        figures[f"{name}_p95_ms"] = round(p95, 1)
        figures[f"{name}_requests"] = len(times)
    for page in ("tasks", "notice", "duty", "download"):
        ratio = figures[f"bare_{page}_p50_ms"] / max(figures[f"{page}_p50_ms"], 0.01)
        figures[f"{page}_speedup"] = round(ratio, 3)
        goal, p95 = GOALS_MS[page], figures[f"{page}_p95_ms"]
        met = "met" if p95 <= goal else "NOT MET"
        print(
            f"{page}: p50 {figures[f'{page}_p50_ms']} ms, p95 {p95} ms over {figures[f'{page}_requests']} requests"
            f" (goal p95 <= {goal:.0f} ms: {met}); bare p50 {figures[f'bare_{page}_p50_ms']} ms, ratio {ratio:.2f}"
        )
    figures["speedup"] = round(
        statistics.mean(float(figures[f"{p}_speedup"]) for p in ("tasks", "notice", "duty", "download")), 3
    )
    for failure in failures:
        print(f"a client stopped: {failure}")
    figures["clients_failed"] = len(failures)
    figures |= {
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "duties": args.duties,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
