"""The database layer: migrations, SQLite's connection settings, aware timestamps, keys, concurrent writers.

Each test runs on a new SQLite file and, when BANFA_TEST_DATABASE_URL is set, on a fresh PostgreSQL schema.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, StatementError

from engine.adapters.sql.connection import begin_immediate, default_url, make_engine
from engine.adapters.sql.documents import SqlDocumentStore
from engine.adapters.sql.migrate import alembic_config, current_revision, migrate
from engine.adapters.sql.migrations import HEAD
from engine.adapters.sql.schema import AwareDateTime, departments, metadata, users
from engine.adapters.sql.unit_of_work import SqlUnitOfWork
from engine.domain.drafting.versions import DocumentKind, NewDocument
from engine.errors import DatabaseUnavailable

TABLES = {
    "notices", "departments", "users", "duties", "events", "consultation_requests", "opinions", "decisions",
    "reviews", "extensions", "documents", "machine_steps", "dispatches", "reminders", "scheduler_leases",
    "audit_log", "api_tokens",
}  # fmt: skip
SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2007, 10, 15, 9, 30, 5, 123456, tzinfo=SHANGHAI)
CAIZHENG = {"key": "caizheng", "name": "深圳市财政局", "display": "市财政局", "kind": "政府部门"}


@pytest.fixture
def db_engine(database_url: str) -> Iterator[sa.Engine]:
    db_engine = make_engine(database_url)
    yield db_engine
    db_engine.dispose()


@pytest.fixture
def migrated(db_engine: sa.Engine) -> sa.Engine:
    migrate(db_engine)
    return db_engine


def _tables(db_engine: sa.Engine) -> set[str]:
    return set(sa.inspect(db_engine).get_table_names()) - {"alembic_version"}


def test_migrations_create_every_table(db_engine: sa.Engine) -> None:
    assert current_revision(db_engine) is None
    migrate(db_engine)
    assert _tables(db_engine) == TABLES
    assert current_revision(db_engine) == HEAD


def test_the_migrated_schema_is_the_schema_in_code(migrated: sa.Engine) -> None:
    with migrated.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_pending_reminders_index_is_partial_on_every_database(migrated: sa.Engine) -> None:
    # schema.py names only sqlite_where (postgresql_where would load the PostgreSQL dialect into every
    # process), and alembic's comparison ignores predicates: the migration alone gives PostgreSQL its own.
    (index,) = (
        i
        for i in sa.inspect(migrated).get_indexes("reminders")
        if i["name"] == "ix_reminders_pending_send_on"
    )
    predicate = index.get("dialect_options", {}).get(f"{migrated.dialect.name}_where")
    assert predicate is not None and "pending" in str(predicate)


def test_migrating_twice_changes_nothing(migrated: sa.Engine) -> None:
    with migrated.begin() as conn:
        conn.execute(departments.insert().values(**CAIZHENG))
    migrate(migrated)
    assert current_revision(migrated) == HEAD
    with migrated.connect() as conn:
        assert conn.execute(sa.select(departments.c.name)).scalars().all() == ["深圳市财政局"]


def test_downgrading_to_base_drops_every_table_and_upgrading_again_restores_them(migrated: sa.Engine) -> None:
    with begin_immediate(migrated) as conn:
        command.downgrade(alembic_config(conn), "base")
    assert _tables(migrated) == set()
    assert current_revision(migrated) is None
    migrate(migrated)
    assert _tables(migrated) == TABLES


def test_a_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    db_engine = make_engine("postgresql://banfa@db.example.org/banfa")
    assert db_engine.dialect.driver == "psycopg"
    db_engine.dispose()


def test_the_default_database_is_an_absolute_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_url(Path("var")) == f"sqlite:///{tmp_path.resolve()}/var/banfa.db"


def test_every_new_sqlite_connection_has_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    db_engine = make_engine(default_url(tmp_path))
    pragmas = ("journal_mode", "foreign_keys", "busy_timeout")
    with db_engine.connect() as first, db_engine.connect() as second:
        for conn in (first, second):
            assert tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in pragmas) == ("wal", 1, 5000)
    db_engine.dispose()  # the pool's connections are gone; the next one is new
    with db_engine.connect() as conn:
        assert tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in pragmas) == ("wal", 1, 5000)
    db_engine.dispose()


def test_a_write_transaction_on_sqlite_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    db_engine = make_engine(default_url(tmp_path))
    migrate(db_engine)
    other = sqlite3.connect(tmp_path / "banfa.db", timeout=0, isolation_level=None)
    try:
        with begin_immediate(db_engine) as conn:
            conn.execute(sa.select(departments.c.key)).all()  # a read only, yet the lock is held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        db_engine.dispose()


def test_an_aware_datetime_refuses_a_naive_datetime(migrated: sa.Engine) -> None:
    naive = AT.replace(tzinfo=None)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        with pytest.raises(ValueError, match="timezone-aware"):
            AwareDateTime().process_bind_param(naive, dialect)
    with migrated.begin() as conn:
        conn.execute(departments.insert().values(**CAIZHENG))
        with pytest.raises(StatementError) as caught:
            conn.execute(users.insert().values(**_user(created_at=naive)))
    assert isinstance(caught.value.orig, ValueError)


def test_an_aware_datetime_keeps_a_shanghai_time_as_the_same_instant_in_utc(migrated: sa.Engine) -> None:
    with migrated.begin() as conn:
        conn.execute(departments.insert().values(**CAIZHENG))
        conn.execute(users.insert().values(**_user(created_at=AT)))
    in_utc = "created_at" if migrated.dialect.name == "sqlite" else "created_at AT TIME ZONE 'UTC'"
    with migrated.connect() as conn:
        stored = conn.execute(sa.select(users.c.created_at)).scalar_one()
        raw = conn.execute(sa.text(f"SELECT CAST({in_utc} AS TEXT) FROM users")).scalar_one()
    assert stored == AT and stored.utcoffset() == dt.timedelta(0)
    assert raw == "2007-10-15 01:30:05.123456"  # naive UTC on SQLite; timestamptz on PostgreSQL


def test_a_row_naming_an_unknown_department_is_refused(migrated: sa.Engine) -> None:
    with pytest.raises(IntegrityError), migrated.begin() as conn:
        conn.execute(users.insert().values(**_user(created_at=AT)))
    with migrated.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 0


def test_two_writers_for_the_same_duty_get_distinct_consecutive_versions(database_url: str) -> None:
    setup = make_engine(database_url)
    migrate(setup)
    setup.dispose()
    start = threading.Barrier(2)
    failures: list[BaseException] = []
    workers = [threading.Thread(target=_put_many, args=(database_url, w, start, failures)) for w in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert failures == []
    db_engine = make_engine(database_url)
    stored = SqlDocumentStore(db_engine).versions("sfb2007-129-02-02-1-caizheng")
    db_engine.dispose()
    assert [v.version for v in stored] == list(range(1, 31))
    assert sorted(v.author for v in stored) == ["worker-1"] * 15 + ["worker-2"] * 15


def _put_many(url: str, worker: int, start: threading.Barrier, failures: list[BaseException]) -> None:
    """Store 15 different documents through an engine of the worker's own, as another process would."""
    db_engine = make_engine(url)
    store = SqlDocumentStore(db_engine)
    try:
        start.wait()
        for i in range(15):
            store.put(NewDocument(
                duty_id="sfb2007-129-02-02-1-caizheng", kind=DocumentKind.DRAFT, data=f"{worker}/{i}".encode(),
                filename="征求意见稿.docx", author=f"worker-{worker}", created=AT,
            ))  # fmt: skip
    except BaseException as exc:
        failures.append(exc)
    finally:
        db_engine.dispose()


