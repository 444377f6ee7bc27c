"""People and their accounts: adding and changing users, passwords, disabling, importing a registry's contacts,
logging in with a lockout, and the first administrator of a new installation.

The shell that runs `banfa user …` is the server's own and is trusted as an administrator (`actor=None`); the
portal passes the administrator who acts, and only an administrator may. Every change to an account is in the
audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace

from engine.domain.departments import Role
from engine.domain.ports import AuditRecord, PasswordHasher, Ports, UnitOfWork
from engine.domain.workflow.accounts import Account, ApiToken, LoginPolicy, password_problem
from engine.domain.workflow.people import SYSTEM, USER_ID, User, UserRole
from engine.errors import InvalidInput, LoginRefused, NotPermitted, UnknownUser, UserExists

SHELL = "shell"  # the audit trail's name for the server's own shell, which `banfa user …` runs in
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DEFAULT_LOGIN = LoginPolicy()
IMPORTED_ROLES = {
    Role.OFFICER: UserRole.OFFICER,
    Role.LIAISON: UserRole.CONSULTEE,
    Role.LEADER: UserRole.LEADER,
}


@dataclass(frozen=True)
class Session:
    """What a login opens: the user, the generation every session must still carry, and whether the
    password must be changed before anything else."""

    user: User
    generation: int
    must_change_password: bool


@dataclass(frozen=True)
class ImportReport:
    added: tuple[str, ...]
    skipped: tuple[str, ...]  # contacts whose account id exists, or who have no e-mail


def add_user(
    user_id: str,
    name: str,
    department: str,
    roles: Iterable[str],
    *,
    now: dt.datetime,
    ports: Ports,
    email: str = "",
    actor: str | None = None,
) -> User:
    """Create an account; refuse an id that exists (UserExists), and every value that cannot be used."""
    user = _valid_user(user_id, name, department, roles, email, ports)
    with ports.uow() as uow:
        _check_admin(uow, actor, "添加用户")
        if _exists(uow, user_id):
            raise UserExists(user_id)
        uow.departments.sync(list(ports.registry))
        uow.users.add(user, now)
        _audit(uow, now, actor, "user-add", user_id, f"{user.department} {','.join(sorted(user.roles))}")
        uow.commit()
    return user


def update_user(
    user_id: str,
    *,
    now: dt.datetime,
    ports: Ports,
    name: str | None = None,
    department: str | None = None,
    roles: Iterable[str] | None = None,
    email: str | None = None,
    actor: str | None = None,
) -> User:
    """Change the named fields of an existing account; the others keep their values."""
    with ports.uow() as uow:
        _check_admin(uow, actor, "修改用户")
        old = uow.users.get(user_id)
        user = _valid_user(
            user_id,
            old.name if name is None else name,
            old.department if department is None else department,
            [r.value for r in old.roles] if roles is None else roles,
            old.email if email is None else email,
            ports,
        )
        uow.departments.sync(list(ports.registry))
        uow.users.add(user, now)
        _audit(uow, now, actor, "user-update", user_id)
        uow.commit()
    return user


def set_password(
    user_id: str,
    password: str,
    *,
    now: dt.datetime,
    ports: Ports,
    hasher: PasswordHasher,
    must_change: bool = False,
    actor: str | None = None,
) -> None:
    """Set a password (at least 8 characters, letters and digits); it enables the account and ends every
    session. `must_change` asks for a new one at the next login (a password someone else chose)."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem)
    hashed = hasher.hash(password)  # before the write transaction: argon2 takes its time on purpose
    with ports.uow() as uow:
        if actor is not None and actor != user_id:
            _check_admin(uow, actor, "重设密码")
        account = uow.accounts.get(user_id).with_password(hashed, must_change=must_change)
        uow.accounts.save(replace(account, disabled=False))
        _audit(uow, now, actor, "password", user_id, "须在首次登录时修改" if must_change else "")
        uow.commit()


def change_password(
    user_id: str, current: str, new: str, *, now: dt.datetime, ports: Ports, hasher: PasswordHasher
) -> None:
    """A person changes their own password, giving the current one; like every password change it ends all
    their sessions (they log in again with the new one). A wrong current password is refused (and recorded)."""
    with ports.reading() as uow:
        account = uow.accounts.get(user_id)
    if not hasher.verify(current, account.password_hash or ""):
        with ports.uow() as uow:
            _audit(uow, now, user_id, "password-refused", user_id, "当前密码不正确")
            uow.commit()
        raise LoginRefused(user_id, "当前密码不正确")
    if hasher.verify(new, account.password_hash or ""):
        raise InvalidInput("新密码不能与当前密码相同")
    set_password(user_id, new, now=now, ports=ports, hasher=hasher, actor=user_id)


def disable_user(user_id: str, *, now: dt.datetime, ports: Ports, actor: str | None = None) -> None:
    """Disable an account: it can no longer log in or act, and its sessions end. A new password enables it."""
    with ports.uow() as uow:
        _check_admin(uow, actor, "停用用户")
        uow.accounts.save(replace(uow.accounts.get(user_id).logged_out_everywhere(), disabled=True))
        _audit(uow, now, actor, "disable", user_id)
        uow.commit()


