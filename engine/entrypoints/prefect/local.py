"""Start and stop Banfa's Prefect parts: the server (on SQLite under the data directory, or on PostgreSQL), the
pool, the deployment and the workers, or workers alone against a server elsewhere. `banfa up` uses it, and so do
the tests and the benchmark, so that all three run the same setup.

Everything runs as child processes (the server through engine.entrypoints.prefect.server, the deployment
through the `prefect` command of this environment, the workers through engine.entrypoints.prefect.worker), with
an explicit environment: PREFECT_HOME under the data directory, PREFECT_API_URL (and PREFECT_API_AUTH_STRING)
for the clients, and the BANFA_* settings resolved to absolute paths, which the flow runs read in their worker.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import ipaddress
import json
import os
import shutil
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
# The deployment's flow, as prefect.yaml names it: Banfa's worker imports its module by this string, as Prefect
# does, so that engine never imports `flows` (a test checks prefect.yaml against it).
FLOW_ENTRYPOINT = "flows.drafting:advance_duty"
WORKER_TYPE = "banfa"  # the pool's type: engine.entrypoints.prefect.worker.BanfaWorker
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
    # Prefect's event feed: a flow run sends a dozen events, each stored with its related resources. Banfa's
    # audit trail is in its own tables, and the runs, their states and artifacts are kept without it; storing
    # them took most of the server's writes (bench/scale.py).
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
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
    """prefect.yaml: the checkout's (the deployments are declared there), else the copy an installed Banfa ships."""
    path = Path(__file__).resolve().parents[3] / "prefect.yaml"
    if path.is_file():
        return path
    spec = importlib.util.find_spec("engine.bundled_deployment")
    for folder in list(spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "prefect.yaml").is_file():
            return Path(folder) / "prefect.yaml"
    raise PrefectUnavailable("部署", f"程序目录旁和安装包内都没有 prefect.yaml（{path}）")


