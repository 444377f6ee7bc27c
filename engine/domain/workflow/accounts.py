"""An account's credentials and the rules of logging in: kept apart from `User`, which carries no secret.

Pure: the password is hashed by the PasswordHasher port, and every moment is an argument. An account is
locked for `lock_minutes` after `max_failures` failed logins in a row; a password change or "log out
everywhere" bumps the session generation, which every session carries, so older sessions end.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

MIN_PASSWORD = 8
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed logins in a row lock an account, and for how long."""

    max_failures: int = 5
    lock_minutes: int = 15


@dataclass(frozen=True)
class Account:
    """What a user logs in with; an account without a password cannot log in (the shell's `--as` still acts)."""

    user_id: str
    password_hash: str | None = None
    disabled: bool = False
    must_change_password: bool = False
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    last_login: dt.datetime | None = None
    session_generation: int = 0

    def login_refusal(self, now: dt.datetime) -> str | None:
        """Why the account may not log in now, before its password is even checked; None when it may."""
        if self.disabled:
            return "账号已停用"
        if self.password_hash is None:
            return "账号尚未设置密码"
        if self.locked_until is not None and now < self.locked_until:
            return f"连续登录失败次数过多，账号已锁定至 {self.locked_until.isoformat(timespec='minutes')}"
        return None

    def failed(self, now: dt.datetime, policy: LoginPolicy) -> Account:
        """The account after a wrong password: one more failure, locked once there are too many."""
        failures = self.failed_logins + 1
        locked = now + dt.timedelta(minutes=policy.lock_minutes) if failures >= policy.max_failures else None
        return replace(
            self, failed_logins=0 if locked else failures, locked_until=locked or self.locked_until
        )

    def logged_in(self, now: dt.datetime) -> Account:
        return replace(self, failed_logins=0, locked_until=None, last_login=now)

    def with_password(self, password_hash: str, *, must_change: bool) -> Account:
        """A new password ends every session, unlocks the account, and says whether it must be changed."""
        return replace(
            self,
            password_hash=password_hash,
            must_change_password=must_change,
            failed_logins=0,
            locked_until=None,
            session_generation=self.session_generation + 1,
        )

    def logged_out_everywhere(self) -> Account:
        return replace(self, session_generation=self.session_generation + 1)


def password_problem(password: str) -> str | None:
    """What is wrong with a new password (at least 8 characters, letters and digits); None when it is fine."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符"
    if not (_LETTER.search(password) and _DIGIT.search(password)):
        return "密码须同时包含字母和数字"
    if password != password.strip():
        return "密码首尾不能有空格"
    return None


@dataclass(frozen=True)
class ApiToken:
    """A token a script sends as `Authorization: Bearer …` to act as its user. Only its SHA-256 is kept; the
    token itself is shown once, when it is made."""

    digest: str
    user_id: str
    created: dt.datetime
    expires: dt.datetime | None = None
    revoked: dt.datetime | None = None

    def valid(self, now: dt.datetime) -> bool:
        return self.revoked is None and (self.expires is None or now < self.expires)