def log_out_everywhere(user_id: str, *, now: dt.datetime, ports: Ports) -> None:
    """End every session of the user (the portal's 退出 on all devices)."""
    with ports.uow() as uow:
        uow.accounts.save(uow.accounts.get(user_id).logged_out_everywhere())
        _audit(uow, now, user_id, "logout", user_id)
        uow.commit()


def list_users(*, ports: Ports) -> list[tuple[User, Account]]:
    """Every user with their account, ordered by id."""
    with ports.reading() as uow:
        return [(u, uow.accounts.get(u.id)) for u in uow.users.list()]


def import_users(*, now: dt.datetime, ports: Ports) -> ImportReport:
    """Create an account for each contact of the registry (officer, liaison, leader) that has an e-mail
    address, named by the address's local part, else `<department>.<role>`. They are disabled until a
    password is set; ids that exist already are left as they are."""
    added: list[str] = []
    skipped: list[str] = []
    with ports.uow() as uow:
        uow.departments.sync(list(ports.registry))
        for department in ports.registry:
            for role, user_role in IMPORTED_ROLES.items():
                contact = department.contact(role)
                if contact is None or not contact.email or not _EMAIL.fullmatch(contact.email):
                    continue
                user_id = _imported_id(contact.email, department.key, role.value)
                if _exists(uow, user_id) or user_id in added:
                    skipped.append(user_id)
                    continue
                name = contact.name or f"{department.display}{role.label}"
                uow.users.add(User(user_id, name, department.key, frozenset({user_role}), contact.email), now)
                uow.accounts.save(Account(user_id, disabled=True))
                added.append(user_id)
        _audit(uow, now, None, "user-import", "registry", f"{len(added)} added")
        uow.commit()
    return ImportReport(tuple(added), tuple(skipped))


def log_in(
    user_id: str,
    password: str,
    *,
    now: dt.datetime,
    ports: Ports,
    hasher: PasswordHasher,
    policy: LoginPolicy = DEFAULT_LOGIN,
) -> Session:
    """Open a session, or raise LoginRefused; failures count towards a lock, and every try is in the audit
    trail. An unknown id and a wrong password are refused in the same words.

    The password is checked (argon2: tens of milliseconds of CPU) outside the write transaction, so that a
    crowd logging in at nine o'clock does not queue behind each other on SQLite's write lock; the transaction
    that records the outcome starts from the account as it is then.
    """
    with ports.reading() as uow:
        try:
            kept = uow.accounts.get(user_id).password_hash or ""
        except UnknownUser:
            kept = ""
    # An unknown id (or an account without a password) costs the same check as a wrong password, so that the
    # time of the answer does not tell which ids exist.
    matches = hasher.verify(password, kept or _stand_in(hasher)) and bool(kept)
    with ports.uow() as uow:
        try:
            user, account = uow.users.get(user_id), uow.accounts.get(user_id)
        except UnknownUser:
            _audit(uow, now, user_id, "login-failed", user_id, "没有该用户")
            uow.commit()
            raise LoginRefused(user_id, "用户名或密码错误") from None
        if account.password_hash != kept:  # changed meanwhile: check against the new one (rare)
            matches = hasher.verify(password, account.password_hash or "")
        why = account.login_refusal(now)
        if why is None and not matches:
            uow.accounts.save(account.failed(now, policy))
            why = "用户名或密码错误"
        if why is not None:
            _audit(uow, now, user_id, "login-failed", user_id, why)
            uow.commit()
            raise LoginRefused(user_id, why)
        account = account.logged_in(now)
        uow.accounts.save(account)
        _audit(uow, now, user_id, "login", user_id)
        uow.commit()
    return Session(user, account.session_generation, account.must_change_password)


def ensure_admin(
    *, now: dt.datetime, ports: Ports, hasher: PasswordHasher, department: str, password: str | None = None
) -> str | None:
    """Give a new installation its administrator `admin`, once: with `password` (BANFA_ADMIN_PASSWORD), or a
    new random one that must be changed at the first login. Return the password that was made up, to be
    shown once, or None when none was (admin existed, or the password was given)."""
    with ports.uow() as uow:
        if _exists(uow, "admin"):
            return None
    made_up = password is None
    chosen = password if password is not None else _random_password()
    add_user("admin", "系统管理员", department, ["admin"], now=now, ports=ports)
    set_password("admin", chosen, now=now, ports=ports, hasher=hasher, must_change=made_up)
    return chosen if made_up else None


_STAND_IN: dict[int, str] = {}


