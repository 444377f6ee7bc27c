"""The reminder verbs of `banfa`: list what will be sent, run one tick, plan again, read the outbox, and run
the scheduler."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer
from rich.table import Table

from engine.adapters.mail.outbox import read_outbox
from engine.bootstrap import mailing_for, open_workflow
from engine.domain.departments import Registry, Role
from engine.domain.reminders.planner import Kind
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import current_workflow, exit_codes, out, parse_date, parse_now, settings
from engine.entrypoints.scheduler import Jobs, run
from engine.services.reminders.sending import list_reminders, plan_all, send_moment

reminders_app = typer.Typer(help="提醒邮件：查看计划、发送到期提醒。", no_args_is_help=True)
app.add_typer(reminders_app, name="reminders")

STATUS = {"pending": "待发送", "sending": "发送中"}


def _party(registry: Registry, party: str) -> str:
    """`caizheng:officer` as a person reads it: 市财政局承办人."""
    if not party:
        return ""
    department, _, role = party.partition(":")
    return registry.display_of(department) + (Role(role).label if role in set(Role) else role)


def _kind(kind: str) -> str:
    return Kind(kind).label if kind in set(Kind) else kind


Now = Annotated[str | None, typer.Option("--now", help="以该时刻为现在（ISO 8601；不带时区视为北京时间）")]


@reminders_app.command("list")
def reminders_list(
    duty: Annotated[str | None, typer.Option("--duty", help="只列出该任务的提醒")] = None,
    due_before: Annotated[
        str | None, typer.Option("--due-before", help="只列出在该日期（YYYY-MM-DD）之前发送的提醒")
    ] = None,
) -> None:
    """列出待发送的提醒：何时发送、发给谁、关于哪个期限。"""
    with exit_codes():
        workflow = current_workflow()
        before = parse_date(due_before, "--due-before") if due_before else None
        rows = list_reminders(ports=workflow.ports, duty=duty, due_before=before)
        table = Table("发送时间", "类型", "任务", "收件人", "抄送", "期限", "状态", title="待发送的提醒")
        for s in rows:
            r = s.reminder
            table.add_row(
                f"{send_moment(r.send_on, workflow.ports):%Y-%m-%d %H:%M}",
                r.kind.label,
                r.subject,
                _party(workflow.ports.registry, r.to),
                _party(workflow.ports.registry, r.cc),
                r.due.isoformat(),
                STATUS.get(s.status, s.status) + (f"（第 {s.attempts} 次重试）" if s.attempts else ""),
            )
        out.print(table)
        out.print(f"共 {len(rows)} 条。")


@reminders_app.command("send-due")
def reminders_send_due(now: Now = None) -> None:
    """执行一次调度：结束到期的征求意见，发送到期的提醒和每周汇总。"""
    with exit_codes():
        current = settings()
        workflow = open_workflow(current)
        moment = parse_now(now)
        jobs = Jobs(workflow, mailing_for(current), lambda: moment, out.print)
        report = jobs.tick()
        out.print(
            f"发出邮件 {report.sent} 封（提醒 {report.reminders} 条，汇总 {report.digests} 封）；"
            f"推迟 {report.deferred} 条，结果不明 {report.uncertain} 条，并入汇总 {report.folded} 条，失败 {report.failed} 条。"
        )
        for problem in [report.error, *report.problems]:
            if problem:
                out.print(f"[yellow]注意：[/]{problem}")


@reminders_app.command("plan")
def reminders_plan(now: Now = None) -> None:
    """按当前提醒规则重新计划全部任务的提醒（修改 rules/reminders.toml 后执行）。"""
    with exit_codes():
        workflow = current_workflow()
        out.print(f"新计划提醒 {plan_all(parse_now(now), ports=workflow.ports)} 条。")


@app.command()
def outbox() -> None:
    """列出本地发件箱（未配置邮件服务器时，邮件写在数据目录的 outbox 中）。"""
    entries = read_outbox(settings().outbox)
    table = Table("文件", "日期", "收件人", "类型", "任务", "主题", title=f"发件箱 {settings().outbox}")
    for e in entries:
        table.add_row(e.path.name, e.date, e.to, _kind(e.kind), e.duty, e.subject)
    out.print(table)
    out.print(f"共 {len(entries)} 封。")


@app.command()
def scheduler() -> None:
    """运行调度器：每日 9:00 发送提醒、每周汇总、结束到期的征求意见、重新提交中断的后台处理；按 Ctrl-C 停止。"""
    with exit_codes():
        stop = threading.Event()

        def stop_on(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGINT, stop_on)
        signal.signal(signal.SIGTERM, stop_on)
        current = settings()
        run(open_workflow(current), current, stop, say=lambda line: out.print(line))
