"""The verbs that run Banfa's processes: `banfa up` (a local Prefect, the deployment, a warm zygote, a worker,
the scheduler and the portal), `banfa serve` (the portal alone) and `banfa reconcile` (dispatch again what a
crash lost)."""

from __future__ import annotations

import os
import socket
import time
import urllib.request
from typing import Annotated
from urllib.parse import urlsplit

import typer

from engine.config import Settings
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import current_workflow, err, exit_codes, out, parse_now, settings
from engine.entrypoints.prefect.local import local_prefect


@app.command()
def up(
    port: Annotated[int, typer.Option("--port", help="Prefect 服务端口（被占用时另选空闲端口）")] = 4200,
    limit: Annotated[int, typer.Option("--limit", help="工作进程同时运行的流程数上限")] = 4,
) -> None:
    """启动本地 Prefect 服务（SQLite，位于数据目录）、部署流程，启动工作进程和调度器；按 Ctrl-C 停止。"""
    with exit_codes():
        current = settings().resolved()
        host, portal_port = portal_address(current)
        refuse_taken(host, portal_port)
        prefect = local_prefect(current, preferred_port=port)
        try:
            out.print(f"启动 Prefect 服务（数据目录 {prefect.home}）…")
            prefect.start_server()
            out.print("创建工作池并部署流程…")
            prefect.deploy()
            prefect.start_zygote()
            wired = {"BANFA_PREFECT_API_URL": prefect.api_url}
            worker = prefect.start_worker(extra=wired, limit=limit)
            scheduler = prefect.start_banfa("scheduler", "scheduler", extra=wired)
            out.print(f"Prefect 界面：{prefect.url}")
            out.print(f"Prefect API：{prefect.api_url}")
            out.print(f"工作池：banfa（工作进程 PID {worker.pid}）")
            mail = current.smtp_host or f"本地发件箱 {current.outbox}"
            out.print(f"调度器：PID {scheduler.pid}，日志 {prefect.home / 'scheduler.log'}；邮件发往 {mail}")
            portal = prefect.start_banfa("portal", "serve", extra=wired | exported(current))
            wait_for_portal(current, portal.poll)
            out.print(f"门户：{current.portal_url}（PID {portal.pid}，日志 {prefect.home / 'portal.log'}）")
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
