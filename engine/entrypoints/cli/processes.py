"""The verbs that run Banfa's processes: `banfa up` (a local Prefect, the deployment, a warm zygote, a worker
and the scheduler) and `banfa reconcile` (dispatch again what a crash lost)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import current_workflow, exit_codes, out, parse_now, settings
from engine.entrypoints.prefect.local import local_prefect


@app.command()
def up(
    port: Annotated[int, typer.Option("--port", help="Prefect 服务端口（被占用时另选空闲端口）")] = 4200,
    limit: Annotated[int, typer.Option("--limit", help="工作进程同时运行的流程数上限")] = 4,
) -> None:
    """启动本地 Prefect 服务（SQLite，位于数据目录）、部署流程，启动工作进程和调度器；按 Ctrl-C 停止。"""
    with exit_codes():
        current = settings().resolved()
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
def reconcile(
    now: Annotated[str | None, typer.Option("--now", help="以该时刻为现在（ISO 8601）")] = None,
) -> None:
    """重新提交崩溃或停滞的后台运行（调度器定时执行）。"""
    with exit_codes():
        workflow = current_workflow()
        again = workflow.dispatcher.reconcile(parse_now(now))
        out.print(f"重新提交 {len(again)} 项：{'、'.join(again) or '无'}")
