"""The DocumentStore contract, run against every adapter and the fake; then what only the file adapter promises.

To add an adapter, add a factory to STORES: it takes a fresh tmp_path and returns an empty store.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import weakref
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from engine.adapters.drafting.file_store import FileDocumentStore
from engine.adapters.sql.connection import default_url, make_engine
from engine.adapters.sql.documents import SqlDocumentStore
from engine.adapters.sql.migrate import migrate
from engine.domain.drafting.versions import DocumentKind, NewDocument, Origin, checksum
from engine.domain.ports import DocumentStore
from engine.errors import DocumentNotFound
from tests.support import databases
from tests.support.fakes import InMemoryDocumentStore
from tests.support.faulty_store import FullDiskStore


def _sqlite_store(tmp: Path) -> SqlDocumentStore:
    """Make a store on a new, migrated SQLite file; its connections close when the store is collected."""
    db_engine = make_engine(default_url(tmp))
    migrate(db_engine)
    store = SqlDocumentStore(db_engine)
    weakref.finalize(store, db_engine.dispose)
    return store


def _full_disk_with_room(tmp: Path) -> FullDiskStore:
    """The fault-injecting store over SQLite, armed with room to spare: counting puts changes nothing else."""
    store = FullDiskStore(_sqlite_store(tmp))
    store.fill_after(1000)
    return store


STORES: dict[str, Callable[[Path], DocumentStore]] = {
    "file": lambda tmp: FileDocumentStore(tmp / "documents"),
    "memory": lambda tmp: InMemoryDocumentStore(),
    "sqlite": _sqlite_store,
    # The session's PostgreSQL database, emptied; skipped when BANFA_TEST_DATABASE_URL is not set.
    "postgresql": lambda tmp: SqlDocumentStore(databases.emptied_postgresql_engine()),
    # The full-disk fault of tests/integration/test_full_disk.py, unarmed and armed with room to spare.
    "full-disk-unarmed": lambda tmp: FullDiskStore(FileDocumentStore(tmp / "documents")),
    "full-disk-with-room": _full_disk_with_room,
}

DUTY = "sfb2007-129-02-02-1-caizheng"
OTHER_DUTY = "sfb2007-129-03-01-1-guotu"
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2007, 10, 15, 9, 30, 5, 123456, tzinfo=CST)
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
DRAFT = DocumentKind.DRAFT
LETTER = DocumentKind.CONSULTATION_LETTER


@pytest.fixture(params=list(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStore:
    return STORES[request.param](tmp_path)


def _put(
    store: DocumentStore,
    data: bytes,
    kind: DocumentKind = DRAFT,
    *,
    duty_id: str = DUTY,
    variant: str = "",
    filename: str = "征求意见稿.docx",
    author: str = "张三",
    now: dt.datetime = NOW,
    warnings: tuple[str, ...] = (),
) -> str:
    """Store with the usual details and return the version's id."""
    return store.put(NewDocument(
        duty_id=duty_id, kind=kind, data=data, filename=filename, author=author, created=now, variant=variant,
        warnings=warnings,
    )).id  # fmt: skip


# The contract: every adapter and the fake.


def test_a_stored_document_reads_back_with_its_record_and_exact_bytes(store: DocumentStore) -> None:
    data = b"PK\x03\x04 draft \x00\xff"
    stored = store.put(NewDocument(
        duty_id=DUTY, kind=DRAFT, data=data, filename="征求意见稿.docx", author="张三", created=NOW,
        warnings=("正文未找到第三条",),
    ))  # fmt: skip
    assert store.get(stored.id) == stored
    assert store.read(stored.id) == data
    assert (stored.id, stored.duty_id, stored.kind, stored.variant, stored.version) == (
        f"{DUTY}.draft.v1", DUTY, DRAFT, "", 1,
    )  # fmt: skip
    assert (stored.checksum, stored.size, stored.author) == (checksum(data), len(data), "张三")
    assert stored.created == NOW and stored.created.utcoffset() == dt.timedelta(hours=8)
    assert stored.origin is Origin.GENERATED
    assert stored.media_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert (stored.filename, stored.warnings) == ("征求意见稿.docx", ("正文未找到第三条",))


