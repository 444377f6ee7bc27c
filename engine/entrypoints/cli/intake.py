"""The intake verbs of `banfa`: read a notice, check and show the reviewed catalogues, show the settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from engine.adapters.rules import load_catalogue, read_notice, write_catalogue
from engine.bootstrap import Rules
from engine.domain.intake.duties import Rejected
from engine.domain.intake.specs import Catalogue, DutySpec
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import current_rules, err, exit_codes, out, print_json, settings
from engine.entrypoints.intake_json import intake_json
from engine.services.intake import intake as intake_service

catalogue_app = typer.Typer(help="任务清单（rules/notices/*.toml）的检查与查看。", no_args_is_help=True)
app.add_typer(catalogue_app, name="catalogue")


@app.command()
def info() -> None:
    """显示当前设置（数据目录、规则目录）。"""
    current = settings()
    print_json(
        {
            "data_dir": str(current.data_dir),
            "rules_dir": str(current.rules),
            "demo_contacts": current.demo_contacts,
        }
    )


@app.command()
def intake(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="通知文件（文本、.docx 或 PDF）"),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="只在标准输出打印 JSON（其余信息写到标准错误）")
    ] = False,
    write: Annotated[bool, typer.Option("--write", help="写出任务清单 rules/notices/<编号>.toml")] = False,
    force: Annotated[bool, typer.Option("--force", help="与 --write 同用：覆盖已有的任务清单")] = False,
    output: Annotated[Path | None, typer.Option("--out", help="与 --write 同用：任务清单写到此路径")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="同时列出含起草字样但未认定为起草任务的句子及理由")
    ] = False,
) -> None:
    """识别通知中的全部任务，标出哪些是起草任务。"""
    with exit_codes():
        rules = current_rules()
        text = read_notice(file)
        registry = rules.registry_for(text)
        err.print(f"部门名录：{registry.info.name}（{registry.info.id}）")
        result = intake_service(text, registry=registry, calendar=rules.calendar, source=str(file))
        for warning in result.warnings:
            err.print(f"[yellow]注意：[/]{warning}")
        generic = [d for d in result.drafting if d.generic]
        if generic:
            err.print(
                f"[yellow]注意：[/]{len(generic)} 项起草任务的对象是泛指的单位（如各地区），"
                "在任务清单中指定 lead 之前不会入库"
            )
        if as_json:
            print_json(intake_json(result, registry, explain=explain))
        else:
            _print_duties(
                out,
                f"{result.notice.title}（{result.notice.number or '无文号'}）",
                result.duties,
                rules,
                True,
            )
            if explain:
                _print_rejected(out, result.rejected)
        if write:
            path = (output or rules.catalogue_path(result.notice_id)).resolve()
            default = rules.registries is None or registry is rules.registries.members[0]
            catalogue = Catalogue.from_intake(result, _source(file), None if default else registry.info.id)
            written = write_catalogue(catalogue, path, rules.registry, force=force)
            (err if as_json else out).print(f"已写出任务清单：{written}（{len(result.drafting)} 项起草任务）")


def _print_rejected(console: Console, rejected: tuple[Rejected, ...]) -> None:
    table = Table(title="未认定为起草任务的句子（供核对是否漏项）", show_lines=False)
    for column in ("位置", "原文", "理由"):
        table.add_column(column, overflow="fold")
    for r in rejected:
        table.add_row(r.location, r.text, r.reason)
    console.print(table)
    console.print(f"共 {len(rejected)} 句。")


def _source(file: Path) -> str:
    """Name the notice file relative to the current folder when it lies below it, for the catalogue's record."""
    resolved = file.resolve()
    return str(resolved.relative_to(Path.cwd())) if resolved.is_relative_to(Path.cwd()) else str(resolved)


@catalogue_app.command("check")
def catalogue_check(
    files: Annotated[
        list[Path] | None, typer.Argument(exists=True, dir_okay=False, help="任务清单文件；缺省为全部")
    ] = None,
) -> None:
    """校验任务清单：部门、编号、期限、文件类型是否有效。"""
    with exit_codes():
        rules = current_rules()
        paths = files or rules.catalogue_paths()
        if not paths:
            err.print(f"没有找到任务清单：{rules.directory / 'notices'}")
            raise typer.Exit(1)
        for path in paths:
            catalogue = load_catalogue(path, rules.registry, rules.calendar)
            out.print(
                f"[green]通过[/] {path}：{catalogue.notice.number or catalogue.notice.id}，"
                f"{len(catalogue.duties)} 项起草任务，期限 {catalogue.deadline or '未定'}"
            )


@catalogue_app.command("show")
def catalogue_show(
    notice_id: Annotated[str, typer.Argument(help="通知编号，如 sfb2007-129")],
) -> None:
    """显示一份已审定的任务清单。"""
    with exit_codes():
        rules = current_rules()
        path = rules.catalogue_path(notice_id)
        if not path.is_file():
            err.print(f"[bold red]错误：[/]没有该通知的任务清单：{path}")
            raise typer.Exit(1)
        catalogue = load_catalogue(path, rules.registry, rules.calendar)
        title = f"{catalogue.notice.title}（{catalogue.notice.number or catalogue.notice.id}）任务清单"
        _print_duties(out, title, catalogue.duties, rules, False)
        if catalogue.coordinator.office:
            out.print(f"统筹协调：{catalogue.coordinator.office}")


def _print_duties(
    console: Console, title: str, duties: tuple[DutySpec, ...], rules: Rules, show_all: bool
) -> None:
    table = Table(title=title, show_lines=False)
    for column in (
        "位置",
        "牵头部门",
        "会同部门",
        "起草",
        "拟起草文件",
        "类型",
        "依据",
        "期限（最后工作日）",
    ):
        table.add_column(column, overflow="fold")
    name: Callable[[str], str] = lambda key: rules.registry.get(key).display  # noqa: E731
    for d in duties:
        co = "、".join(map(name, d.co_departments)) or "、".join(d.co_departments_as_written)
        lead = (
            name(d.lead)
            if d.lead
            else (d.lead_as_written or (f"（泛指）{d.addressee}" if d.generic else "—"))
        )
        table.add_row(
            d.location,
            lead,
            co + ("等" if d.co_open else ""),
            "是" if d.drafting else "否",
            d.title or "",
            d.kind or "",
            "、".join(d.basis),
            _deadline(d),
            style=None if d.drafting or not show_all else "dim",
        )
    console.print(table)
    drafting = sum(d.drafting for d in duties)
    console.print(f"共 {len(duties)} 项任务，其中起草任务 {drafting} 项。")


def _deadline(duty: DutySpec) -> str:
    if duty.deadline is None:
        return ""
    text = duty.deadline.isoformat()
    if duty.last_working_day and duty.last_working_day != duty.deadline:
        text += f"（{duty.last_working_day.isoformat()}）"
    return text + (f" {duty.recurring}" if duty.recurring else "")
