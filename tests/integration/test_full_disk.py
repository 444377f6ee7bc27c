"""Issue 15, a full disk while documents are written: the disk fills up part-way through a stage's machine work.

A person's action commits before the in-process dispatcher makes the stage's documents
(engine.services.workflow.act), so the action stands and returns as usual, and the failure is logged, as a
failed Prefect run would be; the documents already stored stay, the stage stays pending (the next action
waits) and no half document is listed. Once the disk is freed, the reconciler (the scheduler's job,
`banfa reconcile`) finishes the stage: every document of the stage exists once, the stage is marked done, and
no transition is lost or doubled. The fault is `FullDiskStore` (tests/support/faulty_store.py), around the SQL
store or the file store; the database is SQLite, and PostgreSQL when there is one. The last test fills a real
SQLite database instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.adapters.drafting.file_store import FileDocumentStore
from engine.adapters.sql.connection import default_url, make_engine
from engine.adapters.sql.documents import SqlDocumentStore
from engine.adapters.sql.migrate import migrate
from engine.bootstrap import LocalDispatcher, Workflow
from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.drafting.versions import DocumentKind, DocumentVersion, NewDocument, checksum
from engine.domain.ports import DocumentStore
from engine.domain.workflow.access import blocked
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.machine import MACHINE_WORK, work_for
from engine.domain.workflow.model import Duty, State
from engine.domain.workflow.people import SYSTEM
from engine.errors import DatabaseUnavailable, MachineWorkPending
from engine.services import workflow as wf
from engine.services.accounts import add_user
from tests.support import databases
from tests.support.fakes import InMemoryDocumentStore
from tests.support.faulty_store import FullDiskStore
from tests.support.workflows import SAMPLE, at, workflow_with_people

OTHER = "sfb2007-129-02-02-2-caizheng"  # also led by 市财政局 (zhang's department), consulting 市贸工局
TWO_LETTERS = "sfb2007-129-01-03-1-maogong"  # led by 市贸工局 (chen's department), consulting two departments
LATER = at("2007-12-03")  # when the disk has been freed and the reconciler runs, after every window


@pytest.fixture
def flow(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Workflow]:
    """The seed's workflow with its document store behind a FullDiskStore: the database's own ("sql", unless
    the test says otherwise), or a folder ("file")."""
    workflow = workflow_with_people(database_url, tmp_path)[0]
    add_user("chen", "陈承办", "maogong", ("officer",), now=at("2007-09-01"), ports=workflow.ports)
    kind = getattr(request, "param", "sql")
    inner = workflow.ports.documents if kind == "sql" else FileDocumentStore(tmp_path / "documents")
    ports = dataclasses.replace(workflow.ports, documents=FullDiskStore(inner))
    yield dataclasses.replace(workflow, ports=ports, dispatcher=LocalDispatcher(ports))
    workflow.db_engine.dispose()


def _disk(flow: Workflow) -> FullDiskStore:
    disk = flow.ports.documents
    assert isinstance(disk, FullDiskStore)
    return disk


def _duty(flow: Workflow, duty_id: str = SAMPLE) -> Duty:
    with flow.ports.uow() as uow:
        return uow.duties.get(duty_id)


def _pending(duty: Duty) -> bool:
    """Whether the stage's documents are still to be made (not a window to close)."""
    work = work_for(duty, duty.events[-1].at)
    return duty.machine_done != duty.stage_version and work is not None and bool(work.kinds)


def _recorded(flow: Workflow, duty: Duty) -> dict[DocumentKind, tuple[str, ...] | None]:
    """The documents each machine step of the duty's stage recorded, None for a step not recorded."""
    with flow.ports.uow() as uow:
        return {k: uow.machine.done(duty.id, duty.stage_version, k.value) for k in MACHINE_WORK[duty.state]}


def _transitions(duty: Duty) -> list[tuple[str, State | None, State | None]]:
    return [(e.action, e.from_state, e.to_state) for e in duty.events]


