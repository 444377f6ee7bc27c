"""The workflow verbs of `banfa`: one command per service, each taking --as USER and --now.

Registered on the app of engine.entrypoints.cli.app.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from engine.domain.drafting.decisions import Decision, Legality
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.opinion_files import read_opinions
from engine.entrypoints.cli.terminal import (
    current_workflow,
    err,
    exit_codes,
    out,
    parse_date,
    parse_now,
    settings,
)
from engine.errors import InvalidInput
from engine.services import workflow as wf
from engine.services.notices import ingest_notice
from engine.services.workflow import Outcome

_E = TypeVar("_E", Decision, Legality)

As = Annotated[str, typer.Option("--as", help="操作人（用户名）", envvar="BANFA_USER")]
Now = Annotated[
    str | None, typer.Option("--now", help="操作时间，ISO 8601；不带时区视为北京时间；缺省为现在")
]
DutyArg = Annotated[str, typer.Argument(help="任务编号")]
Expect = Annotated[
    int | None,
    typer.Option("--expect-version", help="只在任务仍为此版本时执行（防止按过时的信息操作）", min=1),
]


def _report(o: Outcome) -> None:
    out.print(f"{o.duty_id}：{o.state.value}（版本 {o.version}）" + (f"；{o.note}" if o.note else ""))


@app.command()
def ingest(
    actor: As,
    notices: Annotated[list[str] | None, typer.Argument(help="通知编号；缺省为全部已审定的任务清单")] = None,
    now: Now = None,
) -> None:
    """把已审定的任务清单导入数据库（再次导入即核对变更，不会静默覆盖）。"""
    with exit_codes():
        workflow = current_workflow()
        from engine.bootstrap import load_rules

        catalogues = load_rules(settings()).catalogues()
        chosen = [c for c in catalogues if not notices or c.notice.id in notices]
        if notices and len(chosen) != len(set(notices)):
            raise InvalidInput(
                f"没有这些通知的任务清单：{'、'.join(set(notices) - {c.notice.id for c in chosen})}"
            )
        for catalogue in chosen:
            r = ingest_notice(catalogue, actor=actor, now=parse_now(now), ports=workflow.ports)
            out.print(
                f"{r.notice_id}：新增 {len(r.added)}，调整牵头 {len(r.reassigned)}，变更 {len(r.amended)}，"
                f"撤回 {len(r.withdrawn)}"
            )


@app.command()
def start(
    actor: As,
    duty: Annotated[str | None, typer.Argument(help="任务编号；与 --all 二选一")] = None,
    all_duties: Annotated[bool, typer.Option("--all", help="全部未启动的任务")] = False,
    now: Now = None,
    expect: Expect = None,
) -> None:
    """启动任务的起草流程。"""
    if (duty is None) == (not all_duties):
        raise typer.BadParameter("请给出一个任务编号，或使用 --all", param_hint="DUTY")
    if all_duties and expect is not None:
        raise typer.BadParameter("--expect-version 只用于一项任务", param_hint="--expect-version")
    with exit_codes():
        workflow, moment = current_workflow(), parse_now(now)
        with workflow.ports.uow() as uow:
            ids = (
                [d.id for d in uow.duties.list() if d.state.value == "未启动"] if all_duties else [str(duty)]
            )
        for duty_id in ids:
            o = wf.start_duty(
                duty_id,
                actor=actor,
                now=moment,
                ports=workflow.ports,
                dispatcher=workflow.dispatcher,
                expected_version=expect,
            )
            _report(o)


def _advance(
    service: Callable[..., Outcome], duty: str, *args: object, actor: str, now: str | None, expect: int | None
) -> None:
    """Run a service that advances the duty, with the dispatcher, and report the state it left."""
    with exit_codes():
        workflow = current_workflow()
        o = service(
            duty,
            *args,
            actor=actor,
            now=parse_now(now),
            ports=workflow.ports,
            dispatcher=workflow.dispatcher,
            expected_version=expect,
        )
        _report(o)


def _simple(name: str, service_doc: str) -> None:
    """Register a verb that takes only a duty, --as and --now."""
    services = {
        "consult": wf.open_consultation,
        "close": wf.close_consultation,
        "submit": wf.submit_for_review,
    }

    def command(duty: DutyArg, actor: As, now: Now = None, expect: Expect = None) -> None:
        _advance(services[name], duty, actor=actor, now=now, expect=expect)

    command.__doc__ = service_doc
    app.command(name)(command)


_simple("consult", "发出征求意见函，开始征求意见。")
_simple("close", "结束征求意见（期限届满前须各单位均已答复）。")
_simple("submit", "报送合法性审核（所有意见须已处理）。")


@app.command()
def tick(now: Now = None) -> None:
    """结束所有已到期的征求意见（调度器每日执行）。"""
    with exit_codes():
        workflow = current_workflow()
        closed = wf.close_due_consultations(
            parse_now(now), ports=workflow.ports, dispatcher=workflow.dispatcher
        )
        out.print(f"结束征求意见 {len(closed)} 项：{'、'.join(closed) or '无'}")


@app.command()
def upload(
    duty: DutyArg,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    actor: As,
    now: Now = None,
    expect: Expect = None,
) -> None:
    """上传修改稿（.docx），成为新的版本。"""
    with exit_codes():
        workflow = current_workflow()
        o = wf.upload_draft(
            duty,
            file.read_bytes(),
            file.name,
            actor=actor,
            now=parse_now(now),
            ports=workflow.ports,
            dispatcher=workflow.dispatcher,
            expected_version=expect,
        )
        out.print(
            f"{duty}：{'已保存修改稿 ' + file.name if not o.note.startswith('与最新版本相同') else o.note}"
        )
        if o.note and not o.note.startswith("与最新版本相同"):
            err.print(f"[yellow]注意：[/]{o.note}")


@app.command()
def opinion(
    duty: DutyArg,
    actor: As,
    dept: Annotated[
        str | None, typer.Option("--dept", help="答复单位（牵头部门承办人或管理员代录纸质答复时指定）")
    ] = None,
    none: Annotated[bool, typer.Option("--none", help="无意见")] = False,
    file: Annotated[
        Path | None, typer.Option("--file", exists=True, dir_okay=False, help="意见文件 opinions.toml")
    ] = None,
    now: Now = None,
    expect: Expect = None,
) -> None:
    """答复征求意见：--none 为无意见，--file 为逐条意见（[[opinion]] clause、text、attachments）。"""
    if none == (file is not None):
        raise typer.BadParameter("请使用 --none 或 --file 之一", param_hint="--none/--file")
    with exit_codes():
        opinions, files = read_opinions(file) if file else ((), ())
        workflow = current_workflow()
        department = workflow.ports.registry.lookup(dept).key if dept else None
        wf.record_opinion(
            duty,
            opinions,
            actor=actor,
            now=parse_now(now),
            ports=workflow.ports,
            department=department,
            files=files,
            expected_version=expect,
        )
        out.print(f"{duty}：已记录{'无意见' if not opinions else f' {len(opinions)} 条意见'}")


@app.command()
def decide(
    duty: DutyArg,
    opinion_id: Annotated[str, typer.Argument(help="意见编号")],
    actor: As,
    decision: Annotated[str, typer.Option("--decision", help="采纳、部分采纳或不予采纳")],
    reason: Annotated[str, typer.Option("--reason", help="理由")] = "",
    now: Now = None,
    expect: Expect = None,
) -> None:
    """对一条意见作出处理。"""
    with exit_codes():
        choice = _enum(Decision, decision, "--decision")
        wf.decide_opinion(
            duty,
            opinion_id,
            choice,
            reason,
            actor=actor,
            now=parse_now(now),
            ports=current_workflow().ports,
            expected_version=expect,
        )
        out.print(f"{opinion_id}：{choice.value}")


def _enum(kind: type[_E], value: str, hint: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise typer.BadParameter(
            f"应为 {'、'.join(v.value for v in kind)} 之一：{value}", param_hint=hint
        ) from None


@app.command()
def review(
    duty: DutyArg,
    actor: As,
    outcome: Annotated[str, typer.Option("--outcome", help="合法、应当予以修改或不合法")],
    opinion_file: Annotated[
        Path | None, typer.Option("--opinion", exists=True, dir_okay=False, help="审核意见文本文件")
    ] = None,
    now: Now = None,
    expect: Expect = None,
) -> None:
    """记录合法性审核意见。"""
    text = opinion_file.read_text("utf-8").strip() if opinion_file else ""
    _advance(
        wf.record_review,
        duty,
        _enum(Legality, outcome, "--outcome"),
        text,
        actor=actor,
        now=now,
        expect=expect,
    )


@app.command()
def deliberate(
    duty: DutyArg,
    actor: As,
    approve: Annotated[bool, typer.Option("--approve/--return", help="集体审议通过或退回修改")] = True,
    reason: Annotated[str, typer.Option("--reason")] = "",
    now: Now = None,
    expect: Expect = None,
) -> None:
    """记录集体审议结果。"""
    _advance(wf.deliberate, duty, approve, reason, actor=actor, now=now, expect=expect)


@app.command()
def publish(
    duty: DutyArg,
    actor: As,
    number: Annotated[str, typer.Option("--number", help="文号，如 深贸工〔2007〕12号")],
    date: Annotated[str, typer.Option("--date", help="发布日期 YYYY-MM-DD")],
    effective: Annotated[str, typer.Option("--effective", help="施行日期 YYYY-MM-DD")],
    now: Now = None,
    expect: Expect = None,
) -> None:
    """发布（编文号、签发）。"""
    published, takes_effect = parse_date(date, "--date"), parse_date(effective, "--effective")
    _advance(wf.publish, duty, number, published, takes_effect, actor=actor, now=now, expect=expect)


@app.command()
def forward(
    duty: DutyArg,
    actor: As,
    reason: Annotated[str, typer.Option("--reason")] = "",
    now: Now = None,
    expect: Expect = None,
) -> None:
    """法规草案报送立法程序。"""
    _advance(wf.forward, duty, reason, actor=actor, now=now, expect=expect)


@app.command("file")
def file_command(
    duty: DutyArg,
    actor: As,
    date: Annotated[str, typer.Option("--date", help="备案日期")],
    now: Now = None,
    expect: Expect = None,
) -> None:
    """备案。"""
    _advance(wf.file_duty, duty, parse_date(date, "--date"), actor=actor, now=now, expect=expect)


@app.command()
def extend(
    duty: DutyArg,
    actor: As,
    to: Annotated[str, typer.Option("--to", help="新的期限 YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason")],
    now: Now = None,
    expect: Expect = None,
) -> None:
    """延期（记录批准人和理由）。"""
    with exit_codes():
        o = wf.extend_deadline(
            duty,
            parse_date(to, "--to"),
            reason,
            actor=actor,
            now=parse_now(now),
            ports=current_workflow().ports,
            expected_version=expect,
        )
        out.print(f"{o.duty_id}：期限已延至 {to}")


@app.command()
def reassign(
    duty: DutyArg,
    actor: As,
    to: Annotated[str, typer.Option("--to", help="新的牵头部门")],
    reason: Annotated[str, typer.Option("--reason")],
    officer: Annotated[str, typer.Option("--officer")] = "",
    now: Now = None,
    expect: Expect = None,
) -> None:
    """调整牵头部门。"""
    with exit_codes():
        wf.reassign(
            duty,
            to,
            reason,
            actor=actor,
            now=parse_now(now),
            ports=current_workflow().ports,
            officer=officer,
            expected_version=expect,
        )
        out.print(f"{duty}：牵头部门已调整为 {to}")


@app.command()
def withdraw(
    duty: DutyArg,
    actor: As,
    reason: Annotated[str, typer.Option("--reason")],
    now: Now = None,
    expect: Expect = None,
) -> None:
    """撤回任务。"""
    with exit_codes():
        o = wf.withdraw(
            duty,
            reason,
            actor=actor,
            now=parse_now(now),
            ports=current_workflow().ports,
            expected_version=expect,
        )
        out.print(f"{o.duty_id}：{o.state.value}")
