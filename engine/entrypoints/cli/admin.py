"""The administrator's verbs of `banfa`: migrate the database, and add or list user accounts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from engine.adapters.sql.migrate import migrate
from engine.bootstrap import open_workflow
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import current_workflow, exit_codes, out, parse_now, settings
from engine.services.notices import add_user

db_app = typer.Typer(help="数据库维护。", no_args_is_help=True)
user_app = typer.Typer(help="用户账号。", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库迁移到最新结构（内置 SQLite 会自动执行）。"""
    with exit_codes():
        workflow = open_workflow(settings(), migrate_embedded=False)
        migrate(workflow.db_engine)
        out.print("数据库已是最新结构。")


@user_app.command("add")
def user_add(
    user_id: Annotated[str, typer.Argument(help="用户名（小写字母、数字）")],
    name: Annotated[str, typer.Option("--name", help="姓名")],
    dept: Annotated[str, typer.Option("--dept", help="部门代码或名称")],
    roles: Annotated[
        list[str], typer.Option("--role", help="officer、consultee、reviewer、coordinator、admin")
    ],
    email: Annotated[str, typer.Option("--email")] = "",
) -> None:
    """创建或更新用户账号。"""
    with exit_codes():
        user = add_user(
            user_id,
            name,
            dept,
            tuple(roles),
            now=parse_now(None),
            ports=current_workflow().ports,
            email=email,
        )
        out.print(
            f"已保存用户 {user.id}（{user.name}，{user.department}，{'、'.join(r.label for r in user.roles)}）"
        )


@user_app.command("list")
def user_list() -> None:
    """列出用户账号。"""
    with exit_codes():
        ports = current_workflow().ports
        with ports.uow() as uow:
            users = uow.users.list()
        table = Table("用户名", "姓名", "部门", "角色")
        for u in users:
            table.add_row(
                u.id, u.name, ports.registry.get(u.department).display, "、".join(r.label for r in u.roles)
            )
        out.print(table)