def _stand_in(hasher: PasswordHasher) -> str:
    """A hash of no one's password, made once per hasher, to check against when there is no hash to check."""
    if id(hasher) not in _STAND_IN:
        _STAND_IN[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
    return _STAND_IN[id(hasher)]


def reset_password(
    user_id: str, *, actor: str, now: dt.datetime, ports: Ports, hasher: PasswordHasher
) -> str:
    """An administrator gives a user a new random password, to be changed at the next login; return it, to be
    shown once."""
    with ports.reading() as uow:
        _check_admin(uow, actor, "重设密码")
    chosen = _random_password()
    set_password(user_id, chosen, now=now, ports=ports, hasher=hasher, must_change=True, actor=actor)
    return chosen


def require_admin(actor: str, action: str, *, ports: Ports) -> None:
    """Refuse (NotPermitted) anyone but an administrator: for what only they may see, such as the outbox."""
    with ports.reading() as uow:
        _check_admin(uow, actor, action)


TOKEN_PREFIX = "banfa_"


def mint_token(user_id: str, *, now: dt.datetime, ports: Ports, days: int | None = None) -> str:
    """Make an API token for the user (for `Authorization: Bearer …`), valid for `days` or until revoked;
    return it, to be shown once: only its SHA-256 is kept. A disabled account's token does not work."""
    if days is not None and not 1 <= days <= 3650:
        raise InvalidInput(f"有效天数须在 1—3650 之间：{days}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + dt.timedelta(days=days) if days is not None else None
    with ports.uow() as uow:
        if user_id == SYSTEM:
            raise NotPermitted(SYSTEM, "生成令牌", "system 是系统自动处理的身份，不能用于人的操作")
        uow.users.get(user_id)
        uow.accounts.add_token(ApiToken(_digest(token), user_id, now, expires))
        _audit(uow, now, None, "token", user_id, f"有效至 {expires:%Y-%m-%d}" if expires else "长期有效")
        uow.commit()
    return token


def revoke_tokens(user_id: str, *, now: dt.datetime, ports: Ports) -> int:
    """Revoke every API token of the user not revoked yet (an expired one too); return how many."""
    with ports.uow() as uow:
        uow.users.get(user_id)
        count = uow.accounts.revoke_tokens(user_id, now)
        _audit(uow, now, None, "token-revoke", user_id, f"{count} 个")
        uow.commit()
    return count


def token_user(token: str, *, now: dt.datetime, ports: Ports) -> User | None:
    """The user an API token acts as; None for a token unknown, revoked, expired, or of a disabled account."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with ports.reading() as uow:
        kept = uow.accounts.token(_digest(token))
        if kept is None or not kept.valid(now) or uow.accounts.get(kept.user_id).disabled:
            return None
        return uow.users.get(kept.user_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def acting_user(uow: UnitOfWork, actor: str, action: str) -> User:
    """The user a person's action is taken as: never `system`, and never a disabled account."""
    if actor == SYSTEM:
        raise NotPermitted(SYSTEM, action, "system 是系统自动处理的身份，不能用于人的操作")
    user = uow.users.get(actor)
    if uow.accounts.get(actor).disabled:
        raise NotPermitted(actor, action, "账号已停用")
    return user


def _check_admin(uow: UnitOfWork, actor: str | None, action: str) -> None:
    if actor is not None and UserRole.ADMIN not in acting_user(uow, actor, action).roles:
        raise NotPermitted(actor, action, "只有系统管理员可以办理")


def _exists(uow: UnitOfWork, user_id: str) -> bool:
    try:
        uow.users.get(user_id)
    except UnknownUser:
        return False
    return True


def _valid_user(
    user_id: str, name: str, department: str, roles: Iterable[str], email: str, ports: Ports
) -> User:
    if user_id == SYSTEM:
        raise InvalidInput("system 是系统保留的用户名")
    if not USER_ID.match(user_id):
        raise InvalidInput(f"用户名须为小写字母、数字或 . _ -，以字母或数字开头：{user_id}")
    if not name.strip():
        raise InvalidInput("姓名不能为空")
    if email and not _EMAIL.fullmatch(email):
        raise InvalidInput(f"电子邮件地址格式有误：{email}")
    wanted = list(roles)
    unknown = [r for r in wanted if r not in {x.value for x in UserRole}]
    if unknown or not wanted:
        known = "、".join(r.value for r in UserRole)
        raise InvalidInput(
            f"未知角色：{'、'.join(unknown)}（可用 {known}）" if unknown else "至少需要一个角色"
        )
    dept = ports.registry.lookup(department)
    return User(user_id, name.strip(), dept.key, frozenset(UserRole(r) for r in wanted), email)


def _imported_id(email: str, department: str, role: str) -> str:
    local = email.partition("@")[0].lower()
    return local if USER_ID.match(local) and local != SYSTEM else f"{department}.{role}"


def _random_password() -> str:
    """Sixteen characters of letters and digits, at least one of each."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        if password_problem(password) is None:
            return password


def _audit(
    uow: UnitOfWork, now: dt.datetime, actor: str | None, action: str, subject: str, detail: str = ""
) -> None:
    uow.audit.record(AuditRecord(now, actor or SHELL, action, subject, detail))
