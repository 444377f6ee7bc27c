"""Write and restore Banfa's backups: one .tar.gz with the database, the documents and the rules in force.

    manifest.json          format, moment, revision, database kind, row counts, SHA-256 of every member
    tables/<table>.jsonl   every table's rows (engine.adapters.sql.dump), one snapshot taken while Banfa runs
    documents/…            the file document store, when Banfa uses one (the SQL store is in the tables)
    rules/…                the rules folder in force: registries, catalogues, calendars, reminder policy
    portal-secret          the key of the portal's sessions

A backup is written under a temporary name and renamed when complete. A restore checks every member against the
manifest before it changes anything, refuses a data directory or a database that already holds Banfa's data,
loads the database in one transaction (SQLite: into a new file renamed into place), and only then moves the
documents in. The rules come back beside the data (`rules-from-backup/`), for the operator to choose.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.adapters.sql import dump
from engine.adapters.sql.connection import default_url, make_engine
from engine.domain.workflow.model import local_date
from engine.errors import BackupDamaged, RestoreRefused

FORMAT = 1
MANIFEST = "manifest.json"
SECRET = "portal-secret"
RULES_BACK = "rules-from-backup"


@dataclass(frozen=True)
class Taken:
    path: Path
    revision: str
    tables: dict[str, int]
    documents: int  # files of a file document store
    size: int


@dataclass(frozen=True)
class Restored:
    created: dt.datetime  # when the backup was taken
    revision: str
    tables: dict[str, int]
    documents: int
    uncertain: list[str]  # reminders marked uncertain
    rules: Path


@dataclass(frozen=True)
class Sources:
    """What a backup reads: the database, and the folders of the data directory and of the rules."""

    database_url: str
    data_dir: Path
    rules_dir: Path
    file_store: bool


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def take(target: Path, sources: Sources, *, now: dt.datetime) -> Taken:
    """Write a backup of everything in `sources` to `target` (atomically: a crash leaves no half archive)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".banfa-backup-", dir=target.parent) as scratch:
        staging = Path(scratch) / "content"
        (staging / "tables").mkdir(parents=True)

        def write(name: str, lines: Iterator[bytes]) -> None:
            with (staging / "tables" / f"{name}.jsonl").open("wb") as fh:
                fh.writelines(lines)

        db_engine = make_engine(sources.database_url)
        try:
            revision, counts = dump.dump(db_engine, write)
            kind = db_engine.dialect.name
        finally:
            db_engine.dispose()
        # after the snapshot: a file store only adds files, so every document the tables name is here
        documents = (
            _copy_tree(sources.data_dir / "documents", staging / "documents") if sources.file_store else 0
        )
        _copy_tree(sources.rules_dir, staging / "rules")
        if (sources.data_dir / SECRET).is_file():
            shutil.copyfile(sources.data_dir / SECRET, staging / SECRET)
        files = {str(p.relative_to(staging)): _sha256(p) for p in sorted(staging.rglob("*")) if p.is_file()}
        manifest = {
            "format": FORMAT,
            "created": now.isoformat(),
            "revision": revision,
            "database": kind,
            "tables": counts,
            "documents": documents,
            "files": files,
        }
        partial = Path(scratch) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
            for member in files:
                archive.add(staging / member, arcname=member, recursive=False)
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(now.timestamp())
            archive.addfile(info, io.BytesIO(body))
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, target)
    return Taken(target, revision, counts, documents, target.stat().st_size)


def _copy_tree(source: Path, destination: Path) -> int:
    if not source.is_dir():
        return 0
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(".*.tmp", "*.lock"))
    return sum(1 for p in destination.rglob("*") if p.is_file())


def restore(archive_path: Path, data_dir: Path, database_url: str | None, *, now: dt.datetime) -> Restored:
    """Restore a backup into an empty data directory and database (None: the embedded SQLite file)."""
    with tempfile.TemporaryDirectory(prefix=".banfa-restore-", dir=_ready(data_dir)) as scratch:
        staging = Path(scratch)
        manifest = _unpack(archive_path, staging)
        url = database_url or default_url(data_dir)
        _refuse_filled(data_dir, url)
        revision, created = str(manifest["revision"]), dt.datetime.fromisoformat(str(manifest["created"]))

        def read(name: str) -> Iterator[bytes]:
            path = staging / "tables" / f"{name}.jsonl"
            if path.is_file():
                with path.open("rb") as fh:
                    yield from fh

        uncertain = _load(url, revision, read, local_date(now))  # the reminders' day, as a tick counts it
        documents = _move(staging / "documents", data_dir / "documents")
        _move(staging / "rules", data_dir / RULES_BACK)
        if (staging / SECRET).is_file() and not (data_dir / SECRET).exists():
            os.replace(staging / SECRET, data_dir / SECRET)
    tables = {str(k): int(v) for k, v in manifest["tables"].items()}
    return Restored(created, revision, tables, documents, uncertain, data_dir / RULES_BACK)


def _ready(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir


def _unpack(archive_path: Path, staging: Path) -> dict[str, Any]:
    """Extract the archive and check every member against the manifest; nothing outside `staging` changes."""
    try:
        with tarfile.open(archive_path, "r:*") as archive:
            archive.extractall(staging, filter="data")
        manifest = json.loads((staging / MANIFEST).read_text("utf-8"))
    except (OSError, tarfile.TarError, ValueError, EOFError) as exc:
        raise BackupDamaged(str(archive_path), f"无法读取（{exc}）") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupDamaged(str(archive_path), f"不是本系统的备份文件（格式 {FORMAT}）")
    files = dict(manifest.get("files") or {})
    for member, digest in files.items():
        path = staging / member
        if not path.is_file() or _sha256(path) != digest:
            raise BackupDamaged(str(archive_path), f"已损坏：{member} 与校验和不符")
    present = {str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(files):
        raise BackupDamaged(str(archive_path), f"内容与清单不符：{sorted(present ^ set(files))[:5]}")
    return manifest


def _refuse_filled(data_dir: Path, url: str) -> None:
    for folder in ("documents", RULES_BACK):
        if (data_dir / folder).exists() and any((data_dir / folder).iterdir()):
            raise RestoreRefused(str(data_dir), f"数据目录已有 {folder}/，请恢复到空目录")
    db_engine = make_engine(url)
    try:
        filled = dump.emptiness(db_engine)
    finally:
        db_engine.dispose()
    if filled is not None:
        raise RestoreRefused("目标数据库", f"数据库不是空的（{filled}），请恢复到空数据库")


def _load(url: str, revision: str, read: dump.Reader, today: dt.date) -> list[str]:
    """Load the tables; a SQLite file is built beside its place and renamed in when complete."""
    database = sa.make_url(url).database
    if sa.make_url(url).get_backend_name() != "sqlite" or not database:
        db_engine = make_engine(url)
        try:
            return dump.load(db_engine, revision, read, today=today)
        finally:
            db_engine.dispose()
    final = Path(database)
    partial = final.with_name(f".{final.name}.restoring")
    partial.unlink(missing_ok=True)
    db_engine = make_engine(f"sqlite:///{partial}")
    try:
        uncertain = dump.load(db_engine, revision, read, today=today)
        with db_engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db_engine.dispose()
    for stale in (Path(f"{final}-wal"), Path(f"{final}-shm"), Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(partial, final)
    return uncertain


def _move(source: Path, destination: Path) -> int:
    if not source.is_dir():
        return 0
    count = sum(1 for p in source.rglob("*") if p.is_file())
    if destination.exists():
        destination.rmdir()  # empty: _refuse_filled said so
    os.replace(source, destination)
    return count
