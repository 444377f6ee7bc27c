"""A read-only unit of work: it takes no write lock on SQLite, reads one snapshot on PostgreSQL, never commits."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.adapters.sql.connection import make_engine
from engine.adapters.sql.migrate import migrate
from engine.adapters.sql.unit_of_work import SqlUnitOfWork
from engine.domain.departments import Registry
from engine.domain.workflow.people import User, UserRole
from tests.support import databases

NOW = dt.datetime(2007, 9, 11, 9, tzinfo=dt.UTC)


def _with_a_user(database_url: str, registry: Registry) -> sa.Engine:
    db_engine = make_engine(database_url)
    migrate(db_engine)
    with SqlUnitOfWork(db_engine) as uow:
        uow.departments.sync(list(registry))
        uow.users.add(User("li", "李", "caizheng", frozenset({UserRole.OFFICER})), NOW)
        uow.commit()
    return db_engine


@pytest.fixture
def db_engine(database_url: str, registry: Registry) -> Iterator[sa.Engine]:
    db_engine = _with_a_user(database_url, registry)
    yield db_engine
    db_engine.dispose()


@pytest.fixture
def postgresql(tmp_path: Path, registry: Registry) -> Iterator[sa.Engine]:
    """PostgreSQL only: SQLite's deferred transaction takes its snapshot at its first read, not at BEGIN."""
    db_engine = _with_a_user(databases.empty_database_url(databases.POSTGRESQL, tmp_path), registry)
    yield db_engine
    db_engine.dispose()


def test_a_read_only_unit_of_work_reads_while_a_writer_holds_the_database(db_engine: sa.Engine) -> None:
    with SqlUnitOfWork(db_engine) as writer:
        writer.users.add(User("wang", "王", "caizheng", frozenset({UserRole.OFFICER})), NOW)
        started = time.monotonic()
        with SqlUnitOfWork(db_engine, read_only=True) as reader:
            assert [u.id for u in reader.users.list()] == ["li"]  # not the writer's uncommitted row
        assert (
            time.monotonic() - started < 1.0
        )  # no wait for the writer's lock (SQLite's busy timeout is 5 s)
        writer.commit()


def test_a_read_only_unit_of_work_cannot_commit(db_engine: sa.Engine) -> None:
    with SqlUnitOfWork(db_engine, read_only=True) as reader, pytest.raises(RuntimeError, match="read-only"):
        reader.commit()


def test_a_read_only_unit_of_work_reads_one_snapshot(postgresql: sa.Engine) -> None:
    """What another transaction commits during a page's reads does not show up half-way through them."""
    db_engine = postgresql
    with SqlUnitOfWork(db_engine, read_only=True) as reader:
        assert [u.id for u in reader.users.list()] == ["li"]
        done = threading.Event()

        def write() -> None:
            with SqlUnitOfWork(db_engine) as writer:
                writer.users.add(User("wang", "王", "caizheng", frozenset({UserRole.OFFICER})), NOW)
                writer.commit()
            done.set()

        threading.Thread(target=write).start()
        assert done.wait(10)
        assert [u.id for u in reader.users.list()] == ["li"]
    with SqlUnitOfWork(db_engine, read_only=True) as later:
        assert [u.id for u in later.users.list()] == ["li", "wang"]
