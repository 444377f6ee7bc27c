"""The `banfa` command line: thin commands that parse input, call one service and map errors to exit codes.

Exit codes are listed in engine.terminal and the README. The workflow verbs are in engine.cli_workflow.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from engine.atomic import write_atomic
from engine.bootstrap import Rules, load_rules, load_templates
from engine.catalogue import load_catalogue, read_notice, write_catalogue
from engine.config import Settings
from engine.contract import intake_json
from engine.drafting.versions import DocumentKind
from engine.duties import Catalogue, DutySpec
from engine.services import compare_drafts, draft_documents
from engine.services import intake as intake_service
from engine.terminal import SHANGHAI, State, err, exit_codes, out

app = typer.Typer(
    help="办法 Banfa：部门分工通知的实施办法起草流程引擎。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
catalogue_app = typer.Typer(help="任务清单（rules/notices/*.toml）的检查与查看。", no_args_is_help=True)
app.add_typer(catalogue_app, name="catalogue")


@app.callback()
def main_options(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="数据目录（数据库、文稿、发件箱），默认 ./var 或 BANFA_DATA_DIR"),
    ] = None,
    rules_dir: Annotated[
        Path | None,
        typer.Option("--rules-dir", help="规则目录（部门名录、任务清单、节假日），默认随程序附带"),
    ] = None,
) -> None:
    """Read settings once, at start, and make every path absolute."""
    overrides = {k: v for k, v in {"data_dir": data_dir, "rules_dir": rules_dir}.items() if v is not None}
    State.settings = Settings(**overrides).resolved()  # type: ignore[arg-type]


def _rules() -> Rules:
    return load_rules(State.settings)


def _print_json(data: object) -> None:
    """Write JSON to stdout as UTF-8 whatever the locale, since other tools read it."""
    sys.stdout.flush()
    sys.stdout.buffer.write((json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    sys.stdout.buffer.flush()


@app.command()
def info() -> None:
    """显示当前设置（数据目录、规则目录）。"""
    settings = State.settings
    _print_json(
        {
            "data_dir": str(settings.data_dir),
            "rules_dir": str(settings.rules),
            "demo_contacts": settings.demo_contacts,
        }
    )


@app.command()
def intake(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="通知文本文件")],
    as_json: Annotated[
        bool, typer.Option("--json", help="只在标准输出打印 JSON（其余信息写到标准错误）")
    ] = False,
    write: Annotated[bool, typer.Option("--write", help="写出任务清单 rules/notices/<编号>.toml")] = False,
    force: Annotated[bool, typer.Option("--force", help="与 --write 同用：覆盖已有的任务清单")] = False,
    output: Annotated[Path | None, typer.Option("--out", help="与 --write 同用：任务清单写到此路径")] = None,
) -> None:
    """识别通知中的全部任务，标出哪些是起草任务。"""
    with exit_codes():
        rules = _rules()
        result = intake_service(
            read_notice(file), registry=rules.registry, calendar=rules.calendar, source=str(file)
        )
        for warning in result.warnings:
            err.print(f"[yellow]注意：[/]{warning}")
        if as_json:
            _print_json(intake_json(result, rules.registry))
        else:
            _print_duties(
                out,
                f"{result.notice.title}（{result.notice.number or '无文号'}）",
                result.duties,
                rules,
                True,
            )
        if write:
            path = (output or rules.catalogue_path(result.notice_id)).resolve()
            written = write_catalogue(
                Catalogue.from_intake(result, _source(file)), path, rules.registry, force=force
            )
            (err if as_json else out).print(f"已写出任务清单：{written}（{len(result.drafting)} 项起草任务）")


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
        rules = _rules()
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
        rules = _rules()
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
        lead = name(d.lead) if d.lead else (d.lead_as_written or "—")
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


_DRAFTABLE = [k.value for k in DocumentKind if k not in (DocumentKind.COMPARISON, DocumentKind.ATTACHMENT)]


def _today(value: str | None) -> dt.date:
    """The date documents carry: --today for a replay, else the clock (only entrypoints read it)."""
    if value is None:
        return dt.datetime.now(SHANGHAI).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}", param_hint="--today") from None


@app.command()
def draft(
    duty_id: Annotated[str | None, typer.Argument(help="任务编号；与 --all 二选一")] = None,
    all_duties: Annotated[bool, typer.Option("--all", help="已审定任务清单中的全部起草任务")] = False,
    kinds: Annotated[
        list[str] | None, typer.Option("--kind", help=f"文种，可多次指定：{'、'.join(_DRAFTABLE)}")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录（每个任务一个子目录）")] = Path("drafts"),
    today: Annotated[str | None, typer.Option("--today", help="成文日期 YYYY-MM-DD，缺省为今天")] = None,
) -> None:
    """生成任务的公文（征求意见稿、起草说明、征求意见函等），无需数据库。"""
    if (duty_id is None) == (not all_duties):
        raise typer.BadParameter("请给出一个任务编号，或使用 --all", param_hint="DUTY_ID")
    unknown = sorted(set(kinds or ()) - set(_DRAFTABLE))
    if unknown:
        raise typer.BadParameter(f"未知文种：{'、'.join(unknown)}", param_hint="--kind")
    with exit_codes():
        rules, templates = _rules(), load_templates(State.settings)
        catalogues = rules.catalogues()
        ids = [d.id for c in catalogues for d in c.duties] if all_duties else [str(duty_id)]
        selected = tuple(DocumentKind(k) for k in (kinds or _DRAFTABLE))
        documents = draft_documents(
            ids,
            catalogues=catalogues,
            registry=rules.registry,
            calendar=rules.calendar,
            wording=templates.wording,
            render=templates.renderer.render,
            today=_today(today),
            kinds=selected,
        )
        for document in documents:
            write_atomic(out_dir.resolve() / document.duty_id / document.filename, document.data)
        out.print(f"已生成 {len(documents)} 份公文（{len(ids)} 项任务），保存在 {out_dir.resolve()}")


@app.command()
def compare(
    old: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="原稿 .docx")],
    new: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="修改稿 .docx")],
    output: Annotated[Path, typer.Option("--out", help="修改对照表 .docx")],
    title: Annotated[str | None, typer.Option("--title", help="文件标题，缺省取修改稿首段")] = None,
) -> None:
    """比较两稿，逐条生成修改对照表。"""
    with exit_codes():
        templates = load_templates(State.settings)
        data, warnings = compare_drafts(
            (old.read_bytes(), old.name),
            (new.read_bytes(), new.name),
            wording=templates.wording,
            render=templates.renderer.render,
            title=title,
        )
        for warning in warnings:
            err.print(f"[yellow]注意：[/]{warning}")
        write_atomic(output.resolve(), data)
        out.print(f"已生成修改对照表：{output.resolve()}")


def _deadline(duty: DutySpec) -> str:
    if duty.deadline is None:
        return ""
    text = duty.deadline.isoformat()
    if duty.last_working_day and duty.last_working_day != duty.deadline:
        text += f"（{duty.last_working_day.isoformat()}）"
    return text + (f" {duty.recurring}" if duty.recurring else "")


def main() -> None:
    """Run the CLI. Chinese text goes out as UTF-8 whatever the locale, so no message can fail to print."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")
    app()


from engine import cli_reminders, cli_up, cli_views, cli_workflow  # noqa: E402,F401  (they register their verbs on `app`)