def _assert_listed_versions_are_whole(store: DocumentStore, duty_id: str) -> list[DocumentVersion]:
    """Every listed version reads back with its recorded checksum, and none is listed twice."""
    versions = store.versions(duty_id)
    assert all(checksum(store.read(v.id)) == v.checksum for v in versions)
    keys = Counter((v.duty_id, v.kind, v.variant, v.version) for v in versions)
    same_bytes = Counter((v.duty_id, v.kind, v.variant, v.checksum) for v in versions)
    assert max(keys.values(), default=1) == 1 and max(same_bytes.values(), default=1) == 1
    return versions


def _assert_stage_finished(flow: Workflow, duty_id: str, began: dt.datetime) -> None:
    """The invariants after recovery: the stage is done, each of its documents was stored exactly once, and
    the steps recorded point at exactly the versions the machine stored as of the stage's start."""
    duty = _duty(flow, duty_id)
    assert duty.machine_done == duty.stage_version and not _pending(duty)
    versions = _assert_listed_versions_are_whole(flow.ports.documents, duty_id)
    recorded = _recorded(flow, duty)
    assert all(ids for ids in recorded.values()), recorded
    ids = [i for kind_ids in recorded.values() if kind_ids for i in kind_ids]
    assert len(ids) == len(set(ids))
    stage = [flow.ports.documents.get(i) for i in ids]
    assert {v.kind for v in stage} == set(MACHINE_WORK[duty.state])
    made_now = {v.id for v in versions if v.created == began and v.author == SYSTEM}
    assert made_now <= set(ids)  # nothing stored by the stage outside what its steps recorded


# The stages: how to reach each one with the disk fine, the action that enters it and the next one, and how
# many new versions fit on the disk before it is full (so that the stage's machine work fails part-way).


def _nothing(flow: Workflow, stage: Stage) -> None:
    pass


def _started(flow: Workflow, stage: Stage) -> None:
    wf.start_duty(
        stage.duty, actor=stage.officer, now=at("2007-09-11"), ports=flow.ports, dispatcher=flow.dispatcher
    )


