"""The verbs that keep Banfa's data safe: `banfa backup FILE` while Banfa runs, `banfa restore FILE` into an
empty data directory and database (engine.adapters.backup says what an archive holds)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.bootstrap import restore_backup, take_backup
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import exit_codes, out, parse_now, settings


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="备份文件（.tar.gz）", dir_okay=False)],
    now: Annotated[str | None, typer.Option("--now", help="以该时刻为现在（ISO 8601）")] = None,
) -> None:
    """备份数据库、文稿和现行规则到一个文件；Banfa 运行时也可执行。"""
    with exit_codes():
        taken = take_backup(settings(), file, now=parse_now(now))
        rows = sum(taken.tables.values())
        out.print(
            f"已备份到 {taken.path}（{max(1, round(taken.size / 1024)):,} KB）：数据库结构 {taken.revision}，"
            f"{len(taken.tables)} 张表共 {rows} 行，文稿文件 {taken.documents} 个，以及现行规则。"
        )


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="banfa backup 写出的备份文件", exists=True, dir_okay=False)],
    now: Annotated[str | None, typer.Option("--now", help="以该时刻为现在（ISO 8601）")] = None,
) -> None:
    """从备份恢复到空的数据目录和数据库（BANFA_DATA_DIR、BANFA_DATABASE_URL）；已有数据时拒绝，不作任何改动。"""
    with exit_codes():
        done = restore_backup(settings(), file, now=parse_now(now))
        out.print(
            f"已从 {file} 恢复（备份于 {done.created:%Y-%m-%d %H:%M}，数据库结构 {done.revision}）："
            f"{sum(done.tables.values())} 行，文稿文件 {done.documents} 个。"
        )
        out.print(f"备份时的规则在 {done.rules}；如需沿用，请设置 BANFA_RULES_DIR 指向该目录。")
        if done.uncertain:
            out.print(
                f"[yellow]备份时已认领或已到期的提醒 {len(done.uncertain)} 条标记为“结果不明”，不会重发，"
                "将列入下一期汇总：[/]"
                + "、".join(done.uncertain[:10])
                + ("…" if len(done.uncertain) > 10 else "")
            )
        out.print(
            "恢复无法知道备份之后发生的事：备份之后发出的邮件、Prefect 中备份之后的运行和生成的文稿都不在其中。"
            "调度器启动后，对账程序会重新提交备份时尚未完成的后台处理。"
        )
