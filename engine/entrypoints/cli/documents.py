"""The document verbs of `banfa`: draft a duty's documents and compare two versions of a draft.

Neither needs a database, except `banfa compare --versions A B`, which compares two stored versions as the
user may read them (engine.services.exports).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.adapters.atomic import write_atomic
from engine.bootstrap import load_templates
from engine.domain.drafting.versions import DocumentKind
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import (
    current_rules,
    current_workflow,
    err,
    exit_codes,
    out,
    parse_now,
    parse_today,
    settings,
)
from engine.services.documents import compare_drafts, draft_documents
from engine.services.exports import compare_versions

_DRAFTABLE = [k.value for k in DocumentKind if k not in (DocumentKind.COMPARISON, DocumentKind.ATTACHMENT)]


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
        rules, templates = current_rules(), load_templates(settings())
        catalogues = rules.catalogues()
        ids = [d.id for c in catalogues for d in c.ingestible] if all_duties else [str(duty_id)]
        selected = tuple(DocumentKind(k) for k in (kinds or _DRAFTABLE))
        documents = draft_documents(
            ids,
            catalogues=catalogues,
            registry=rules.registry,
            calendar=rules.calendar,
            wording=templates.wording,
            render=templates.renderer.render,
            today=parse_today(today),
            kinds=selected,
        )
        for document in documents:
            write_atomic(out_dir.resolve() / document.duty_id / document.filename, document.data)
        out.print(f"已生成 {len(documents)} 份公文（{len(ids)} 项任务），保存在 {out_dir.resolve()}")


@app.command()
def compare(
    output: Annotated[Path, typer.Option("--out", help="修改对照表 .docx")],
    old: Annotated[
        Path | None, typer.Argument(exists=True, dir_okay=False, readable=True, help="原稿 .docx")
    ] = None,
    new: Annotated[
        Path | None, typer.Argument(exists=True, dir_okay=False, readable=True, help="修改稿 .docx")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="文件标题，缺省取修改稿首段")] = None,
    versions: Annotated[
        tuple[str, str] | None,
        typer.Option("--versions", help="改为比较已保存的两个版本：原稿和修改稿的文档编号（需 --as）"),
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--as", help="操作人（用户名），用于 --versions", envvar="BANFA_USER")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="操作时间，ISO 8601；不带时区视为北京时间；缺省为现在")
    ] = None,
) -> None:
    """比较两稿，逐条生成修改对照表：两个 .docx 文件，或 --versions 给出的两个已保存版本。"""
    if versions is not None:
        if old is not None or new is not None:
            raise typer.BadParameter("两个文件与 --versions 只能二选一", param_hint="--versions")
        if not actor:
            raise typer.BadParameter("比较已保存的版本须指明操作人", param_hint="--as")
        _compare_versions(versions, output, title, actor, now)
        return
    if old is None or new is None:
        raise typer.BadParameter("请给出原稿和修改稿两个 .docx 文件，或使用 --versions", param_hint="OLD NEW")
    with exit_codes():
        templates = load_templates(settings())
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


def _compare_versions(
    versions: tuple[str, str], output: Path, title: str | None, actor: str, now: str | None
) -> None:
    """The 修改对照表 of two stored versions, as the user may read them (the database is needed)."""
    with exit_codes():
        export = compare_versions(
            *versions, actor=actor, now=parse_now(now), ports=current_workflow().ports, title=title
        )
        for warning in export.warnings:
            err.print(f"[yellow]注意：[/]{warning}")
        write_atomic(output.resolve(), export.data)
        out.print(f"已生成修改对照表：{output.resolve()}")
