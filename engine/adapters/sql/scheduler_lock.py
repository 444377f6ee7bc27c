"""Let one scheduler at a time be the active one; any other waits as a standby.

PostgreSQL: a session-level advisory lock held on a connection of its own for as long as the scheduler runs;
the server frees it when that connection dies, so a killed scheduler never blocks the next one.
SQLite: a lease row in `scheduler_leases`, renewed by its holder; a second scheduler takes it over only once it
is older than `stale_after` (the holder stopped renewing: it died or hangs).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from engine.adapters.sql import schema
from engine.adapters.sql.connection import begin_immediate

_LOCK_KEY = "banfa.scheduler"


class SchedulerLock:
    """The scheduler's claim to be the active one, under a holder name (host and process)."""

    def __init__(self, db_engine: Engine, holder: str, stale_after: dt.timedelta) -> None:
        self.db_engine, self.holder, self.stale_after = db_engine, holder, stale_after
        self._held: Connection | None = None
        self.postgres = db_engine.dialect.name == "postgresql"

    def acquire(self, now: dt.datetime) -> bool:
        """Try to become the active scheduler; True when this holder is (or already was)."""
        if self.postgres:
            return self._advisory()
        with begin_immediate(self.db_engine) as conn:
            t = schema.scheduler_leases
            row = conn.execute(sa.select(t).where(t.c.name == "scheduler")).first()
            if row is None:
                conn.execute(sa.insert(t).values(name="scheduler", holder=self.holder, renewed_at=now))
                return True
            if row.holder != self.holder and row.renewed_at > now - self.stale_after:
                return False
            conn.execute(
                sa.update(t).where(t.c.name == "scheduler").values(holder=self.holder, renewed_at=now)
            )
            return True

    def renew(self, now: dt.datetime) -> bool:
        """Keep the lease; False when another scheduler has taken it (this one must stand down)."""
        if self.postgres:
            return self._alive()
        with begin_immediate(self.db_engine) as conn:
            t = schema.scheduler_leases
            done = conn.execute(
                sa.update(t).where(t.c.name == "scheduler", t.c.holder == self.holder).values(renewed_at=now)
            )
            return done.rowcount == 1

    def release(self) -> None:
        """Give the role up at once, so that a standby need not wait for the lease to go stale."""
        if self.postgres:
            if self._held is not None:
                # The lock belongs to the session, and a pooled connection outlives close(): unlock first.
                key = {"key": _LOCK_KEY}
                self._held.execute(sa.text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), key)
                self._held.commit()
                self._held.close()
                self._held = None
            return
        with begin_immediate(self.db_engine) as conn:
            t = schema.scheduler_leases
            conn.execute(sa.delete(t).where(t.c.name == "scheduler", t.c.holder == self.holder))

    def _alive(self) -> bool:
        """Whether the connection holding the lock still works: if it broke, the server has freed the lock."""
        if self._held is None:
            return False
        try:
            self._held.execute(sa.text("SELECT 1"))
            self._held.commit()
        except sa.exc.DBAPIError:
            self._held.invalidate()
            self._held = None
            return False
        return True

    def _advisory(self) -> bool:
        if self._held is not None:
            return True
        conn = self.db_engine.connect()
        key = {"key": _LOCK_KEY}
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"), key).scalar()
        conn.commit()
        if got:
            self._held = conn
            return True
        conn.close()
        return False
