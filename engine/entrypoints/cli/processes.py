"""The verbs that run Banfa's processes: `banfa up` (a Prefect server, the deployment, workers,
the scheduler and the portal, or the parts `--role` names), `banfa serve` (the portal alone) and
`banfa reconcile` (dispatch again what a crash lost)."""

from __future__ import annotations

import os
import signal
import socket
import time
import urllib.request
from typing import Annotated
from urllib.parse import urlsplit

import typer

from engine.config import Settings
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.stack import ALL, Part, refuse_misplaced
from engine.entrypoints.cli.terminal import current_workflow, err, exit_codes, out, parse_now, settings
from engine.entrypoints.prefect.local import LocalPrefect, local_prefect, remote_prefect


@app.command()
def up(
    port: Annotated[
        int, typer.Option("--port", help="Prefect 服务端口（全部在本机时，被占用则另选空闲端口）")
    ] = 4200,
    limit: Annotated[int, typer.Option("--limit", help="每个工作进程同时运行的流程数上限")] = 4,
    role: Annotated[
        list[Part] | None,
        typer.Option("--role", help="只启动这一部分（可重复）：server、worker、scheduler、portal；缺省全部"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="工作进程数，缺省取 BANFA_WORKERS（1）")
    ] = None,
) -> None:
    """启动 Prefect 服务、部署流程、工作进程、调度器和门户（或 --role 指定的部分）；按 Ctrl-C 停止。"""
    with exit_codes():
        current = settings().resolved()
        if workers is not None:
            current = current.model_copy(update={"workers": workers})
        parts = frozenset(role or ALL)
        refuse_misplaced(current, parts)
        if Part.PORTAL in parts:
            refuse_taken(*portal_address(current))
        if Part.SERVER in parts:
            prefect = local_prefect(current, preferred_port=port, exact=parts != ALL)
        else:
            prefect = remote_prefect(current)
        signal.signal(signal.SIGTERM, _interrupted)  # a service manager's stop is a Ctrl-C too
        try:
            start_parts(prefect, current, parts, limit)
            out.print(f"在其他终端使用本服务：export BANFA_PREFECT_API_URL={prefect.api_url}")
            out.print("按 Ctrl-C 停止。")
            while all(p.poll() is None for p in prefect.children()):
                time.sleep(0.5)
            dead = [p.args for p in prefect.children() if p.poll() is not None]
            out.print(f"[bold red]子进程意外退出：[/]{dead}；正在停止其余进程。")
            raise typer.Exit(1)
        except KeyboardInterrupt:
            out.print("正在停止…")
        finally:
            prefect.stop()
            out.print("已停止。")


def _interrupted(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def start_parts(prefect: LocalPrefect, current: Settings, parts: frozenset[Part], limit: int) -> None:
    """Start the parts asked for, the server first, and say where each one is."""
    if Part.SERVER in parts:
        where = "PostgreSQL" if current.prefect_database_url else f"SQLite，数据目录 {prefect.home}"
        out.print(f"启动 Prefect 服务（{where}）…")
        prefect.start_server()
        out.print("创建工作池并部署流程…")
        prefect.deploy()
        out.print(f"Prefect 界面：{prefect.url}")
    else:
        prefect.wait_until_up(advice="请确认 Prefect 服务所在机器已启动（banfa up --role server）")
    out.print(f"Prefect API：{prefect.api_url}")
    wired = {"BANFA_PREFECT_API_URL": prefect.api_url}
    if Part.WORKER in parts:
        host = socket.gethostname()
        pids = [
            prefect.start_worker(name=f"banfa-{host}-{n}", extra=wired, limit=limit).pid
            for n in range(1, current.workers + 1)
        ]
        out.print(f"工作池：banfa（工作进程 {len(pids)} 个，PID {'、'.join(map(str, pids))}）")
    if Part.SCHEDULER in parts:
        scheduler = prefect.start_banfa("scheduler", "scheduler", extra=wired)
        mail = current.smtp_host or f"本地发件箱 {current.outbox}"
        out.print(f"调度器：PID {scheduler.pid}，日志 {prefect.home / 'scheduler.log'}；邮件发往 {mail}")
    if Part.PORTAL in parts:
        portal = prefect.start_banfa("portal", "serve", extra=wired | exported(current))
        wait_for_portal(current, portal.poll)
        count = current.portal_workers
        out.print(
            f"门户：{current.portal_url}（PID {portal.pid}，{count} 个进程，日志 {prefect.home / 'portal.log'}）"
        )


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="监听地址，缺省取 BANFA_PORTAL_URL 的主机")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="监听端口，缺省取 BANFA_PORTAL_URL 的端口")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="uvicorn 工作进程数，缺省取 BANFA_PORTAL_WORKERS")
    ] = None,
) -> None:
    """启动门户网站（地址取自 BANFA_PORTAL_URL；--host/--port 用于反向代理之后）；按 Ctrl-C 停止。"""
    import uvicorn

    current = settings().resolved()
    url_host, url_port = portal_address(current)
    chosen_host, chosen_port = host or url_host, port or url_port
    refuse_taken(chosen_host, chosen_port)
    os.environ.update(exported(current))
    uvicorn.run(
        "engine.entrypoints.web.main:app",
        factory=True,
        host=chosen_host,
        port=chosen_port,
        workers=workers or current.portal_workers,
        proxy_headers=True,
        server_header=False,
        log_level="warning",
    )


def portal_address(current: Settings) -> tuple[str, int]:
    """Where the portal listens: the host and port of BANFA_PORTAL_URL, so that every mailed link is valid."""
    url = urlsplit(current.portal_url)
    return url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 80)


def refuse_taken(host: str, port: int) -> None:
    """Stop with a clear error when the portal's port is taken: another port would break every mailed link."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            err.print(
                f"[bold red]错误：[/]门户地址 {host}:{port} 无法使用（{exc.strerror}）。"
                "请停止占用该端口的程序，或修改 BANFA_PORTAL_URL。"
            )
            raise typer.Exit(1) from None


def exported(current: Settings) -> dict[str, str]:
    """The resolved paths as BANFA_* variables, for the portal's worker processes."""
    assert current.rules_dir is not None and current.templates_dir is not None
    return {
        "BANFA_DATA_DIR": str(current.data_dir),
        "BANFA_RULES_DIR": str(current.rules_dir),
        "BANFA_TEMPLATES_DIR": str(current.templates_dir),
    }


def wait_for_portal(current: Settings, exited: object, timeout: float = 60) -> None:
    """Wait until the portal answers /healthz; stop with its log's advice when it does not."""
    health = current.portal_url.rstrip("/") + "/healthz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if callable(exited) and exited() is not None:
            break
        time.sleep(0.3)
    err.print(f"[bold red]错误：[/]门户未能启动（{health} 无响应），请查看 portal.log。")
    raise typer.Exit(1)


@app.command()
def reconcile(
    now: Annotated[str | None, typer.Option("--now", help="以该时刻为现在（ISO 8601）")] = None,
) -> None:
    """重新提交崩溃或停滞的后台运行（调度器定时执行）。"""
    with exit_codes():
        workflow = current_workflow()
        again = workflow.dispatcher.reconcile(parse_now(now))
        out.print(f"重新提交 {len(again)} 项：{'、'.join(again) or '无'}")