def banfa_environment(settings: Settings) -> dict[str, str]:
    """The BANFA_* variables a flow needs, absolute: a worker passes them on to every flow run it starts."""
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
    database_url: str | None = None  # the server's database; None is SQLite under PREFECT_HOME
    host: str = "127.0.0.1"  # where the server listens
    auth_string: str | None = None  # "user:password" of the server's API, sent by every client
    remote: str | None = None  # the API of a server elsewhere: then this object starts no server
    retention_days: int = 0  # flow-run history the server keeps; 0: all

    @property
    def url(self) -> str:
        if self.remote is not None:
            return self.remote.rstrip("/").removesuffix("/api")
        host = self.host
        if host in {"0.0.0.0", "::", ""}:  # listening everywhere: reach it on loopback
            host = "127.0.0.1"
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

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
        if self.database_url is not None:
            env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = self.database_url
        if self.auth_string is not None:
            env["PREFECT_API_AUTH_STRING"] = self.auth_string
        if self.api_url.startswith("http://"):  # no TLS, nothing to verify: spare each client the CA bundle
            env["PREFECT_API_TLS_INSECURE_SKIP_VERIFY"] = "true"
        return {**env, **(extra or {})}

    def log(self, name: str) -> Path:
        """Where a child started here writes: <PREFECT_HOME>/<name>.log."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home / f"{name}.log"

    def start_server(self, *, timeout: float = 90, log: Path | None = None) -> None:
        """Start `prefect server start` and wait until it answers its health check."""
        out = log or self.log("server")
        command = [sys.executable, "-m", "engine.entrypoints.prefect.server", "--host", self.host]
        command += ["--port", str(self.port)]
        guarded = {"PREFECT_SERVER_API_AUTH_STRING": self.auth_string} if self.auth_string else {}
        with out.open("ab") as sink:  # the child keeps its own copy of the file
            self.server = subprocess.Popen(
                command,
                env=self.env(IDLE_SERVICES | guarded | self.retention()),
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self.wait_until_up(timeout, f"见 {out}")

    def retention(self) -> dict[str, str]:
        """Prefect's db_vacuum settings: flow runs (and their task runs, logs, artifacts) that ended more than
        `retention_days` ago are deleted, hourly; events are kept for Prefect's own 7 days either way."""
        if self.retention_days <= 0:
            return {}
        return {
            "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
            "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(self.retention_days * 86400),
        }

    def wait_until_up(self, timeout: float = 90, advice: str = "") -> None:
        """Wait until the server answers its health check, then check that it accepts our auth string."""
        server = self.server
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server is not None and server.poll() is not None:
                raise PrefectUnavailable("服务", f"进程退出，返回码 {server.returncode}，{advice}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as reply,
            ):
                if reply.status == 200:
                    self._check_auth()
                    return
            time.sleep(0.25)
        raise PrefectUnavailable(f"服务 {self.api_url}", f"{timeout:.0f} 秒内没有应答，{advice}")

    def _request(self, path: str, body: object = None) -> urllib.request.Request:
        """A request to the API, with our auth string; a body is sent as JSON (POST)."""
        request = urllib.request.Request(f"{self.api_url}{path}")
        if body is not None:
            request.data = json.dumps(body).encode()
            request.method = "POST"
            request.add_header("Content-Type", "application/json")
        if self.auth_string is not None:
            token = base64.b64encode(self.auth_string.encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        return request

    def _check_auth(self) -> None:
        request = self._request("/admin/version")
        try:
            urllib.request.urlopen(request, timeout=5).close()
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                raise PrefectUnavailable(
                    f"服务 {self.api_url}", "拒绝了本机的认证字符串：请核对 BANFA_PREFECT_AUTH_STRING"
                ) from None
            raise

    def run(self, *args: str) -> None:
        """Run one `prefect` command against the server; raise with its output when it fails."""
        self.home.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [*prefect_command(), *args],
            env=self.env(),
            cwd=self.home,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise PrefectUnavailable(f"prefect {' '.join(args)}", f"{done.stdout}\n{done.stderr}".strip())

    def deploy(self) -> None:
        """Create the work pool and apply prefect.yaml; both may run again and change nothing else."""
        self.create_pool()
        # from a copy under PREFECT_HOME: the installed copy may sit in a folder this user cannot write
        declared = self.home / "prefect.yaml"
        shutil.copyfile(project_file(), declared)
        self.run("--no-prompt", "deploy", "--all", "--prefect-file", str(declared))

    def create_pool(self) -> None:
        """The `banfa` work pool, of Banfa's worker type, unless it exists. Through the API: `prefect work-pool
        create` accepts only the types it can look up, on the internet for those not installed with Prefect.

        A pool made by an earlier Banfa is of type `process`; it is kept (Prefect cannot change a pool's type),
        and Banfa's worker polls it all the same."""
        request = self._request("/work_pools/", {"name": POOL, "type": WORKER_TYPE, "base_job_template": {}})
        try:
            urllib.request.urlopen(request, timeout=30).close()
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # 409: it exists
                raise PrefectUnavailable(
                    f"创建工作池 {POOL}", f"HTTP {exc.code}：{exc.read()[:500]!r}"
                ) from None

    def start_worker(
        self,
        *,
        name: str = "banfa-worker",
        extra: Mapping[str, str] | None = None,
        log: Path | None = None,
        limit: int = 4,
    ) -> subprocess.Popen[bytes]:
        """Start Banfa's worker on the pool (engine.entrypoints.prefect.worker), running at most `limit` flow
        runs at once in its own process."""
        out = log or self.log(name)
        command = [sys.executable, "-m", "engine.entrypoints.prefect.worker", "--name", name]
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

    def start_banfa(
        self, name: str, *args: str, extra: Mapping[str, str] | None = None, log: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a `banfa` command (the scheduler) beside the workers, stopped with them."""
        out = log or self.log(name)
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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_database(settings: Settings) -> str | None:
    """The Prefect server's database URL with the async driver Prefect needs; None is SQLite."""
    if settings.prefect_database_url is None:
        return None
    import sqlalchemy as sa

    url = sa.make_url(settings.prefect_database_url.get_secret_value())
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+asyncpg")
    elif url.get_backend_name() == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    return url.render_as_string(hide_password=False)


def local_prefect(settings: Settings, *, preferred_port: int = 4200, exact: bool = False) -> LocalPrefect:
    """Banfa's Prefect for these settings: PREFECT_HOME under the data directory, the server on the port asked
    for (when `exact`, as a server other machines reach must be) or the first free one; with no server of its
    own here (`remote`), the one at BANFA_PREFECT_API_URL."""
    s = settings.resolved()
    auth = s.prefect_auth_string.get_secret_value() if s.prefect_auth_string else None
    port = free_port(preferred_port, s.prefect_host)
    if exact and port != preferred_port:
        raise PrefectUnavailable("服务", f"{s.prefect_host}:{preferred_port} 已被占用，其他机器按此端口连接")
    return LocalPrefect(
        s.data_dir / "prefect",
        port,
        banfa_environment(s),
        database_url=server_database(s),
        host=s.prefect_host,
        auth_string=auth,
        retention_days=s.prefect_retention_days,
    )


def remote_prefect(settings: Settings) -> LocalPrefect:
    """The Prefect server at BANFA_PREFECT_API_URL, for the parts that run here without it."""
    s = settings.resolved()
    if s.prefect_api_url is None:
        raise PrefectUnavailable("服务地址", "未设置 BANFA_PREFECT_API_URL")
    if not s.prefect_api_url.rstrip("/").endswith("/api"):
        raise PrefectUnavailable("服务地址", f"BANFA_PREFECT_API_URL 应以 /api 结尾：{s.prefect_api_url}")
    auth = s.prefect_auth_string.get_secret_value() if s.prefect_auth_string else None
    remote = s.prefect_api_url.rstrip("/")
    return LocalPrefect(s.data_dir / "prefect", 0, banfa_environment(s), auth_string=auth, remote=remote)
