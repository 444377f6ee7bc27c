"""The export verbs of `banfa`: a stored document, a duty's 送审材料, a notice's 督办台账.

Each takes --as USER and --now, asks one service of engine.services.exports (which checks who may have what
and records it in the audit trail), and writes the file atomically. The 修改对照表 of two stored versions is
`banfa compare --versions A B`, beside the file form, in engine.entrypoints.cli.documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.adapters.atomic import write_atomic
from engine.bootstrap import ledger_writer
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import (
    SHANGHAI,
    current_workflow,
    exit_codes,
    out,
    parse_date,
    parse_now,
)
from engine.services.exports import Export, export_document, ledger, reviewer_bundle

As = Annotated[str, typer.Option("--as", help="操作人（用户名）", envvar="BANFA_USER")]
Now = Annotated[
    str | None, typer.Option("--now", help="操作时间，ISO 8601；不带时区视为北京时间；缺省为现在")
]


def _written(path: Path, export: Export, what: str) -> None:
    write_atomic(path, export.data)
    out.print(f"已导出{what}：{path}（{len(export.data):,} 字节）")


@app.command("export")
def export_command(
    document: Annotated[str, typer.Argument(help="文档编号（banfa show 列出）")],
    actor: As,
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录，文件名取文档自身的名称")] = Path("."),
    now: Now = None,
) -> None:
    """导出一份文档的某一版本（按文档编号）。"""
    with exit_codes():
        export = export_document(document, actor=actor, now=parse_now(now), ports=current_workflow().ports)
        _written(out_dir.resolve() / export.filename, export, "文档")


@app.command()
def bundle(
    duty: Annotated[str, typer.Argument(help="任务编号")],
    actor: As,
    output: Annotated[Path, typer.Option("--out", help="送审材料 .zip 文件")],
    now: Now = None,
) -> None:
    """导出一项任务的送审材料（.zip，按审核机构归档的顺序编号）。"""
    with exit_codes():
        export = reviewer_bundle(duty, actor=actor, now=parse_now(now), ports=current_workflow().ports)
        _written(output.resolve(), export, "送审材料")


@app.command("ledger")
def ledger_command(
    notice: Annotated[str, typer.Argument(help="通知编号，如 sfb2007-129")],
    actor: As,
    output: Annotated[Path, typer.Option("--out", help="督办台账 .xlsx 文件")],
    today: Annotated[
        str | None, typer.Option("--today", help="统计截至日 YYYY-MM-DD，缺省为 --now 当天")
    ] = None,
    now: Now = None,
) -> None:
    """导出一个通知的督办台账（.xlsx）。"""
    moment = parse_now(now)
    day = parse_date(today, "--today") if today else moment.astimezone(SHANGHAI).date()
    with exit_codes():
        ports = current_workflow().ports
        export = ledger(notice, day, actor=actor, now=moment, ports=ports, writer=ledger_writer())
        _written(output.resolve(), export, "督办台账")