def test_an_attachment_of_any_type_is_kept_as_is(store: DocumentStore) -> None:
    stored = store.put(NewDocument(
        duty_id=DUTY, kind=DocumentKind.ATTACHMENT, data=PDF, filename="意见.pdf", author="李四",
        created=NOW.astimezone(dt.UTC), variant="guotu", origin=Origin.UPLOADED, media_type="application/pdf",
    ))  # fmt: skip
    again = store.get(f"{DUTY}.attachment.guotu.v1")
    assert again == stored and store.read(stored.id) == PDF
    assert (again.filename, again.media_type, again.origin) == (
        "意见.pdf",
        "application/pdf",
        Origin.UPLOADED,
    )
    assert again.created == NOW and again.created.utcoffset() == dt.timedelta(0)


def test_an_empty_document_is_a_version_too(store: DocumentStore) -> None:
    ident = _put(store, b"")
    assert store.read(ident) == b"" and store.get(ident).size == 0


def test_storing_the_same_bytes_again_returns_the_same_version(store: DocumentStore) -> None:
    first = store.get(_put(store, b"one"))
    again = store.put(
        NewDocument(
            duty_id=DUTY,
            kind=DRAFT,
            data=b"one",
            filename="other.docx",
            author="王五",
            created=NOW + dt.timedelta(days=1),
        )
    )
    assert again == first
    assert store.versions(DUTY) == [first]


def test_different_bytes_make_the_next_version_and_keep_the_old_one(store: DocumentStore) -> None:
    v1, v2 = _put(store, b"one"), _put(store, b"two")
    assert (v1, v2) == (f"{DUTY}.draft.v1", f"{DUTY}.draft.v2")
    assert (store.read(v1), store.read(v2)) == (b"one", b"two")


def test_going_back_to_older_bytes_is_a_new_version(store: DocumentStore) -> None:
    _put(store, b"one")
    _put(store, b"two")
    back = _put(store, b"one")
    assert store.get(back).version == 3 and store.read(back) == b"one"


def test_each_duty_kind_and_variant_counts_its_versions_on_its_own(store: DocumentStore) -> None:
    ids = [
        _put(store, b"a"), _put(store, b"b"),
        _put(store, b"a", DocumentKind.EXPLANATION),
        _put(store, b"a", LETTER, variant="guotu"), _put(store, b"b", LETTER, variant="guotu"),
        _put(store, b"a", LETTER, variant="maogong"),
        _put(store, b"a", duty_id=OTHER_DUTY),
    ]  # fmt: skip
    assert ids == [
        f"{DUTY}.draft.v1", f"{DUTY}.draft.v2", f"{DUTY}.explanation.v1",
        f"{DUTY}.consultation-letter.guotu.v1", f"{DUTY}.consultation-letter.guotu.v2",
        f"{DUTY}.consultation-letter.maogong.v1", f"{OTHER_DUTY}.draft.v1",
    ]  # fmt: skip


def test_versions_lists_oldest_first_and_latest_is_the_newest(store: DocumentStore) -> None:
    ids = [
        _put(store, b"a"),
        _put(store, b"x", LETTER, variant="guotu"),
        _put(store, b"b"),
        _put(store, b"c"),
    ]
    assert [v.id for v in store.versions(DUTY)] == ids
    assert [v.version for v in store.versions(DUTY, DRAFT)] == [1, 2, 3]
    latest = store.latest(DUTY, DRAFT)
    assert latest is not None and latest.id == ids[-1]


def test_versions_can_be_filtered_by_kind_and_variant(store: DocumentStore) -> None:
    _put(store, b"d")
    guotu = _put(store, b"g", LETTER, variant="guotu")
    maogong = _put(store, b"m", LETTER, variant="maogong")
    scan = _put(store, b"s", DocumentKind.ATTACHMENT, variant="guotu", filename="意见.pdf")
    assert [v.id for v in store.versions(DUTY, LETTER)] == [guotu, maogong]
    assert [v.id for v in store.versions(DUTY, LETTER, "maogong")] == [maogong]
    assert [v.id for v in store.versions(DUTY, variant="guotu")] == [guotu, scan]
    assert [v.id for v in store.versions(DUTY, DRAFT, "guotu")] == []
    assert store.latest(DUTY, LETTER) is None  # the letter without a variant was never stored


