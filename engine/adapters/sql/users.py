"""People and their accounts in SQL: the `users` table behind the UserRepository and AccountRepository ports.

The two repositories read and write different columns of the same row: a User carries no secret.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.domain.workflow.accounts import Account, ApiToken
from engine.domain.workflow.people import User, UserRole
from engine.errors import UnknownUser


class SqlUsers:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def get(self, user_id: str) -> User:
        row = self.c.execute(sa.select(*_USER).where(t.c.id == user_id)).first()
        if row is None:
            raise UnknownUser(user_id)
        return _user(row)

    def add(self, user: User, now: dt.datetime) -> None:
        values = {
            "id": user.id,
            "name": user.name,
            "department": user.department,
            "roles": sorted(r.value for r in user.roles),
            "email": user.email,
            "created_at": now,
        }
        if self.c.execute(sa.select(t.c.id).where(t.c.id == user.id)).first():
            values.pop("created_at")
            self.c.execute(sa.update(t).where(t.c.id == user.id).values(**values))
        else:
            self.c.execute(sa.insert(t).values(**values))

    def list(self) -> list[User]:
        return [_user(r) for r in self.c.execute(sa.select(*_USER).order_by(t.c.id))]


class SqlAccounts:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def get(self, user_id: str) -> Account:
        row = self.c.execute(sa.select(*_ACCOUNT).where(t.c.id == user_id)).first()
        if row is None:
            raise UnknownUser(user_id)
        return Account(
            row.id,
            row.password_hash,
            row.disabled,
            row.must_change_password,
            row.failed_logins,
            row.locked_until,
            row.last_login_at,
            row.session_generation,
        )

    def save(self, account: Account) -> None:
        done = self.c.execute(
            sa.update(t)
            .where(t.c.id == account.user_id)
            .values(
                password_hash=account.password_hash,
                disabled=account.disabled,
                must_change_password=account.must_change_password,
                failed_logins=account.failed_logins,
                locked_until=account.locked_until,
                last_login_at=account.last_login,
                session_generation=account.session_generation,
            )
        )
        if done.rowcount != 1:
            raise UnknownUser(account.user_id)

    def add_token(self, token: ApiToken) -> None:
        if self.c.execute(sa.select(t.c.id).where(t.c.id == token.user_id)).first() is None:
            raise UnknownUser(token.user_id)
        self.c.execute(
            sa.insert(k).values(
                digest=token.digest,
                user_id=token.user_id,
                created_at=token.created,
                expires_at=token.expires,
                revoked_at=token.revoked,
            )
        )

    def token(self, digest: str) -> ApiToken | None:
        row = self.c.execute(sa.select(k).where(k.c.digest == digest)).first()
        if row is None:
            return None
        return ApiToken(row.digest, row.user_id, row.created_at, row.expires_at, row.revoked_at)

    def revoke_tokens(self, user_id: str, now: dt.datetime) -> int:
        done = self.c.execute(
            sa.update(k).where(k.c.user_id == user_id, k.c.revoked_at.is_(None)).values(revoked_at=now)
        )
        return int(done.rowcount)


t = schema.users
k = schema.api_tokens
_USER = (t.c.id, t.c.name, t.c.department, t.c.roles, t.c.email)
_ACCOUNT = (
    t.c.id,
    t.c.password_hash,
    t.c.disabled,
    t.c.must_change_password,
    t.c.failed_logins,
    t.c.locked_until,
    t.c.last_login_at,
    t.c.session_generation,
)


def _user(row: Any) -> User:
    return User(row.id, row.name, row.department, frozenset(UserRole(r) for r in row.roles), row.email)
