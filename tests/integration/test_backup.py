"""`banfa backup` and `banfa restore`: a round trip gives back every table's rows and every document's bytes,
a damaged archive or a database in use is refused with nothing changed, and the reminders that may have gone
out after the backup are never sent again."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from engine.adapters.sql import dump, schema
from engine.adapters.sql.connection import make_engine
from engine.bootstrap import mailing_for, open_workflow, restore_backup, take_backup
from engine.config import Settings
from engine.entrypoints.scheduler import Jobs
from engine.errors import BackupDamaged, RestoreRefused
from engine.services import workflow as wf
from engine.services.reminders.sending import plan_all
from tests.support import databases
from tests.support.workflows import SAMPLE, at, workflow_with_people


def _tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, in key order, as the backup encodes them."""
    db_engine = make_engine(url)
    try:
        with db_engine.connect() as conn:
            return {
                t.name: [
                    json.loads(dump.encode_row(dict(r)))
                    for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns)).mappings()
                ]
                for t in dump.tables()
            }
    finally:
        db_engine.dispose()


def _documents(url: str) -> dict[str, str]:
    """Each stored document's id and the SHA-256 of its bytes, checked against the recorded checksum."""
    db_engine = make_engine(url)
    t = schema.documents
    try:
        with db_engine.connect() as conn:
            rows = list(conn.execute(sa.select(t.c.id, t.c.checksum, t.c.data)))
    finally:
        db_engine.dispose()
    for row in rows:
        assert hashlib.sha256(row.data).hexdigest() == row.checksum
    return {row.id: row.checksum for row in rows}


def _target(database_url: str, tmp_path: Path) -> tuple[Settings, str]:
    """An empty place to restore into: the embedded file of a new data directory, or a new PostgreSQL schema."""
    data = tmp_path / "restored"
    if sa.make_url(database_url).get_backend_name() == "sqlite":
        return Settings(data_dir=data, demo_contacts=True).resolved(), f"sqlite:///{data / 'banfa.db'}"
    url = databases.empty_database_url(databases.POSTGRESQL, tmp_path)
    return Settings(data_dir=data, database_url=SecretStr(url), demo_contacts=True).resolved(), url


@pytest.fixture
def running(database_url: str, tmp_path: Path) -> Any:
    """The seed with its people, one duty started (its first documents made) and every reminder planned."""
    workflow, settings = workflow_with_people(database_url, tmp_path / "live")
    p, d = workflow.ports, workflow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    plan_all(at("2007-09-11", 11), ports=p)
    yield workflow, settings
    workflow.db_engine.dispose()


def test_a_restored_backup_holds_every_row_and_every_document_byte_for_byte(
    running: Any, database_url: str, tmp_path: Path
) -> None:
    _, settings = running
    archive = tmp_path / "backups" / "banfa.tar.gz"
    taken = take_backup(settings, archive, now=at("2007-09-11", 12))
    assert taken.tables["documents"] == len(_documents(database_url)) >= 2
    before = _tables(database_url)

    target, url = _target(database_url, tmp_path)
    done = restore_backup(target, archive, now=at("2007-09-11", 12))
    after = _tables(url)
    assert _documents(url) == _documents(database_url)
    assert {k: v for k, v in after.items() if k != "reminders"} == {
        k: v for k, v in before.items() if k != "reminders"
    }
    assert done.uncertain == []  # nothing was claimed or due on the day the backup was taken
    assert after["reminders"] == before["reminders"]
    assert (done.rules / "departments.toml").read_bytes() == (
        settings.rules / "departments.toml"
    ).read_bytes()

    # The restored Banfa works on: the next action gets new ids, not ones the backup already used.
    restored = open_workflow(target)
    try:
        wf.open_consultation(
            SAMPLE, actor="zhang", now=at("2007-09-28"), ports=restored.ports, dispatcher=restored.dispatcher
        )
        assert len(_tables(url)["events"]) > len(before["events"])
    finally:
        restored.db_engine.dispose()


def test_reminders_that_may_have_gone_out_after_the_backup_are_marked_uncertain_never_resent(
    running: Any, database_url: str, tmp_path: Path
) -> None:
    _, settings = running
    archive = tmp_path / "old.tar.gz"
    take_backup(settings, archive, now=at("2007-09-11", 12))
    pending = [r for r in _tables(database_url)["reminders"] if r["status"] == "pending"]
    restore_day = at("2007-11-20")
    due = sorted(r["key"] for r in pending if r["send_on"]["$d"] <= restore_day.date().isoformat())
    assert due, "the seed plans reminders due before the restore day"

    target, url = _target(database_url, tmp_path)
    done = restore_backup(target, archive, now=restore_day)
    assert done.uncertain == due
    rows = {r["key"]: r for r in _tables(url)["reminders"]}
    assert {k for k, r in rows.items() if r["status"] == "uncertain"} == set(due)
    assert {k for k, r in rows.items() if r["status"] == "pending"} == {r["key"] for r in pending} - set(due)
    restored = open_workflow(target)
    try:
        with restored.ports.uow() as uow:
            listed = {r.key for r in uow.reminders.unreported("sfb2007-129")}
    finally:
        restored.db_engine.dispose()
    assert set(due) <= listed  # the next digest names them


def test_a_restore_into_a_database_in_use_or_from_a_damaged_archive_changes_nothing(
    running: Any, database_url: str, tmp_path: Path
) -> None:
    _, settings = running
    archive = tmp_path / "b.tar.gz"
    take_backup(settings, archive, now=at("2007-09-11", 12))
    before = _tables(database_url)
    with pytest.raises(RestoreRefused, match="不是空的"):
        restore_backup(settings, archive, now=at("2007-09-12"))
    assert _tables(database_url) == before

    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "tables/duties.jsonl":
                data = data.replace(b"caizheng", b"gongan", 1)
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    target, url = _target(database_url, tmp_path)
    with pytest.raises(BackupDamaged, match=r"tables/duties\.jsonl"):
        restore_backup(target, damaged, now=at("2007-09-12"))
    assert not (target.data_dir / "rules-from-backup").exists()
    db_engine = make_engine(url)
    try:
        assert dump.emptiness(db_engine) is None
    finally:
        db_engine.dispose()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(BackupDamaged):
        restore_backup(target, truncated, now=at("2007-09-12"))


def test_the_scheduler_takes_a_daily_backup_and_keeps_the_newest_few(running: Any, tmp_path: Path) -> None:
    workflow, settings = running
    settings = settings.model_copy(update={"backup_dir": tmp_path / "daily", "backup_keep": 2})
    days = iter(["2007-09-12", "2007-09-13", "2007-09-14"])
    jobs = Jobs(workflow, mailing_for(settings), lambda: at(next(days), 2), lambda line: None, settings)
    taken = [jobs.backup() for _ in range(3)]
    assert sorted((tmp_path / "daily").iterdir()) == taken[1:]  # the oldest went
    assert [p.name for p in taken if p] == [f"banfa-200709{d}-020000.tar.gz" for d in (12, 13, 14)]
    switched_off = Jobs(workflow, mailing_for(settings), lambda: at("2007-09-15", 2), lambda line: None)
    assert switched_off.backup() is None  # no settings, no backup: `banfa reminders send-due` takes none
