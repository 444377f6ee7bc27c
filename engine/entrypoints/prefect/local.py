"""Start and stop a local Prefect: the server on SQLite under the data directory, the pool, the deployment and
a worker. `banfa up` uses it, and so do the tests and the benchmark, so that all three run the same setup.

Everything runs as child processes (the server through engine.entrypoints.prefect.server, the pool, deployment
and worker through the `prefect` command of this environment), with an explicit environment: PREFECT_HOME
under the data directory, PREFECT_API_URL for the clients, and the BANFA_* settings resolved to absolute paths
(they reach the deployment's job environment through prefect.yaml).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import Settings
from engine.errors import PrefectUnavailable

POOL = "banfa"
# The deployment's flow, as prefect.yaml names it: the zygote imports its module by this string, as Prefect
# does, so that engine never imports `flows` (a test checks prefect.yaml against it).
FLOW_ENTRYPOINT = "flows.drafting:advance_duty"
# How often a worker asks for runs. Every poll is a few queries on the server, and on SQLite more writers mean
# more "database is locked" answers, which Prefect's client retries after 1, 2, 4… s: 0.5 s was the best
# trade here (bench/workflow.py; the closing note of issue 5 has the figures).
QUERY_SECONDS = "0.5"
CLIENT_RETRIES = "40"
# Server services Banfa does not use: no schedules, automations or pauses (the dispatcher and the reconciler
# do that work from Banfa's own tables). Each one polls the database; on SQLite with two cores they cost runs.
IDLE_SERVICES = {
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
}


def prefect_command() -> list[str]:
    """The `prefect` CLI of this interpreter's environment."""
    script = Path(sys.executable).with_name("prefect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]


def free_port(preferred: int = 4200, host: str = "127.0.0.1") -> int:
    """The preferred port when nothing listens there, else one the system hands out."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise PrefectUnavailable("端口", f"{host} 上没有空闲的 TCP 端口")


def project_file() -> Path:
    """prefect.yaml at the top of the checkout (the deployments are declared there)."""
    path = Path(__file__).resolve().parents[3] / "prefect.yaml"
    if not path.is_file():
        raise PrefectUnavailable("部署", f"程序目录旁没有 prefect.yaml（{path}），请从源代码目录部署")
    return path


def banfa_environment(settings: Settings) -> dict[str, str]:
    """The BANFA_* variables a flow needs, absolute, as prefect.yaml reads them when deploying."""
    s = settings.resolved()
    env = {
        "BANFA_DATA_DIR": str(s.data_dir),
        "BANFA_RULES_DIR": str(s.rules),
        "BANFA_TEMPLATES_DIR": str(s.templates),
        "BANFA_DOCUMENT_STORE": s.document_store,
        "BANFA_DEMO_CONTACTS": "true" if s.demo_contacts else "false",
        "BANFA_PORTAL_URL": s.portal_url,
    }
    if s.database_url is not None:
        env["BANFA_DATABASE_URL"] = s.database_url.get_secret_value()
    return env


@dataclass
class LocalPrefect:
    """A Prefect server and its workers, started by us and stopped by us."""

    home: Path
    port: int
    base_env: dict[str, str]
    server: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    zygote: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    database_url: str | None = None  # the server's database; None is SQLite under PREFECT_HOME

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            **os.environ,
            **self.base_env,
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_WORKER_QUERY_SECONDS": QUERY_SECONDS,
            # the server asks for a retry after 50 ms (engine.entrypoints.prefect.server); allow enough of
            # them
            "PREFECT_CLIENT_MAX_RETRIES": CLIENT_RETRIES,
            "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        }
        if self.zygote is not None:
            env["BANFA_ZYGOTE"] = str(self.zygote)
        if self.database_url is not None:
            env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = self.database_url
        return {**env, **(extra or {})}

    def start_server(self, *, timeout: float = 90, log: Path | None = None) -> None:
        """Start `prefect server start` and wait until it answers its health check."""
        self.home.mkdir(parents=True, exist_ok=True)
        out = log or self.home / "server.log"
        command = [
            sys.executable,
            "-m",
            "engine.entrypoints.prefect.server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with out.open("ab") as sink:  # the child keeps its own copy of the file
            self.server = subprocess.Popen(
                command, env=self.env(IDLE_SERVICES), stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise PrefectUnavailable("服务", f"进程退出，返回码 {self.server.returncode}，见 {out}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as reply,
            ):
                if reply.status == 200:
                    return
            time.sleep(0.25)
        raise PrefectUnavailable("服务", f"{timeout:.0f} 秒内没有应答，见 {out}")

    def run(self, *args: str) -> None:
        """Run one `prefect` command against the server; raise with its output when it fails."""
        done = subprocess.run(
            [*prefect_command(), *args],
            env=self.env(),
            cwd=project_file().parent,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise PrefectUnavailable(f"prefect {' '.join(args)}", f"{done.stdout}\n{done.stderr}".strip())

    def deploy(self) -> None:
        """Create the process pool and apply prefect.yaml; both may run again and change nothing else."""
        self.run("work-pool", "create", POOL, "--type", "process", "--overwrite")
        self.run("--no-prompt", "deploy", "--all", "--prefect-file", str(project_file()))

    def start_worker(
        self,
        *,
        name: str = "banfa-worker",
        extra: Mapping[str, str] | None = None,
        log: Path | None = None,
        limit: int = 4,
    ) -> subprocess.Popen[bytes]:
        """Start a process worker on the pool, running at most `limit` flow runs at once."""
        out = log or self.home / f"{name}.log"
        command = [*prefect_command(), "worker", "start", "--pool", POOL, "--type", "process", "--name", name]
        command += ["--limit", str(limit)]
        with out.open("ab") as sink:
            worker = subprocess.Popen(
                command,
                env=self.env(extra),
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopping it stops the flow runs it started
            )
        self.workers.append(worker)
        return worker

    def start_zygote(self, *, log: Path | None = None, timeout: float = 60) -> Path:
        """Start the warm forking process the launcher hands flow runs to; return its socket."""
        path = self.home / "zygote.sock"
        out = log or self.home / "zygote.log"
        with out.open("ab") as sink:
            zygote = subprocess.Popen(
                [sys.executable, "-m", "engine.entrypoints.prefect.zygote", str(path), FLOW_ENTRYPOINT],
                env=self.env(),
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(zygote)
        deadline = time.monotonic() + timeout
        while not path.exists():
            if zygote.poll() is not None or time.monotonic() > deadline:
                raise PrefectUnavailable("预热进程", f"未能启动，见 {out}")
            time.sleep(0.05)
        self.zygote = path
        return path

    def start_banfa(
        self, name: str, *args: str, extra: Mapping[str, str] | None = None, log: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a `banfa` command (the scheduler) beside the workers, stopped with them."""
        out = log or self.home / f"{name}.log"
        with out.open("ab") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "engine", *args],
                env=self.env(extra),
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(process)
        return process

    def children(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in [self.server, *self.workers] if p is not None]

    def stop(self, *, timeout: float = 20) -> None:
        """Stop the workers, then the server: SIGINT first, a kill after `timeout` seconds."""
        for process in [*self.workers, self.server]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in [*self.workers, self.server]:
            if process is None:
                continue
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.workers.clear()
        self.server = None


def local_prefect(settings: Settings, *, preferred_port: int = 4200) -> LocalPrefect:
    """A local Prefect for these settings: PREFECT_HOME under the data directory, the first free port."""
    s = settings.resolved()
    return LocalPrefect(s.data_dir / "prefect", free_port(preferred_port), banfa_environment(s))