def _revised(flow: Workflow, stage: Stage) -> None:
    p, d = flow.ports, flow.dispatcher
    _started(flow, stage)
    wf.open_consultation(stage.duty, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    wf.record_opinion(
        stage.duty, (OpinionInput("第四条", "建议明确资助标准"),), actor="li", now=at("2007-10-08"), ports=p
    )
    wf.close_consultation(stage.duty, actor="zhang", now=at("2007-10-09"), ports=p, dispatcher=d)
    opinion = _duty(flow, stage.duty).opinions[0]
    wf.decide_opinion(
        stage.duty, opinion.id, Decision.ADOPTED, "已补充", actor="zhang", now=at("2007-10-10"), ports=p
    )


def _opens(flow: Workflow, stage: Stage, now: dt.datetime) -> object:
    p, d = flow.ports, flow.dispatcher
    return wf.open_consultation(stage.duty, actor=stage.officer, now=now, ports=p, dispatcher=d)


def _closes(flow: Workflow, stage: Stage, now: dt.datetime) -> object:
    p, d = flow.ports, flow.dispatcher
    return wf.close_consultation(stage.duty, actor=stage.officer, now=now, ports=p, dispatcher=d)


def _reviews(flow: Workflow, stage: Stage, now: dt.datetime) -> object:
    p, d = flow.ports, flow.dispatcher
    return wf.record_review(stage.duty, Legality.LAWFUL, "", actor="fa", now=now, ports=p, dispatcher=d)


@dataclasses.dataclass(frozen=True)
class Stage:
    """A stage whose machine work the full disk cuts short."""

    duty: str
    officer: str  # who enters the stage
    reach: Callable[[Workflow, Stage], None]  # the actions before, with the disk fine
    action: str  # the action entering the stage, as its event records it
    enter: Callable[..., wf.Outcome]
    at: dt.datetime
    room: int  # how many new versions fit before the disk is full
    state: State
    next_action: str  # the next action, refused until the stage's documents exist
    then: Callable[[Workflow, Stage, dt.datetime], object]  # takes the next action


STAGES = {
    "drafting": Stage(  # the draft is stored, the explanation is not
        SAMPLE, "zhang", _nothing, action="start", enter=wf.start_duty, at=at("2007-09-11"), room=1,
        state=State.DRAFTING, next_action="open_consultation", then=_opens,
    ),
    "consulting": Stage(  # two letters in one step: the one to 市财政局 is stored, the one to 市科技和信息局 is not
        TWO_LETTERS, "chen", _started, action="open_consultation", enter=wf.open_consultation,
        at=at("2007-09-28"), room=1, state=State.CONSULTING, next_action="close_consultation", then=_closes,
    ),
    "reviewing": Stage(  # two of the four papers for the legal office are stored
        SAMPLE, "zhang", _revised, action="submit", enter=wf.submit_for_review, at=at("2007-10-11"), room=2,
        state=State.REVIEWING, next_action="review", then=_reviews,
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "flow", "database_url"),
    [  # the file store keeps its versions apart from the database: SQLite alone is enough there
        *[(name, "sql", kind) for name in ("drafting", "reviewing") for kind in databases.KINDS],
        ("drafting", "file", databases.SQLITE),
        ("consulting", "file", databases.SQLITE),
        ("consulting", "sql", databases.SQLITE),
    ],
    indirect=["flow", "database_url"],
)
def test_a_full_disk_midway_through_a_stage_keeps_the_action_and_the_reconciler_finishes_the_stage(
    flow: Workflow, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    stage, disk = STAGES[name], _disk(flow)
    stage.reach(flow, stage)
    before = _transitions(_duty(flow, stage.duty))
    stored_before = disk.versions(stage.duty)

    disk.fill_after(stage.room)
    with caplog.at_level(logging.WARNING, logger="banfa.dispatch"):
        outcome = stage.enter(
            stage.duty, actor=stage.officer, now=stage.at, ports=flow.ports, dispatcher=flow.dispatcher
        )

    # The person's action committed and returned as usual; the failure was logged for the administrator.
    assert outcome.state is stage.state and disk.refused
    [logged] = [r.getMessage() for r in caplog.records if r.name == "banfa.dispatch"]
    assert stage.duty in logged and os.strerror(errno.ENOSPC) in logged and "对账" in logged
    duty = _duty(flow, stage.duty)
    assert duty.state is stage.state and _transitions(duty)[: len(before)] == before
    assert [action for action, _, _ in _transitions(duty)[len(before) :]] == [stage.action]
    # The stage stays pending: the step that failed is unrecorded, and no half document is listed.
    assert _pending(duty) and None in _recorded(flow, duty).values()
    stored = _assert_listed_versions_are_whole(disk, stage.duty)
    assert len(stored) == len(stored_before) + stage.room
    refused = {(d.kind, d.variant) for d in disk.refused}
    assert not refused & {(v.kind, v.variant) for v in stored if v.created == stage.at}
    # The next action waits for the documents, and changes nothing.
    assert blocked(duty, stage.next_action)
    with pytest.raises(MachineWorkPending):
        stage.then(flow, stage, stage.at + dt.timedelta(days=1))
    # A reconcile while the disk is still full leaves everything as it was.
    later = stage.at + dt.timedelta(hours=2)  # within the stage: a consultation's window is still open
    assert flow.dispatcher.reconcile(later) == [stage.duty]
    assert _pending(_duty(flow, stage.duty)) and disk.versions(stage.duty) == stored

    disk.free()
    assert flow.dispatcher.reconcile(later) == [stage.duty]

    _assert_stage_finished(flow, stage.duty, stage.at)
    assert disk.versions(stage.duty)[: len(stored)] == stored  # what was stored before the fault was kept
    assert _transitions(_duty(flow, stage.duty)) == _transitions(duty)  # no transition lost, none added
    finished = disk.versions(stage.duty)
    assert flow.dispatcher.reconcile(later) == []
    assert disk.versions(stage.duty) == finished
    assert not blocked(_duty(flow, stage.duty), stage.next_action)  # the next action waits no longer


def test_a_full_disk_when_windows_close_still_closes_every_due_window(flow: Workflow) -> None:
    """The scheduler's tick closes every due window before it sends reminders; one duty's full disk must not
    keep the next duty's window open, nor the tick from going on."""
    p, d, disk = flow.ports, flow.dispatcher, _disk(flow)
    for duty_id in (SAMPLE, OTHER):
        wf.start_duty(duty_id, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
        wf.open_consultation(duty_id, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)

    disk.fill_after(0)
    closing = at("2007-10-15", 9)
    assert wf.close_due_consultations(closing, ports=p, dispatcher=d) == [SAMPLE, OTHER]

    for duty_id in (SAMPLE, OTHER):
        duty = _duty(flow, duty_id)
        assert duty.state is State.REVISING and _pending(duty)
        assert [e.action for e in duty.events].count("close_consultation") == 1
        assert disk.versions(duty_id, DocumentKind.ADOPTION_TABLE) == []
    assert {d.duty_id for d in disk.refused} == {SAMPLE, OTHER}

    disk.free()
    assert flow.dispatcher.reconcile(LATER) == [SAMPLE, OTHER]
    for duty_id in (SAMPLE, OTHER):
        _assert_stage_finished(flow, duty_id, closing)
        assert [v.version for v in disk.versions(duty_id, DocumentKind.ADOPTION_TABLE)] == [1]
        assert [e.action for e in _duty(flow, duty_id).events].count("close_consultation") == 1


# The fault itself, around the fake and the file adapter (the contract suite runs it unarmed).

DOCUMENT = NewDocument(SAMPLE, DocumentKind.DRAFT, b"PK draft", "征求意见稿.docx", "zhang", at("2007-09-11"))
FAULTS: dict[str, Callable[[Path], DocumentStore]] = {
    "memory": lambda tmp: InMemoryDocumentStore(),
    "file": lambda tmp: FileDocumentStore(tmp / "documents"),
}


@pytest.fixture(params=list(FAULTS))
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> FullDiskStore:
    return FullDiskStore(FAULTS[request.param](tmp_path))


def test_a_full_disk_refuses_a_new_version_with_enospc_and_stores_nothing(disk: FullDiskStore) -> None:
    disk.fill_after(1)
    first = disk.put(DOCUMENT)
    assert disk.full
    with pytest.raises(OSError) as refused:
        disk.put(dataclasses.replace(DOCUMENT, data=b"PK revised"))
    assert refused.value.errno == errno.ENOSPC
    assert disk.versions(SAMPLE) == disk.inner.versions(SAMPLE) == [first]
    assert [d.data for d in disk.refused] == [b"PK revised"]


def test_the_newest_bytes_again_are_stored_nowhere_so_a_full_disk_lets_them_through(
    disk: FullDiskStore,
) -> None:
    first = disk.put(DOCUMENT)
    disk.fill_after(0)
    assert disk.put(DOCUMENT) == first and disk.refused == []


def test_freeing_the_disk_lets_the_refused_document_in_as_the_next_version(disk: FullDiskStore) -> None:
    disk.fill_after(0)
    with pytest.raises(OSError):
        disk.put(DOCUMENT)
    disk.free()
    assert not disk.full and disk.put(DOCUMENT).version == 1


def test_what_a_store_refuses_is_refused_before_the_disk_is_full(disk: FullDiskStore) -> None:
    disk.fill_after(0)
    with pytest.raises(ValueError, match="slug"):
        disk.put(dataclasses.replace(DOCUMENT, duty_id="../evil"))
    assert disk.refused == []


# The real thing: a SQLite database that has no room left (max_page_count stands for the disk's size).


def test_a_full_sqlite_database_refuses_a_document_as_unavailable_and_keeps_no_row(tmp_path: Path) -> None:
    db_engine = make_engine(default_url(tmp_path))
    migrate(db_engine)
    pages = [0]  # 0: no limit

    @sa.event.listens_for(db_engine, "checkout")
    def _limit(dbapi_connection: sa.engine.interfaces.DBAPIConnection, *_: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {pages[0] or 1_073_741_823}")
        cursor.close()

    try:
        store = SqlDocumentStore(db_engine)
        with db_engine.connect() as conn:
            pages[0] = conn.exec_driver_sql("PRAGMA page_count").scalar_one() + 1
        big = dataclasses.replace(DOCUMENT, data=bytes(range(256)) * 64)  # 16 KiB: more than one page
        with pytest.raises(DatabaseUnavailable, match="full") as caught:
            store.put(big)
        assert isinstance(caught.value, OSError) and "INSERT" not in str(caught.value)  # no SQL, no bytes
        assert store.versions(SAMPLE) == []
        pages[0] = 0
        assert store.put(big).version == 1 and store.read(f"{SAMPLE}.draft.v1") == big.data
    finally:
        db_engine.dispose()