@pytest.mark.parametrize("duty_id", [OTHER_DUTY, "../..", "a/b", "", "SFB2007"])
def test_a_duty_without_documents_has_no_versions_and_no_latest(store: DocumentStore, duty_id: str) -> None:
    _put(store, b"a")
    assert store.versions(duty_id) == []
    assert store.latest(duty_id, DRAFT) is None


@pytest.mark.parametrize(
    "ident",
    [
        f"{DUTY}.draft.v2", f"{DUTY}.draft.v0", f"{DUTY}.draft", f"{DUTY}.explanation.v1", f"{DUTY}.draft.v1\n",
        f"{DUTY}\n.draft.v1", f"{OTHER_DUTY}.draft.v1", DUTY, "", ".", "..", "../../etc/passwd", "/etc/passwd",
        "a/b.draft.v1", "x.draft.v1/..", f"{DUTY}/../{DUTY}.draft.v1", f"{DUTY.upper()}.draft.v1",
    ],
)  # fmt: skip
def test_unknown_or_malformed_ids_are_not_found(store: DocumentStore, ident: str) -> None:
    _put(store, b"a")
    with pytest.raises(DocumentNotFound):
        store.get(ident)
    with pytest.raises(DocumentNotFound):
        store.read(ident)


def test_a_naive_now_is_refused_and_nothing_is_stored(store: DocumentStore) -> None:
    with pytest.raises(ValueError, match="timezone"):
        _put(store, b"a", now=NOW.replace(tzinfo=None))
    assert store.versions(DUTY) == []


@pytest.mark.parametrize("duty_id", ["../evil", "a/b", "a.b", "", "Sfb2007", "sfb2007-", "sfb2007\n"])
def test_a_duty_id_that_is_not_an_ascii_slug_is_refused(store: DocumentStore, duty_id: str) -> None:
    with pytest.raises(ValueError, match="slug"):
        _put(store, b"a", duty_id=duty_id)


@pytest.mark.parametrize("variant", ["../x", "a/b", "a.b", "毛公", "guotu\n"])
def test_a_variant_that_is_not_an_ascii_slug_is_refused(store: DocumentStore, variant: str) -> None:
    with pytest.raises(ValueError, match="slug"):
        _put(store, b"a", LETTER, variant=variant)
    assert store.versions(DUTY) == []


# The file adapter only.


@pytest.fixture
def files(tmp_path: Path) -> FileDocumentStore:
    return FileDocumentStore(tmp_path / "documents")


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_the_layout_on_disk_is_duty_kind_variant_and_numbered_files(files: FileDocumentStore) -> None:
    _put(files, b"a")
    _put(files, b"b")
    _put(files, b"g", LETTER, variant="guotu", filename="征求意见函.DOCX")
    _put(files, PDF, DocumentKind.ATTACHMENT, variant="guotu", filename="扫描件.pdf")
    _put(files, b"?", DocumentKind.ATTACHMENT, filename="无扩展名")
    _put(files, b"??", DocumentKind.ATTACHMENT, filename="备注.文本")
    assert _tree(files.root) == {
        f"{DUTY}/{name}"
        for name in [
            "manifest.json", ".lock", "draft/v1.docx", "draft/v2.docx", "consultation-letter/guotu/v1.docx",
            "attachment/guotu/v1.pdf", "attachment/v1.bin", "attachment/v2.bin",
        ]
    }  # fmt: skip
    assert (files.root / DUTY / "attachment" / "guotu" / "v1.pdf").read_bytes() == PDF


def test_the_manifest_is_human_readable_json(files: FileDocumentStore) -> None:
    _put(files, PDF, DocumentKind.ATTACHMENT, filename="意见.pdf", warnings=("印章模糊",))
    text = (files.root / DUTY / "manifest.json").read_text("utf-8")
    assert "意见.pdf" in text and "印章模糊" in text and "\n  " in text
    [record] = json.loads(text)
    assert list(record) == sorted(record)
    assert record["created"] == "2007-10-15T09:30:05.123456+08:00"
    assert (record["file"], record["kind"], record["version"]) == ("attachment/v1.pdf", "attachment", 1)


