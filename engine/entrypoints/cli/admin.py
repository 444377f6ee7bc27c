"""The administrator's verbs of `banfa`: migrate the database, set a new installation up, and manage accounts.

These run on the server's own shell, which is trusted as an administrator. A password is read from a prompt
that does not echo it, or from standard input (`--stdin`), never from an argument.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from engine.adapters.sql.migrate import migrate
from engine.bootstrap import open_workflow, password_hasher
from engine.entrypoints.cli.app import app
from engine.entrypoints.cli.terminal import current_workflow, err, exit_codes, out, parse_now, settings
from engine.errors import InvalidInput
from engine.services import accounts

db_app = typer.Typer(help="数据库维护。", no_args_is_help=True)
user_app = typer.Typer(help="用户账号。", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")

ROLES = "officer、consultee、reviewer、coordinator、leader、admin"
ADMIN_PASSWORD = "BANFA_ADMIN_PASSWORD"


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库迁移到最新结构（内置 SQLite 会自动执行）。"""
    with exit_codes():
        workflow = open_workflow(settings(), migrate_embedded=False)
        migrate(workflow.db_engine)
        out.print("数据库已是最新结构。")


@app.command()
def init(
    dept: Annotated[str, typer.Option("--dept", help="管理员所在部门")] = "maogong",
) -> None:
    """初始化：迁移数据库，首次运行时创建系统管理员 admin（密码取 BANFA_ADMIN_PASSWORD，或随机生成并只显示一次）。"""
    with exit_codes():
        workflow = current_workflow()
        migrate(workflow.db_engine)
        made_up = accounts.ensure_admin(
            now=parse_now(None),
            ports=workflow.ports,
            hasher=password_hasher(),
            department=dept,
            password=os.environ.get(ADMIN_PASSWORD) or None,
        )
        if made_up is None:
            out.print("数据库已是最新结构；系统管理员 admin 已存在（或已按 BANFA_ADMIN_PASSWORD 设置密码）。")
        else:
            out.print(
                f"已创建系统管理员 admin，初始密码：[bold]{made_up}[/]（只显示这一次，首次登录后须修改）"
            )


@user_app.command("add")
def user_add(
    user_id: Annotated[str, typer.Argument(help="用户名（小写字母、数字）")],
    name: Annotated[str, typer.Option("--name", help="姓名")],
    dept: Annotated[str, typer.Option("--dept", help="部门代码或名称")],
    roles: Annotated[list[str], typer.Option("--role", help=ROLES)],
    email: Annotated[str, typer.Option("--email")] = "",
) -> None:
    """创建用户账号（用户名已存在时拒绝，修改请用 user update）。"""
    with exit_codes():
        user = accounts.add_user(
            user_id, name, dept, roles, now=parse_now(None), ports=current_workflow().ports, email=email
        )
        out.print(
            f"已保存用户 {user.id}（{user.name}，{user.department}，{'、'.join(r.label for r in user.roles)}）"
        )


@user_app.command("update")
def user_update(
    user_id: Annotated[str, typer.Argument(help="用户名")],
    name: Annotated[str | None, typer.Option("--name", help="姓名")] = None,
    dept: Annotated[str | None, typer.Option("--dept", help="部门代码或名称")] = None,
    roles: Annotated[list[str] | None, typer.Option("--role", help=f"{ROLES}（给出即替换全部角色）")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
) -> None:
    """修改用户账号：只改给出的项。"""
    with exit_codes():
        user = accounts.update_user(
            user_id,
            now=parse_now(None),
            ports=current_workflow().ports,
            name=name,
            department=dept,
            roles=roles or None,
            email=email,
        )
        out.print(
            f"已修改用户 {user.id}（{user.name}，{user.department}，{'、'.join(r.label for r in user.roles)}）"
        )


@user_app.command("passwd")
def user_passwd(
    user_id: Annotated[str, typer.Argument(help="用户名")],
    stdin: Annotated[bool, typer.Option("--stdin", help="从标准输入读取密码（第一行）")] = False,
    must_change: Annotated[bool, typer.Option("--must-change", help="要求首次登录时修改")] = False,
) -> None:
    """设置密码（至少 8 位，含字母和数字）；设置后账号启用，原有登录全部失效。"""
    with exit_codes():
        password = _read_password(stdin)
        accounts.set_password(
            user_id,
            password,
            now=parse_now(None),
            ports=current_workflow().ports,
            hasher=password_hasher(),
            must_change=must_change,
        )
        out.print(f"已设置用户 {user_id} 的密码。")


def _read_password(stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice at a prompt that does not echo."""
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("新密码", hide_input=True, err=True)
    if typer.prompt("再输入一次", hide_input=True, err=True) != first:
        raise InvalidInput("两次输入的密码不一致")
    return str(first)


@user_app.command("disable")
def user_disable(user_id: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """停用账号：不能再登录或操作，原有登录全部失效；重新设置密码即启用。"""
    with exit_codes():
        accounts.disable_user(user_id, now=parse_now(None), ports=current_workflow().ports)
        out.print(f"已停用用户 {user_id}。")


@user_app.command("token")
def user_token(
    user_id: Annotated[str, typer.Argument(help="用户名")],
    expires: Annotated[
        int | None, typer.Option("--expires", help="有效天数（缺省为长期有效，直至撤销）")
    ] = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="撤销该用户的全部令牌")] = False,
) -> None:
    """为脚本生成访问门户 API 的令牌（Authorization: Bearer …，只显示这一次）；--revoke 撤销全部令牌。"""
    with exit_codes():
        ports, now = current_workflow().ports, parse_now(None)
        if revoke:
            count = accounts.revoke_tokens(user_id, now=now, ports=ports)
            out.print(f"已撤销用户 {user_id} 的令牌 {count} 个。")
            return
        token = accounts.mint_token(user_id, now=now, ports=ports, days=expires)
        err.print(f"用户 {user_id} 的令牌（只显示这一次，请妥善保管）：")
        print(token)  # alone on standard output, for a script to capture


@user_app.command("import")
def user_import() -> None:
    """按部门名录中各部门的承办人、联络员、分管领导批量创建账号（设置密码前为停用状态）。"""
    with exit_codes():
        report = accounts.import_users(now=parse_now(None), ports=current_workflow().ports)
        out.print(f"新建账号 {len(report.added)} 个：{'、'.join(report.added) or '无'}")
        if report.skipped:
            err.print(
                f"[yellow]注意：[/]已存在而未改动的账号 {len(report.skipped)} 个：{'、'.join(report.skipped)}"
            )


@user_app.command("list")
def user_list() -> None:
    """列出用户账号。"""
    with exit_codes():
        ports = current_workflow().ports
        table = Table("用户名", "姓名", "部门", "角色", "状态", "上次登录")
        for user, account in accounts.list_users(ports=ports):
            state = "停用" if account.disabled else "未设密码" if account.password_hash is None else "正常"
            if account.must_change_password and not account.disabled:
                state += "（须改密码）"
            table.add_row(
                user.id,
                user.name,
                ports.registry.get(user.department).display,
                "、".join(r.label for r in user.roles),
                state,
                f"{account.last_login:%Y-%m-%d %H:%M}" if account.last_login else "",
            )
        out.print(table)
