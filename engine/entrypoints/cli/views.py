"""The read-only and replay verbs of `banfa`: status, show and demo. Neither status nor show imports Prefect,
python-docx or Jinja2; show with --as reads the duty page (what that person may see and do)."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from engine.bootstrap import open_workflow
from engine.config import Settings
from engine.domain.workflow.access import label
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import (
    SHANGHAI,
    current_workflow,
    err,
    exit_codes,
    out,
    parse_day,
    print_json,
    settings,
)
from engine.entrypoints.views_json import in_procedure_order, page_json, status_json, timeline_json
from engine.services.views import Timeline, status, timeline

if TYPE_CHECKING:
    from engine.domain.departments import Registry
    from engine.domain.workflow.model import Event
    from engine.entrypoints.demo import DemoResult
    from engine.services.pages import DutyPage

DutyArg = Annotated[str, typer.Argument(help="任务编号")]
Today = Annotated[str | None, typer.Option("--today", help="以该日为今天 YYYY-MM-DD")]
Now = Annotated[str | None, typer.Option("--now", help="以该时刻为现在（ISO 8601），同 --today")]
Json = Annotated[bool, typer.Option("--json", help="输出 JSON（供其他程序读取）")]


@app.command("status")
def status_command(
    notice: Annotated[str | None, typer.Option("--notice", help="只看一个通知")] = None,
    today: Today = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """全部任务对照节点的进度表（有风险的标黄，已逾期的标红）。"""
    with exit_codes():
        day = parse_day(today, now)
        rows = status(day, ports=current_workflow().ports, notice_id=notice)
        if as_json:
            print_json(status_json(rows, day, notice))
            return
        table = Table(
            "任务编号",
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
                r.duty_id,
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
def show(
    duty: DutyArg,
    actor: Annotated[
        str | None, typer.Option("--as", help="以该用户的身份查看（只显示其可见的内容和可做的操作）")
    ] = None,
    today: Today = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """一项任务的时间线：操作记录、征求意见、意见处理和文稿版本。"""
    with exit_codes():
        ports = current_workflow().ports
        if actor is None:
            t = timeline(duty, ports=ports)
            if as_json:
                print_json(timeline_json(t))
            else:
                _print_timeline(t, ports.registry)
            return
        from engine.services.pages import duty_page  # only here: it brings the workflow's services

        day = parse_day(today, now)
        page = duty_page(duty, actor, day, ports=ports)
        if as_json:
            print_json(page_json(page, actor, day))
        else:
            _print_page(page, actor, ports.registry)


def _print_timeline(t: Timeline, registry: Registry) -> None:
    out.print(
        f"[bold]{t.title}[/]（{t.duty_id}）：{t.state.value}，版本 {t.version}，"
        f"期限 {t.deadline}（最后工作日 {t.last_working_day}）"
    )
    out.print("节点：" + "；".join(f"{s.value} {d}" for s, d in t.milestones.items()))
    _print_history(t.duty_id, t.events, t, registry)


def _print_page(p: DutyPage, actor: str, registry: Registry) -> None:
    mark = "（逾期）" if p.overdue else "（有风险）" if p.at_risk else ""
    out.print(f"[bold]{p.title}[/]（{p.duty_id}）：{p.state.value}{mark}，版本 {p.version}")
    out.print(f"{p.ref}；牵头 {p.lead}（承办人 {p.officer or '未指定'}）；{p.track.value}")
    if p.co_departments:
        out.print("会同：" + "、".join(p.co_departments))
    out.print(f"期限 {p.deadline}（最后工作日 {p.last_working_day}）")
    out.print("节点：" + "；".join(f"{s.value} {d}" for s, d in p.planned.items()))
    if p.actual:
        out.print("已完成：" + "；".join(f"{s.value} {d}" for s, d in p.actual.items()))
    if p.pending:
        out.print("[yellow]系统生成中：本阶段文稿尚未生成完毕。[/]")
    allowed = [label(a) for a in in_procedure_order(p.allowed)]
    out.print(f"{actor} 现在可以：" + ("、".join(allowed) if allowed else "（无）"))
    out.print(f"操作时请带上 --expect-version {p.version}，以免按过时的信息操作。")
    _print_history(p.duty_id, p.events, p, registry)
    if p.reviews:
        reviews = Table("审核结论", "审核意见", "审核人", "时间", title=f"合法性审核（{p.duty_id}）")
        for r in p.reviews:
            reviews.add_row(r.outcome.value, r.opinion, r.reviewer, _minute(r.at))
        out.print(reviews)


def _print_history(
    duty_id: str, events: tuple[Event, ...], t: Timeline | DutyPage, registry: Registry
) -> None:
    table = Table("#", "时间", "操作人", "操作", "状态", "说明", title=f"操作记录（{duty_id}）")
    for e in events:
        moved = f"{e.from_state.value if e.from_state else ''} → {e.to_state.value if e.to_state else ''}"
        table.add_row(
            str(e.seq),
            _minute(e.at),
            e.actor,
            label(e.action),
            moved if e.from_state != e.to_state else "",
            e.reason,
        )
    out.print(table)
    if t.requests:
        requests = Table("轮次", "单位", "发出", "答复期限", "答复", title=f"征求意见（{duty_id}）")
        for r in t.requests:
            requests.add_row(
                str(r.round),
                registry.display_of(r.consultee),
                str(r.sent_on),
                str(r.due),
                r.reply.value if r.reply else "待答复",
            )
        out.print(requests)
    if t.opinions:
        opinions = Table("意见编号", "条款", "意见", "处理", "理由", title=f"意见及处理（{duty_id}）")
        for o in t.opinions:
            opinions.add_row(
                o.id,
                o.clause,
                o.text,
                o.ruling.decision.value if o.ruling else "待处理",
                o.ruling.reason if o.ruling else "",
            )
        out.print(opinions)
    documents = Table("文档编号", "文件", "版本", "来源", "时间", title=f"文稿版本（{duty_id}）")
    for v in t.documents:
        documents.add_row(v.id, v.filename, str(v.version), v.origin.label, _minute(v.created))
    out.print(documents)


def _minute(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


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
        local.start_worker(limit=parallel)
        wired = settings.model_copy(update={"prefect_api_url": local.api_url})
        return replay(open_workflow(wired), wired, parallel=parallel)
    finally:
        local.stop()
