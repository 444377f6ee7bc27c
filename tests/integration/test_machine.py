"""The machine work step by step, on a real database: a crash between any two steps is finished by the
reconciler, and nothing is made twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.adapters.sql import schema
from engine.bootstrap import Workflow
from engine.domain.drafting.versions import DocumentKind, NewDocument
from engine.domain.workflow.machine import Work
from engine.domain.workflow.model import State
from engine.services import machine
from engine.services import workflow as wf
from tests.support.workflows import SAMPLE, at, workflow_with_people


@pytest.fixture
def flow(database_url: str, tmp_path: Path) -> Iterator[Workflow]:
    workflow = workflow_with_people(database_url, tmp_path)[0]
    yield workflow
    workflow.db_engine.dispose()


def _documents(flow: Workflow) -> Counter[str]:
    return Counter(f"{v.kind.value}.v{v.version}" for v in flow.ports.documents.versions(SAMPLE))


def _started_without_machine_work(flow: Workflow) -> Work:
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=flow.ports, dispatcher=wf.NO_DISPATCH)
    work = machine.plan(SAMPLE, at("2007-09-11"), ports=flow.ports)
    assert work is not None and work.kinds == (DocumentKind.DRAFT, DocumentKind.EXPLANATION)
    return work


def test_a_crash_after_a_step_is_finished_by_the_reconciler_as_of_the_stage_start(flow: Workflow) -> None:
    work = _started_without_machine_work(flow)
    machine.make_documents(work, DocumentKind.DRAFT, ports=flow.ports)  # then the process dies
    assert flow.dispatcher.reconcile(at("2007-09-20")) == [SAMPLE]
    assert _documents(flow) == Counter({"draft.v1": 1, "explanation.v1": 1})
    dated = {v.created for v in flow.ports.documents.versions(SAMPLE)}
    assert dated == {at("2007-09-11")}  # as of the start, not of the reconcile
    assert flow.dispatcher.reconcile(at("2007-09-21")) == []


def test_a_crash_after_storing_but_before_recording_stores_nothing_twice(flow: Workflow) -> None:
    work = _started_without_machine_work(flow)
    machine.make_documents(work, DocumentKind.DRAFT, ports=flow.ports)
    with flow.db_engine.begin() as conn:  # as if the process died between the put and the record
        conn.execute(sa.delete(schema.machine_steps))
    assert machine.make_documents(work, DocumentKind.DRAFT, ports=flow.ports) == (f"{SAMPLE}.draft.v1",)
    assert machine.finish(work, ports=flow.ports) is True
    assert machine.finish(work, ports=flow.ports) is False
    assert _documents(flow) == Counter({"draft.v1": 1})


def test_a_recorded_step_is_not_redone(flow: Workflow) -> None:
    work = _started_without_machine_work(flow)
    first = machine.make_documents(work, DocumentKind.DRAFT, ports=flow.ports)
    flow.ports.documents.put(  # an officer's newer version: redoing the step would store the skeleton again
        NewDocument(SAMPLE, DocumentKind.DRAFT, b"PK-not-really", "x.docx", "zhang", at("2007-09-12"))
    )
    assert machine.make_documents(work, DocumentKind.DRAFT, ports=flow.ports) == first
    assert _documents(flow)["draft.v3"] == 0


def test_a_due_window_is_closed_by_the_machine_once_and_the_table_made(flow: Workflow) -> None:
    p, d = flow.ports, flow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    assert machine.plan(SAMPLE, at("2007-10-12", 18), ports=p) is None  # the due day itself
    work = machine.plan(SAMPLE, at("2007-10-13", 9), ports=p)
    assert work is not None and work.closes_window and work.stage == "close"
    closed = machine.close_window(work, ports=p)
    assert closed is not None and machine.close_window(work, ports=p) is None
    machine.advance(SAMPLE, at("2007-10-13", 9), ports=p)
    with p.uow() as uow:
        duty = uow.duties.get(SAMPLE)
    assert duty.state is State.REVISING and duty.machine_done == duty.stage_version == closed
    assert [e.action for e in duty.events].count("close_consultation") == 1
    assert _documents(flow)["adoption-table.v1"] == 1


def test_a_stale_stage_version_does_nothing(flow: Workflow) -> None:
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=flow.ports, dispatcher=wf.NO_DISPATCH)
    assert machine.advance(SAMPLE, at("2007-09-11"), ports=flow.ports, stage_version=7) == []
    assert _documents(flow) == Counter()
