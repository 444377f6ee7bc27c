"""`banfa up` as a person runs it: it starts the stack (the scheduler among it), prints the URLs, serves a
dispatched duty, and stops every child on Ctrl-C; started again on the same data directory, it deploys again without complaint."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.mailbox import free_port
from tests.support.paths import ROOT

pytestmark = pytest.mark.slow


def _up(data: Path, log: Path, portal: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "BANFA_DATA_DIR": str(data),
        "BANFA_DEMO_CONTACTS": "true",
        "BANFA_PORTAL_URL": portal,
    }
    env.pop("BANFA_PREFECT_API_URL", None)
    with log.open("w") as sink:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "engine", "up", "--port", "0"],
            cwd=ROOT,
            env=env,
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


@pytest.mark.parametrize("rounds", [2])
def test_up_starts_the_stack_and_ctrl_c_stops_it_cleanly(tmp_path: Path, rounds: int) -> None:
    data = tmp_path / "var"
    portal = f"http://127.0.0.1:{free_port()}/banfa"
    for n in range(rounds):  # the second start meets an existing pool, deployment and database
        log = tmp_path / f"up-{n}.log"
        up = _up(data, log, portal)
        content = _wait_for(log, "按 Ctrl-C 停止", up)
        api = next(line.split("：", 1)[1].strip() for line in content.splitlines() if "Prefect API" in line)
        with urllib.request.urlopen(f"{api}/health", timeout=5) as reply:
            assert reply.status == 200
        assert (data / "prefect" / "prefect.db").exists()
        children = _children(up.pid)
        assert len(children) == 5  # server, zygote, worker, scheduler, portal
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
        up.send_signal(signal.SIGINT)
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
