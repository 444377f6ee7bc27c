"""The read-only and replay verbs of `banfa`: status, show and demo. Neither status nor show imports Prefect."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from engine.bootstrap import open_workflow
from engine.config import Settings
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import (
    SHANGHAI,
    current_workflow,
    err,
    exit_codes,
    out,
    parse_date,
    parse_now,
    settings,
)
from engine.services.views import status, timeline

if TYPE_CHECKING:
    from engine.entrypoints.demo import DemoResult

DutyArg = Annotated[str, typer.Argument(help="任务编号")]


@app.command("status")
def status_command(
    notice: Annotated[str | None, typer.Option("--notice", help="只看一个通知")] = None,
    today: Annotated[str | None, typer.Option("--today", help="以该日为今天 YYYY-MM-DD")] = None,
    now: Annotated[str | None, typer.Option("--now", help="以该时刻为现在（ISO 8601），同 --today")] = None,
) -> None:
    """全部任务对照节点的进度表（有风险的标黄，已逾期的标红）。"""
    with exit_codes():
        day = parse_date(today, "--today") if today else parse_now(now).astimezone(SHANGHAI).date()
        rows = status(day, ports=current_workflow().ports, notice_id=notice)
        table = Table(
            "位置",
            "任务",
            "牵头部门",
            "状态",
            "下一节点",
            "节点日期",
            "剩余工作日",
            title=f"任务进度（{day}）",
        )
        for r in rows:
            style = "red" if r.overdue else "yellow" if r.at_risk else None
            mark = "（逾期）" if r.overdue else "（有风险）" if r.at_risk else ""
            table.add_row(
                r.location,
                r.title,
                r.lead,
                r.state.value + mark,
                r.next_stage.value if r.next_stage else "",
                str(r.next_due or ""),
                "" if r.workdays_left is None else str(r.workdays_left),
                style=style,
            )
        out.print(table)
        out.print(
            f"共 {len(rows)} 项；有风险 {sum(r.at_risk for r in rows)} 项，逾期 {sum(r.overdue for r in rows)} 项。"
        )


@app.command()
def show(duty: DutyArg) -> None:
    """一项任务的时间线：操作记录、征求意见、意见处理和文稿版本。"""
    with exit_codes():
        t = timeline(duty, ports=current_workflow().ports)
        out.print(
            f"[bold]{t.title}[/]（{t.duty_id}）：{t.state.value}，期限 {t.deadline}（最后工作日 {t.last_working_day}）"
        )
        out.print("节点：" + "；".join(f"{s.value} {d}" for s, d in t.milestones.items()))
        events = Table("#", "时间", "操作人", "操作", "状态", "说明", title="操作记录")
        for e in t.events:
            moved = f"{e.from_state.value if e.from_state else ''} → {e.to_state.value if e.to_state else ''}"
            events.add_row(
                str(e.seq),
                e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                e.actor,
                e.action,
                moved if e.from_state != e.to_state else "",
                e.reason,
            )
        out.print(events)
        if t.requests:
            requests = Table("轮次", "单位", "发出", "答复期限", "答复", title="征求意见")
            for r in t.requests:
                requests.add_row(
                    str(r.round),
                    r.consultee,
                    str(r.sent_on),
                    str(r.due),
                    r.reply.value if r.reply else "待答复",
                )
            out.print(requests)
        if t.opinions:
            opinions = Table("意见编号", "条款", "意见", "处理", "理由", title="意见及处理")
            for o in t.opinions:
                opinions.add_row(
                    o.id,
                    o.clause,
                    o.text,
                    o.ruling.decision.value if o.ruling else "待处理",
                    o.ruling.reason if o.ruling else "",
                )
            out.print(opinions)
        documents = Table("文档编号", "文件", "版本", "来源", "时间", title="文稿版本")
        for v in t.documents:
            documents.add_row(
                v.id,
                v.filename,
                str(v.version),
                v.origin.value,
                v.created.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            )
        out.print(documents)


@app.command()
def demo(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="演示数据目录（须为空或不存在），缺省为新的临时目录")
    ] = None,
    prefect: Annotated[
        bool, typer.Option("--prefect", help="经本地 Prefect 服务和工作进程运行（而非在本进程内）")
    ] = False,
    parallel: Annotated[int, typer.Option("--parallel", help="同时推进的任务数")] = 1,
) -> None:
    """在模拟时钟上重演 2007 年：全部起草任务从 9 月 11 日启动，到 12 月 29 日前办结。"""
    folder = (data_dir or Path(tempfile.mkdtemp(prefix="banfa-demo-"))).resolve()
    if folder.exists() and any(folder.iterdir()):
        err.print(f"[bold red]错误：[/]演示目录不为空：{folder}")
        raise typer.Exit(2)
    from engine.entrypoints.demo import replay  # the replay brings every service; status and show need none

    with exit_codes():
        demo_settings = settings().model_copy(
            update={"data_dir": folder, "demo_contacts": True, "database_url": None}
        )
        started = time.perf_counter()
        if prefect:
            result = replay_through_prefect(demo_settings, parallel=max(parallel, 4))
        else:
            result = replay(open_workflow(demo_settings), demo_settings, parallel=parallel)
        table = Table("任务", "文件", "状态", "文稿", "记录", title="2007 年重演结果")
        for row in result.rows:
            table.add_row(row[0], row[1], row[2], str(row[3]), str(row[4]))
        out.print(table)
        out.print(
            f"任务 {result.duties} 项，办结 {result.terminal} 项；文稿 {result.documents} 份；操作记录 {result.events} 条；"
            f"用时 {time.perf_counter() - started:.1f} 秒。"
        )
        out.print(
            f"提醒和每周汇总邮件 {result.mails} 封，见发件箱：{folder / 'outbox'}（banfa --data-dir {folder} outbox）"
        )
        out.print(f"数据目录：{folder}")
        if result.terminal != result.duties:
            raise typer.Exit(1)


def replay_through_prefect(settings: Settings, *, parallel: int) -> DemoResult:
    """The replay with every stage run by the deployment on a local Prefect under the demo's folder."""
    from engine.entrypoints.demo import replay
    from engine.entrypoints.prefect.local import local_prefect

    local = local_prefect(settings)
    try:
        local.start_server()
        local.deploy()
        local.start_zygote()
        local.start_worker(limit=parallel)
        wired = settings.model_copy(update={"prefect_api_url": local.api_url})
        return replay(open_workflow(wired), wired, parallel=parallel)
    finally:
        local.stop()
