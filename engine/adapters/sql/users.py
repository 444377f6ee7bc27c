"""Accounts in SQL: the `users` table behind the UserRepository port."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import Connection

from engine.adapters.sql import schema
from engine.domain.workflow.people import User, UserRole
from engine.errors import UnknownUser


class SqlUsers:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def get(self, user_id: str) -> User:
        row = self.c.execute(sa.select(schema.users).where(schema.users.c.id == user_id)).first()
        if row is None:
            raise UnknownUser(user_id)
        return User(row.id, row.name, row.department, frozenset(UserRole(r) for r in row.roles), row.email)

    def add(self, user: User, now: dt.datetime) -> None:
        values = {
            "id": user.id,
            "name": user.name,
            "department": user.department,
            "roles": sorted(r.value for r in user.roles),
            "email": user.email,
            "created_at": now,
        }
        if self.c.execute(sa.select(schema.users.c.id).where(schema.users.c.id == user.id)).first():
            values.pop("created_at")
            self.c.execute(sa.update(schema.users).where(schema.users.c.id == user.id).values(**values))
        else:
            self.c.execute(sa.insert(schema.users).values(**values))

    def list(self) -> list[User]:
        ids = self.c.execute(sa.select(schema.users.c.id).order_by(schema.users.c.id)).scalars()
        return [self.get(i) for i in ids]
