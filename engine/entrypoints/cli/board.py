"""The lists of `banfa`: a person's tasks and a notice's board, read through the read models (a few queries,
no aggregate). Neither imports Prefect, python-docx or Jinja2."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from engine.domain.workflow.access import label
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import current_workflow, exit_codes, out, parse_day, print_json
from engine.entrypoints.views_json import board_json, tasks_json
from engine.services.board import notice_board, tasks_for

Today = Annotated[str | None, typer.Option("--today", help="以该日为今天 YYYY-MM-DD")]
Now = Annotated[str | None, typer.Option("--now", help="以该时刻为现在（ISO 8601），同 --today")]
Json = Annotated[bool, typer.Option("--json", help="输出 JSON（供其他程序读取）")]


@app.command()
def tasks(
    actor: Annotated[str, typer.Option("--as", help="用户名", envvar="BANFA_USER")],
    today: Today = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """我的待办：等我推进的任务和可做的操作，逾期的在前（标红）。"""
    with exit_codes():
        day = parse_day(today, now)
        found = tasks_for(actor, day, ports=current_workflow().ports)
        if as_json:
            print_json(tasks_json(found, actor, day))
            return
        table = Table(
            "任务编号",
            "任务",
            "牵头部门",
            "状态",
            "可做的操作",
            "办理期限",
            "剩余工作日",
            title=f"{actor} 的待办（{day}）",
        )
        for t in found:
            table.add_row(
                t.duty_id,
                t.title,
                t.lead,
                t.state.value + ("（逾期）" if t.overdue else ""),
                "、".join(label(a) for a in t.actions),
                str(t.due or ""),
                "" if t.workdays_left is None else str(t.workdays_left),
                style="red" if t.overdue else None,
            )
        out.print(table)
        out.print(f"共 {len(found)} 项待办，逾期 {sum(t.overdue for t in found)} 项。")


@app.command()
def board(
    notice: Annotated[str, typer.Argument(help="通知编号")],
    actor: Annotated[
        str | None, typer.Option("--as", help="只列该用户可以查看的任务；缺省列出全部", envvar="BANFA_USER")
    ] = None,
    today: Today = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """一个通知的进度板：每项任务的状态、牵头部门、下一节点和剩余工作日（有风险标黄，逾期标红）。"""
    with exit_codes():
        day = parse_day(today, now)
        b = notice_board(notice, day, ports=current_workflow().ports, user_id=actor)
        if as_json:
            print_json(board_json(b, actor))
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
            "标记",
            "版本",
            title=f"{b.title}（{b.notice_id}）进度（{day}）",
        )
        for r in b.rows:
            marks = ["逾期"] if r.overdue else ["有风险"] if r.at_risk else []
            marks += ["系统生成中"] if r.pending else []
            table.add_row(
                r.duty_id,
                r.location,
                r.title,
                r.lead,
                r.state.value,
                r.next_stage.value if r.next_stage else "",
                str(r.next_due or ""),
                "" if r.workdays_left is None else str(r.workdays_left),
                "、".join(marks),
                str(r.version),
                style="red" if r.overdue else "yellow" if r.at_risk else None,
            )
        out.print(table)
        out.print(
            f"共 {len(b.rows)} 项；有风险 {sum(r.at_risk for r in b.rows)} 项，逾期 {sum(r.overdue for r in b.rows)} 项，"
            f"系统生成中 {sum(r.pending for r in b.rows)} 项。"
        )
