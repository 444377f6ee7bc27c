"""Accounts on the fakes: adding and changing people, passwords, disabling, importing contacts, logging in."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from engine.adapters.rules import load_registry
from engine.domain.ports import AuditRecord
from engine.domain.workflow.accounts import LoginPolicy, password_problem
from engine.domain.workflow.people import UserRole
from engine.errors import (
    InvalidInput,
    LoginRefused,
    NotPermitted,
    UnknownDepartment,
    UnknownUser,
    UserExists,
)
from engine.services import accounts
from engine.services import workflow as wf
from tests.support.fakes import QuickPasswords
from tests.support.paths import RULES
from tests.support.workflows import SAMPLE, at
from tests.unit.conftest import World

NOW = at("2007-09-05")
HASHER = QuickPasswords()


def audit(world: World, subject: str) -> list[AuditRecord]:
    with world.ports.reading() as uow:
        return uow.audit.list(subject=subject)


def password(world: World, user_id: str, secret: str = "abc12345", **kw: object) -> None:
    accounts.set_password(user_id, secret, now=NOW, ports=world.ports, hasher=HASHER, **kw)  # type: ignore[arg-type]


# --- adding and changing -------------------------------------------------------------------------------------


def test_a_new_account_is_added_and_recorded_and_an_existing_id_is_refused(world: World) -> None:
    user = accounts.add_user("sun", "孙承办", "市科技信息局", ["officer"], now=NOW, ports=world.ports)
    assert (user.department, user.roles) == ("keji", {UserRole.OFFICER})
    assert [(r.actor, r.action) for r in audit(world, "sun")] == [("shell", "user-add")]
    before = world.snapshot()
    with pytest.raises(UserExists, match="sun"):
        accounts.add_user("sun", "另一个人", "caizheng", ["consultee"], now=NOW, ports=world.ports)
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("user_id", "name", "department", "roles", "email", "error", "words"),
    [
        ("Sun Wu", "孙", "keji", ["officer"], "", InvalidInput, "用户名"),
        ("system", "系统", "keji", ["admin"], "", InvalidInput, "保留"),
        ("sun", " ", "keji", ["officer"], "", InvalidInput, "姓名不能为空"),
        ("sun", "孙", "keji", ["god"], "", InvalidInput, "未知角色：god"),
        ("sun", "孙", "keji", [], "", InvalidInput, "至少需要一个角色"),
        ("sun", "孙", "keji", ["officer"], "not-an-email", InvalidInput, "电子邮件"),
        ("sun", "孙", "火星局", ["officer"], "", UnknownDepartment, "火星局"),
    ],
)
def test_a_value_that_cannot_make_an_account_is_refused_with_the_reason_and_changes_nothing(
    world: World,
    user_id: str,
    name: str,
    department: str,
    roles: list[str],
    email: str,
    error: type[Exception],
    words: str,
) -> None:
    before = world.snapshot()
    with pytest.raises(error, match=words):
        accounts.add_user(user_id, name, department, roles, now=NOW, ports=world.ports, email=email)
    assert world.snapshot() == before


def test_an_update_changes_only_the_fields_it_names(world: World) -> None:
    accounts.update_user("zhang", email="zhang@caizheng.example", now=NOW, ports=world.ports)
    with world.ports.reading() as uow:
        zhang = uow.users.get("zhang")
    assert (zhang.name, zhang.department, zhang.roles, zhang.email) == (
        "张承办",
        "caizheng",
        {UserRole.OFFICER},
        "zhang@caizheng.example",
    )
    with pytest.raises(UnknownUser):
        accounts.update_user("nobody", name="无名", now=NOW, ports=world.ports)


def test_only_an_administrator_manages_accounts_from_the_portal(world: World) -> None:
    with pytest.raises(NotPermitted, match="系统管理员"):
        accounts.add_user("sun", "孙", "keji", ["officer"], now=NOW, ports=world.ports, actor="office")
    accounts.add_user("sun", "孙", "keji", ["officer"], now=NOW, ports=world.ports, actor="admin")
    assert [(r.actor, r.action) for r in audit(world, "sun")] == [("admin", "user-add")]


# --- passwords and logging in --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "problem"),
    [("abc1234", "至少 8"), ("abcdefgh", "字母和数字"), ("12345678", "字母和数字"), (" abc12345", "空格")],
)
def test_a_password_must_be_long_enough_and_mix_letters_and_digits(candidate: str, problem: str) -> None:
    assert problem in (password_problem(candidate) or "")
    assert password_problem("密码abc12345") is None


def test_a_weak_password_is_refused_and_nothing_changes(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(InvalidInput, match="至少 8"):
        password(world, "zhang", "abc")
    assert world.snapshot() == before


def test_a_password_set_opens_a_session_and_a_new_one_ends_the_old_sessions(world: World) -> None:
    password(world, "zhang")
    first = accounts.log_in("zhang", "abc12345", now=NOW, ports=world.ports, hasher=HASHER)
    assert first.user.id == "zhang" and not first.must_change_password
    password(world, "zhang", "xyz98765", must_change=True)
    second = accounts.log_in("zhang", "xyz98765", now=NOW, ports=world.ports, hasher=HASHER)
    assert second.generation > first.generation and second.must_change_password
    accounts.log_out_everywhere("zhang", now=NOW, ports=world.ports)
    with world.ports.reading() as uow:
        assert uow.accounts.get("zhang").session_generation > second.generation
    actions = [r.action for r in audit(world, "zhang")]
    assert actions == ["user-add", "password", "login", "password", "login", "logout"]


def test_an_unknown_user_and_a_wrong_password_are_refused_in_the_same_words(world: World) -> None:
    password(world, "zhang")
    with pytest.raises(LoginRefused) as wrong:
        accounts.log_in("zhang", "abc12346", now=NOW, ports=world.ports, hasher=HASHER)
    with pytest.raises(LoginRefused) as unknown:
        accounts.log_in("nobody", "abc12345", now=NOW, ports=world.ports, hasher=HASHER)
    assert str(wrong.value) == str(unknown.value) == "登录失败：用户名或密码错误"
    assert [r.action for r in audit(world, "nobody")] == ["login-failed"]


def test_repeated_failures_lock_the_account_until_the_lock_ends(world: World) -> None:
    password(world, "zhang")
    policy = LoginPolicy(max_failures=3, lock_minutes=15)
    for minute in range(3):
        with pytest.raises(LoginRefused, match="用户名或密码错误"):
            accounts.log_in(
                "zhang", "wrong999", now=NOW + dt.timedelta(minutes=minute), ports=world.ports, hasher=HASHER,
                policy=policy,
            )  # fmt: skip
    with pytest.raises(LoginRefused, match="锁定"):  # the right password, but locked
        accounts.log_in(
            "zhang",
            "abc12345",
            now=NOW + dt.timedelta(minutes=5),
            ports=world.ports,
            hasher=HASHER,
            policy=policy,
        )
    later = NOW + dt.timedelta(minutes=2 + 15)
    assert accounts.log_in("zhang", "abc12345", now=later, ports=world.ports, hasher=HASHER, policy=policy)
    with world.ports.reading() as uow:
        account = uow.accounts.get("zhang")
    assert (account.failed_logins, account.locked_until, account.last_login) == (0, None, later)


def test_an_account_without_a_password_cannot_log_in(world: World) -> None:
    with pytest.raises(LoginRefused, match="尚未设置密码"):
        accounts.log_in("zhang", "abc12345", now=NOW, ports=world.ports, hasher=HASHER)


# --- disabling --------------------------------------------------------------------------------------------------


def test_a_disabled_account_can_neither_log_in_nor_act_until_a_password_is_set_again(world: World) -> None:
    password(world, "zhang")
    accounts.disable_user("zhang", now=NOW, ports=world.ports)
    with pytest.raises(LoginRefused, match="停用"):
        accounts.log_in("zhang", "abc12345", now=NOW, ports=world.ports, hasher=HASHER)
    before = world.snapshot()
    with pytest.raises(NotPermitted, match="停用"):
        wf.start_duty(
            SAMPLE, actor="zhang", now=at("2007-09-11"), ports=world.ports, dispatcher=world.dispatcher
        )
    assert world.snapshot() == before
    password(world, "zhang", "new12345")
    assert accounts.log_in("zhang", "new12345", now=NOW, ports=world.ports, hasher=HASHER).user.id == "zhang"


# --- importing contacts, and the first administrator ----------------------------------------------------------


def test_the_contacts_of_a_registry_become_disabled_accounts_once(world: World) -> None:
    demo = load_registry(RULES, demo_contacts=True)
    ports = dataclasses.replace(world.ports, registry=demo)
    first = accounts.import_users(now=NOW, ports=ports)
    assert first.added, "the demo registry names contacts with addresses"
    with ports.reading() as uow:
        people = {u.id: (u, uow.accounts.get(u.id)) for u in uow.users.list()}
    for user_id in first.added:
        user, account = people[user_id]
        assert account.disabled and account.password_hash is None
        assert user.email and len(user.roles) == 1
        contact = demo.get(user.department)
        assert any(c.email == user.email for _, c in contact.contacts)
    again = accounts.import_users(now=NOW, ports=ports)
    assert again.added == () and set(again.skipped) >= set(first.added)


def test_a_new_installation_gets_its_administrator_once_with_a_password_shown_once(world: World) -> None:
    ports = dataclasses.replace(world.ports, uow=type(world.database)().unit_of_work)
    shown = accounts.ensure_admin(now=NOW, ports=ports, hasher=HASHER, department="maogong")
    assert shown is not None and password_problem(shown) is None
    session = accounts.log_in("admin", shown, now=NOW, ports=ports, hasher=HASHER)
    assert session.must_change_password and UserRole.ADMIN in session.user.roles
    assert accounts.ensure_admin(now=NOW, ports=ports, hasher=HASHER, department="maogong") is None


def test_an_administrator_password_given_at_setup_need_not_be_changed(world: World) -> None:
    ports = dataclasses.replace(world.ports, uow=type(world.database)().unit_of_work)
    shown = accounts.ensure_admin(
        now=NOW, ports=ports, hasher=HASHER, department="maogong", password="given2007x"
    )
    assert shown is None
    assert not accounts.log_in(
        "admin", "given2007x", now=NOW, ports=ports, hasher=HASHER
    ).must_change_password
