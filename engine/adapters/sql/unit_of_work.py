"""One transaction with every repository over it: the unit of work services use through the port.

The unit of work opens one connection in one transaction (BEGIN IMMEDIATE on SQLite, so writers take turns)
and rolls back unless committed; services never see it. A database that cannot be reached, goes away in the
middle (a restart) or stays locked raises DatabaseUnavailable, never the driver's error. A duty is saved with
an optimistic lock: the update names the version it read, and a stale version raises ConcurrencyConflict with
nothing written. Its audit events, reviews and extensions are append-only; its consultation rows are rewritten
with it.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy import Engine

from engine.adapters.sql.audit import SqlAuditLog
from engine.adapters.sql.connection import BEGIN_OPTION, unavailable
from engine.adapters.sql.duties import SqlDuties
from engine.adapters.sql.machine import SqlDispatchLog, SqlMachineLog
from engine.adapters.sql.notices import SqlDepartments, SqlNotices
from engine.adapters.sql.reminders import SqlReminderLog
from engine.adapters.sql.users import SqlAccounts, SqlUsers
from engine.adapters.sql.views import SqlReadModels
from engine.errors import DatabaseUnavailable


class SqlUnitOfWork:
    """One transaction with the repositories over it; `read_only` for views, which must not queue for writes.

    A writing unit of work begins IMMEDIATE on SQLite (writers take turns from the start). A reading one begins
    DEFERRED on SQLite, which takes no write lock and, in WAL mode, reads one snapshot; on PostgreSQL it is
    REPEATABLE READ READ ONLY, so that a page's parts and the row version it hands out agree.
    """

    def __init__(self, db_engine: Engine, *, read_only: bool = False) -> None:
        self.db_engine = db_engine
        self.read_only = read_only

    def __enter__(self) -> Self:
        """Begin the transaction (IMMEDIATE on SQLite when it writes); raise DatabaseUnavailable when the database
        cannot be reached or stays locked past the busy timeout."""
        try:
            connection = self.db_engine.connect()
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc
        try:
            if not self.read_only:
                connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            elif connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            self.transaction = connection.begin()
        except sa.exc.OperationalError as exc:
            connection.close()
            raise self._unavailable(exc) from exc
        self.connection = connection
        self.duties = SqlDuties(self.connection)
        self.users = SqlUsers(self.connection)
        self.notices = SqlNotices(self.connection)
        self.departments = SqlDepartments(self.connection)
        self.machine = SqlMachineLog(self.connection)
        self.dispatches = SqlDispatchLog(self.connection)
        self.reminders = SqlReminderLog(self.connection)
        self.accounts = SqlAccounts(self.connection)
        self.audit = SqlAuditLog(self.connection)
        self.views = SqlReadModels(self.connection)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back unless committed, and close. The database going away (or staying locked) in the middle
        of the transaction, or at its commit, leaves as DatabaseUnavailable, as it does at the start."""
        with contextlib.suppress(sa.exc.OperationalError):  # a lost connection's transaction is rolled back
            if self.transaction.is_active:
                self.transaction.rollback()
        self.connection.close()
        if isinstance(exc, sa.exc.OperationalError):
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: sa.exc.OperationalError) -> DatabaseUnavailable:
        return unavailable(self.db_engine, exc)

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.transaction.commit()

    def rollback(self) -> None:
        self.transaction.rollback()