def test_no_temporary_files_are_left_after_puts(files: FileDocumentStore) -> None:
    for i in range(5):
        _put(files, bytes([i]), variant=f"v{i % 2}")
    hidden = {name for name in _tree(files.root) if Path(name).name.startswith(".")}
    assert hidden == {f"{DUTY}/.lock"}
    assert not [name for name in _tree(files.root) if name.endswith(".tmp")]


def test_an_orphan_file_from_a_crash_is_replaced_by_the_next_put(files: FileDocumentStore) -> None:
    orphan = files.root / DUTY / "draft" / "v1.docx"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"written before a crash, never listed")
    ident = _put(files, b"new")
    assert ident == f"{DUTY}.draft.v1"
    assert [v.id for v in files.versions(DUTY)] == [ident]
    assert files.read(ident) == b"new" and orphan.read_bytes() == b"new"


def test_a_second_store_on_the_same_root_sees_the_same_versions(files: FileDocumentStore) -> None:
    ids = [_put(files, b"a"), _put(files, b"g", LETTER, variant="guotu"), _put(files, b"b")]
    reopened = FileDocumentStore(files.root)
    assert reopened.versions(DUTY) == files.versions(DUTY)
    assert [reopened.read(i) for i in ids] == [b"a", b"g", b"b"]
    assert _put(reopened, b"b") == ids[-1]


def test_a_listed_file_that_is_missing_or_altered_is_not_found(files: FileDocumentStore) -> None:
    gone, altered = _put(files, b"a"), _put(files, b"g", LETTER, variant="guotu")
    (files.root / DUTY / "draft" / "v1.docx").unlink()
    (files.root / DUTY / "consultation-letter" / "guotu" / "v1.docx").write_bytes(b"changed by hand")
    for call in (files.get, files.read):
        with pytest.raises(DocumentNotFound):
            call(gone)
    with pytest.raises(DocumentNotFound):
        files.read(altered)


def test_a_manifest_entry_pointing_outside_the_duty_folder_is_not_found(files: FileDocumentStore) -> None:
    ident = _put(files, b"a")
    secret = files.root / "secret.txt"
    secret.write_bytes(b"a")  # same checksum: only the path check can refuse it
    manifest = files.root / DUTY / "manifest.json"
    records = json.loads(manifest.read_text("utf-8"))
    records[0]["file"] = "../secret.txt"
    manifest.write_text(json.dumps(records), "utf-8")
    with pytest.raises(DocumentNotFound):
        files.read(ident)


@pytest.mark.parametrize("text", [b"{not json", b"{}", b"[1]", b'[{"id": "x"}]', b"\xff\xfe[]"])
def test_a_damaged_manifest_is_an_os_error_and_put_does_not_write_over_it(
    files: FileDocumentStore, text: bytes
) -> None:
    manifest = files.root / DUTY / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_bytes(text)
    with pytest.raises(OSError, match="文档版本清单已损坏"):
        _put(files, b"a")
    with pytest.raises(OSError, match="文档版本清单已损坏"):
        files.versions(DUTY)
    assert manifest.read_bytes() == text


def _put_many(root: Path, worker: int, count: int, start: Barrier) -> None:
    store = FileDocumentStore(root)
    start.wait()
    for i in range(count):
        _put(store, f"worker {worker}, document {i}".encode(), author=f"worker-{worker}")


def test_two_processes_storing_for_the_same_duty_get_distinct_consecutive_versions(
    files: FileDocumentStore,
) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [context.Process(target=_put_many, args=(files.root, w, 20, start)) for w in (1, 2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=30)
    assert [p.exitcode for p in workers] == [0, 0]
    stored = files.versions(DUTY, DRAFT)
    assert [v.version for v in stored] == list(range(1, 41))
    assert sorted(v.author for v in stored) == ["worker-1"] * 20 + ["worker-2"] * 20
    assert all(checksum(files.read(v.id)) == v.checksum for v in stored)
    assert len(_tree(files.root / DUTY / "draft")) == 40