def _user(*, created_at: dt.datetime) -> dict[str, object]:
    return {
        "id": "zhangsan",
        "name": "张三",
        "department": "caizheng",
        "roles": ["officer"],
        "created_at": created_at,
    }


def test_head_names_the_newest_migration_and_is_current_after_migrating(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from engine.adapters.sql.migrate import alembic_config, is_current
    from engine.adapters.sql.migrations import HEAD

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD]
    db_engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    assert not is_current(db_engine)
    migrate(db_engine)
    assert is_current(db_engine)
    db_engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder-of-banfa/banfa.db",
        "postgresql+psycopg://postgres:secret@127.0.0.1:1/banfa?connect_timeout=2",
    ],
    ids=["sqlite-without-its-folder", "postgresql-nobody-listens"],
)
def test_a_database_that_cannot_be_reached_is_unavailable_without_its_password(url: str) -> None:
    db_engine = make_engine(url)
    try:
        with pytest.raises(DatabaseUnavailable) as caught, SqlUnitOfWork(db_engine):
            pass
    finally:
        db_engine.dispose()
    assert "secret" not in str(caught.value) and "数据库暂时无法使用" in str(caught.value)
    assert isinstance(caught.value.__cause__, sa.exc.OperationalError)


def test_migration_0004_keeps_the_catalogue_deadline_an_extension_had_moved(db_engine: sa.Engine) -> None:
    """A duty stored before 0004 reads back with the catalogue deadline it had then: the first extension's
    old deadline when it was extended, else its deadline."""
    with begin_immediate(db_engine) as conn:
        command.upgrade(alembic_config(conn), "0003")
        conn.execute(departments.insert().values(**CAIZHENG))
        conn.execute(
            sa.text(
                "INSERT INTO notices (id, title, catalogue, ingested_at) VALUES ('n1', '通知', '{}', :at)"
            ),
            {"at": AwareDateTime().process_bind_param(AT, conn.dialect)},
        )
        for duty, deadline in (("n1-extended", "2008-03-31"), ("n1-kept", "2007-12-31")):
            conn.execute(
                sa.text(
                    "INSERT INTO duties (id, notice_id, location, ref, title, track, lead, co_departments, "
                    "consultees, officer, text, basis, deadline, state, version, created_at, updated_at) VALUES "
                    "(:id, 'n1', '一', '一', '办法', '规范性文件', 'caizheng', '[]', '[]', '', '', '[]', :deadline, "
                    "'起草中', 1, :at, :at)"
                ),
                {
                    "id": duty,
                    "deadline": dt.date.fromisoformat(deadline),
                    "at": AwareDateTime().process_bind_param(AT, conn.dialect),
                },
            )
        conn.execute(
            sa.text(
                "INSERT INTO extensions (duty_id, seq, old_deadline, new_deadline, approver, reason, granted_at) "
                "VALUES ('n1-extended', 1, :old, :new, 'office', '延期', :at)"
            ),
            {
                "old": dt.date(2007, 12, 31),
                "new": dt.date(2008, 3, 31),
                "at": AwareDateTime().process_bind_param(AT, conn.dialect),
            },
        )
    migrate(db_engine)
    with db_engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT id, catalogue_deadline FROM duties")).all())
    assert {k: str(v) for k, v in rows.items()} == {"n1-extended": "2007-12-31", "n1-kept": "2007-12-31"}
