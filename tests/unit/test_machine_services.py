"""The machine work and the read-only views on in-memory fakes: documents made once per stage, crashes finished
by the reconciler, windows closed at their end, and what the status and timeline show.

tests/integration/test_machine.py runs the same on a real database; here documents are rendered as the repr of
their content, so a test can read what went into them without python-docx.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from engine.domain.drafting.decisions import Decision, Legality, ReplyKind
from engine.domain.drafting.versions import DocumentKind, NewDocument, Origin
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.machine import MACHINE_WORK, Work
from engine.domain.workflow.milestones import Stage
from engine.domain.workflow.model import State
from engine.errors import DutyNotFound, MachineWorkPending
from engine.services import machine
from engine.services import workflow as wf
from engine.services.machine import InProcessDispatcher
from engine.services.views import status, timeline
from tests.support.docx_fixtures import made_by_python_docx
from tests.support.workflows import SAMPLE, at

if TYPE_CHECKING:
    from tests.unit.conftest import World

START = at("2007-09-11")
OPENED = at("2007-09-28")
WINDOW_ENDED = at("2007-10-13", 9)  # the day after the reply was due (2007-10-12)


@pytest.fixture(autouse=True)
def _idle_dispatcher(world: World) -> None:
    """These tests do the machine work themselves, step by step: the world's dispatcher only records."""
    world.fresh_dispatcher(work=False)


def _counts(world: World) -> Counter[str]:
    return Counter(world.kinds())


def _started(world: World) -> Work:
    """SAMPLE started with a dispatcher that does nothing: its drafting documents are still to be made."""
    wf.start_duty(SAMPLE, actor="zhang", now=START, ports=world.ports, dispatcher=world.dispatcher)
    work = machine.plan(SAMPLE, START, ports=world.ports)
    assert work is not None
    return work


def _consulting(world: World) -> None:
    """SAMPLE's drafting work done, its consultation open with the letter not yet made."""
    _started(world)
    machine.advance(SAMPLE, START, ports=world.ports)
    wf.open_consultation(SAMPLE, actor="zhang", now=OPENED, ports=world.ports, dispatcher=world.dispatcher)


# --- plan, make_documents, finish ----------------------------------------------------------------------------


def test_plan_names_the_documents_of_the_stage_the_duty_has_just_entered(world: World) -> None:
    assert machine.plan(SAMPLE, START, ports=world.ports) is None  # not started: no work
    work = _started(world)
    assert work == Work(SAMPLE, State.DRAFTING, 1, START, (DocumentKind.DRAFT, DocumentKind.EXPLANATION))
    assert work.stage == "drafting" and not work.closes_window
    assert machine.plan(SAMPLE, START, ports=world.ports, stage_version=2) is None
    with pytest.raises(DutyNotFound):
        machine.plan("no-such-duty", START, ports=world.ports)


def test_make_documents_stores_one_kind_as_of_the_work_and_records_the_step(world: World) -> None:
    work = _started(world)
    later = at("2007-09-14")
    stored = machine.make_documents(
        Work(SAMPLE, State.DRAFTING, 1, later, work.kinds), DocumentKind.DRAFT, ports=world.ports
    )
    [version] = world.documents()
    assert stored == (version.id,) == (f"{SAMPLE}.draft.v1",)
    assert (version.kind, version.author, version.created, version.origin, version.filename) == (
        DocumentKind.DRAFT,
        "system",
        later,
        Origin.GENERATED,
        "征求意见稿.docx",
    )
    assert world.database.steps[(SAMPLE, 1, "draft")] == (stored, later)
    assert "深圳市服务外包人才培训资助资金使用和监管办法" in world.ports.documents.read(version.id).decode(
        "utf-8"
    )


def test_a_recorded_step_is_not_redone_even_when_a_newer_version_exists(world: World) -> None:
    work = _started(world)
    first = machine.make_documents(work, DocumentKind.DRAFT, ports=world.ports)
    world.ports.documents.put(  # an officer's newer version: redoing the step would store the skeleton again
        NewDocument(SAMPLE, DocumentKind.DRAFT, b"PK-not-really", "x.docx", "zhang", at("2007-09-12"))
    )
    assert machine.make_documents(work, DocumentKind.DRAFT, ports=world.ports) == first
    assert world.kinds() == ["draft.v1", "draft.v2"]


def test_a_crash_between_storing_and_recording_stores_nothing_twice(world: World) -> None:
    work = _started(world)
    first = machine.make_documents(work, DocumentKind.DRAFT, ports=world.ports)
    world.database.steps.clear()  # as if the process died between the put and the record
    assert machine.make_documents(work, DocumentKind.DRAFT, ports=world.ports) == first
    assert world.kinds() == ["draft.v1"] and (SAMPLE, 1, "draft") in world.database.steps


def test_work_of_a_stage_the_duty_has_left_stores_nothing(world: World) -> None:
    work = _started(world)
    wf.withdraw(SAMPLE, "任务调整", actor="office", now=OPENED, ports=world.ports)
    assert machine.make_documents(work, DocumentKind.DRAFT, ports=world.ports) == ()
    assert machine.finish(work, ports=world.ports) is False
    assert world.documents() == [] and world.duty().machine_done == -1


def test_a_stage_is_not_ended_while_its_documents_are_still_being_made(world: World) -> None:
    """The consultation cannot open before the 征求意见稿 exists: the letter would go out with no draft."""
    _started(world)
    before = world.duty()
    with pytest.raises(MachineWorkPending, match="系统正在生成本阶段文稿"):
        wf.open_consultation(
            SAMPLE, actor="zhang", now=OPENED, ports=world.ports, dispatcher=world.dispatcher
        )
    assert world.duty() == before
    machine.advance(SAMPLE, START, ports=world.ports)
    wf.open_consultation(SAMPLE, actor="zhang", now=OPENED, ports=world.ports, dispatcher=world.dispatcher)
    assert world.state() is State.CONSULTING


def test_finish_marks_the_stage_done_once(world: World) -> None:
    work = _started(world)
    assert machine.finish(work, ports=world.ports) is True
    duty = world.duty()
    assert duty.machine_done == duty.stage_version == 1
    assert machine.finish(work, ports=world.ports) is False
    assert world.duty().version == duty.version  # the second finish saved nothing
    assert machine.plan(SAMPLE, START, ports=world.ports) is None


# --- advance -------------------------------------------------------------------------------------------------


def test_advance_makes_each_stage_documents_once_and_a_second_advance_stores_nothing(world: World) -> None:
    _started(world)
    stored = machine.advance(SAMPLE, START, ports=world.ports)
    assert stored == [f"{SAMPLE}.draft.v1", f"{SAMPLE}.explanation.v1"]
    assert {step: ids for (_, _, step), (ids, _) in world.database.steps.items()} == {
        "draft": (f"{SAMPLE}.draft.v1",),
        "explanation": (f"{SAMPLE}.explanation.v1",),
    }
    assert world.duty().machine_done == 1
    before = world.snapshot()
    assert machine.advance(SAMPLE, at("2007-09-12"), ports=world.ports) == []
    assert world.snapshot() == before


def test_advance_of_a_stale_stage_version_does_nothing(world: World) -> None:
    _started(world)
    assert machine.advance(SAMPLE, START, ports=world.ports, stage_version=7) == []
    assert world.documents() == [] and world.database.steps == {}


def test_the_consultation_letter_goes_to_each_consulted_department(world: World) -> None:
    _consulting(world)
    stored = machine.advance(SAMPLE, OPENED, ports=world.ports)
    assert stored == [f"{SAMPLE}.consultation-letter.maogong.v1"]
    letter = world.ports.documents.get(stored[0])
    assert (letter.variant, letter.filename, letter.created) == (
        "maogong",
        "征求意见函-市贸工局.docx",
        OPENED,
    )
    assert "2007年10月12日" in world.ports.documents.read(letter.id).decode("utf-8")  # the reply date


def test_the_in_process_dispatcher_makes_each_stage_documents_as_the_duty_goes(world: World) -> None:
    p, d = world.ports, InProcessDispatcher(world.ports)
    wf.start_duty(SAMPLE, actor="zhang", now=START, ports=p, dispatcher=d)
    assert world.kinds() == ["draft.v1", "explanation.v1"]
    wf.open_consultation(SAMPLE, actor="zhang", now=OPENED, ports=p, dispatcher=d)
    wf.record_opinion(
        SAMPLE, (OpinionInput("第四条", "建议明确资助标准"),), actor="li", now=at("2007-10-08"), ports=p
    )
    assert world.kinds()[2:] == ["consultation-letter.maogong.v1"]
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-09"), ports=p, dispatcher=d)
    assert world.kinds()[3:] == ["adoption-table.v1"]
    opinion = world.duty().opinions[0].id
    wf.decide_opinion(
        SAMPLE, opinion, Decision.ADOPTED, "已补充", actor="zhang", now=at("2007-10-10"), ports=p
    )
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-11"), ports=p, dispatcher=d)
    assert world.kinds()[4:] == ["review-draft.v1", "explanation.v2", "adoption-table.v2", "review-letter.v1"]
    wf.record_review(SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-18"), ports=p, dispatcher=d)
    assert world.kinds()[8:] == ["legality-opinion.v1"]
    wf.deliberate(SAMPLE, True, "", actor="office", now=at("2007-10-22"), ports=p, dispatcher=d)
    wf.publish(
        SAMPLE,
        "深财〔2007〕35号",
        dt.date(2007, 10, 23),
        dt.date(2008, 1, 1),
        actor="zhang",
        now=at("2007-10-23"),
        ports=p,
        dispatcher=d,
    )
    assert world.kinds()[9:] == ["published.v1"]
    wf.file_duty(SAMPLE, dt.date(2007, 10, 25), actor="zhang", now=at("2007-10-25"), ports=p, dispatcher=d)
    assert len(world.kinds()) == 10  # filing makes no document
    duty = world.duty()
    assert duty.state is State.FILED and duty.machine_done == duty.stage_version - 1
    published = world.ports.documents.latest(SAMPLE, DocumentKind.PUBLISHED)
    assert published is not None and "深财〔2007〕35号" in world.ports.documents.read(published.id).decode(
        "utf-8"
    )


def test_an_uploaded_revision_feeds_the_review_draft(world: World) -> None:
    p, d = world.ports, InProcessDispatcher(world.ports)
    wf.start_duty(SAMPLE, actor="zhang", now=START, ports=p, dispatcher=d)
    revision = made_by_python_docx(
        "深圳市服务外包人才培训资助资金使用和监管办法",
        "第一章　总则",
        "第一条　为了规范资助资金管理，制定本办法。",
        "第二条　资助资金实行专款专用。",
    )
    wf.upload_draft(
        SAMPLE, revision, "修改稿.docx", actor="zhang", now=at("2007-09-20"), ports=p, dispatcher=d
    )
    versions = p.documents.versions(SAMPLE, DocumentKind.DRAFT)
    assert [(v.version, v.origin, v.author) for v in versions] == [
        (1, Origin.GENERATED, "system"),
        (2, Origin.UPLOADED, "zhang"),
    ]
    wf.open_consultation(SAMPLE, actor="zhang", now=OPENED, ports=p, dispatcher=d)
    wf.record_opinion(SAMPLE, (), actor="li", now=at("2007-10-08"), ports=p)
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-09"), ports=p, dispatcher=d)
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-10"), ports=p, dispatcher=d)
    review = p.documents.latest(SAMPLE, DocumentKind.REVIEW_DRAFT)
    assert review is not None
    text = p.documents.read(review.id).decode("utf-8")
    assert (
        "资助资金实行专款专用。" in text and "（送审稿）" in text
    )  # the repr splits 第二条 into its own run


# --- windows -------------------------------------------------------------------------------------------------


def test_silence_counts_as_no_objection_when_the_window_ends(world: World) -> None:
    _consulting(world)
    machine.advance(SAMPLE, OPENED, ports=world.ports)
    reply_due = {k for k in world.reminders() if ":reply-due:" in k}
    world.fresh_dispatcher(work=False)
    assert wf.close_due_consultations(WINDOW_ENDED, ports=world.ports, dispatcher=world.dispatcher) == [
        SAMPLE
    ]
    assert world.dispatcher.advanced == [(SAMPLE, WINDOW_ENDED)] and world.state() is State.CONSULTING
    for duty_id, now in world.dispatcher.advanced:  # what the dispatched run does
        machine.advance(duty_id, now, ports=world.ports)
    duty = world.duty()
    assert duty.state is State.REVISING and duty.machine_done == duty.stage_version
    assert [(r.reply, r.replied_by) for r in duty.requests] == [(ReplyKind.SILENT, None)]
    last = duty.events[-1]
    assert (last.action, last.actor, last.at, last.reason) == (
        "close_consultation",
        "system",
        WINDOW_ENDED,
        "逾期未反馈的视为无意见",
    )
    assert _counts(world)["adoption-table.v1"] == 1
    assert reply_due and {world.reminders()[k] for k in reply_due} == {"cancelled"}


def test_the_machine_closes_a_due_window_once(world: World) -> None:
    _consulting(world)
    machine.advance(SAMPLE, OPENED, ports=world.ports)
    assert machine.plan(SAMPLE, at("2007-10-12", 18), ports=world.ports) is None  # the due day itself
    work = machine.plan(SAMPLE, WINDOW_ENDED, ports=world.ports)
    assert work is not None and work.closes_window and work.stage == "close" and work.kinds == ()
    closed = machine.close_window(work, ports=world.ports)
    assert closed == world.duty().stage_version == work.stage_version + 1
    assert machine.close_window(work, ports=world.ports) is None
    machine.advance(SAMPLE, WINDOW_ENDED, ports=world.ports)
    machine.advance(SAMPLE, WINDOW_ENDED, ports=world.ports)
    assert [e.action for e in world.duty().events].count("close_consultation") == 1
    assert _counts(world)["adoption-table.v1"] == 1 and _counts(world)["adoption-table.v2"] == 0


def test_the_machine_leaves_alone_a_window_its_officer_closed(world: World) -> None:
    _consulting(world)
    machine.advance(SAMPLE, OPENED, ports=world.ports)
    work = machine.plan(SAMPLE, WINDOW_ENDED, ports=world.ports)
    assert work is not None and work.closes_window
    wf.close_consultation(
        SAMPLE, actor="zhang", now=WINDOW_ENDED, ports=world.ports, dispatcher=world.dispatcher
    )
    before = world.duty()
    assert machine.close_window(work, ports=world.ports) is None
    assert world.duty() == before and before.events[-1].actor == "zhang"


def test_a_window_still_open_is_not_closed_by_the_machine(world: World) -> None:
    _consulting(world)
    machine.advance(SAMPLE, OPENED, ports=world.ports)
    early = Work(SAMPLE, State.CONSULTING, 2, at("2007-10-12", 18), closes_window=True)
    assert machine.close_window(early, ports=world.ports) is None
    assert world.state() is State.CONSULTING


# --- the in-process dispatcher's reconcile -------------------------------------------------------------------


def test_reconcile_redoes_work_left_undone_as_of_when_the_stage_began(world: World) -> None:
    work = _started(world)
    machine.make_documents(work, DocumentKind.DRAFT, ports=world.ports)  # then the process dies
    dispatcher = InProcessDispatcher(world.ports)
    assert dispatcher.reconcile(at("2007-09-20")) == [SAMPLE]
    assert _counts(world) == Counter({"draft.v1": 1, "explanation.v1": 1})
    assert {v.created for v in world.documents()} == {START}  # as of the start, not of the reconcile
    assert world.duty().machine_done == 1
    assert dispatcher.reconcile(at("2007-09-21")) == []


def test_reconcile_resumes_a_later_stage_as_of_that_stage_start(world: World) -> None:
    _consulting(world)
    assert InProcessDispatcher(world.ports).reconcile(at("2007-10-05")) == [SAMPLE]
    letter = world.ports.documents.latest(SAMPLE, DocumentKind.CONSULTATION_LETTER, "maogong")
    assert letter is not None and letter.created == OPENED


def test_reconcile_closes_a_window_that_ended_while_nobody_looked(world: World) -> None:
    _consulting(world)
    dispatcher = InProcessDispatcher(world.ports)
    dispatcher.reconcile(OPENED)
    assert dispatcher.reconcile(at("2007-10-12", 18)) == []
    assert dispatcher.reconcile(WINDOW_ENDED) == [SAMPLE]
    duty = world.duty()
    assert duty.state is State.REVISING and duty.events[-1].actor == "system"
    assert _counts(world)["adoption-table.v1"] == 1
    assert dispatcher.reconcile(at("2007-10-14")) == []


def test_reconcile_finds_nothing_when_every_stage_is_done(world: World) -> None:
    dispatcher = InProcessDispatcher(world.ports)
    assert dispatcher.reconcile(START) == []  # nothing started
    wf.start_duty(SAMPLE, actor="zhang", now=START, ports=world.ports, dispatcher=dispatcher)
    before = world.snapshot()
    assert dispatcher.reconcile(at("2007-09-20")) == []
    assert world.snapshot() == before


# --- views ---------------------------------------------------------------------------------------------------


def test_status_shows_each_duty_against_its_next_milestone(world: World) -> None:
    _started(world)
    rows = {r.duty_id: r for r in status(dt.date(2007, 9, 12), ports=world.ports)}
    assert len(rows) == 22
    row = rows[SAMPLE]
    assert (row.notice_id, row.location, row.lead, row.state) == (
        "sfb2007-129",
        "二(二)-1",
        "市财政局",
        State.DRAFTING,
    )
    assert (row.next_stage, row.next_due) == (Stage.DRAFTING, dt.date(2007, 11, 19))
    assert not row.at_risk and not row.overdue
    assert rows["sfb2007-129-01-03-1-maogong"].state is State.NOT_STARTED


def test_status_counts_down_to_the_last_working_day_then_shows_the_duty_overdue(world: World) -> None:
    _started(world)
    last = world.duty().last_working_day
    assert last == dt.date(2007, 12, 29)  # 2007-12-31 falls in the New Year holiday; the 29th is worked

    def row(day: dt.date) -> tuple[int | None, bool, bool]:
        [found] = [r for r in status(day, ports=world.ports) if r.duty_id == SAMPLE]
        return found.workdays_left, found.at_risk, found.overdue

    assert row(dt.date(2007, 12, 20)) == (7, True, False)
    assert row(last) == (0, True, False)
    assert row(dt.date(2008, 1, 2)) == (0, True, True)


def test_status_of_one_notice_and_of_a_finished_duty(world: World) -> None:
    wf.withdraw(SAMPLE, "与他项合并", actor="office", now=START, ports=world.ports)
    assert status(START.date(), ports=world.ports, notice_id="no-such-notice") == []
    [row] = [
        r
        for r in status(dt.date(2008, 2, 1), ports=world.ports, notice_id="sfb2007-129")
        if r.duty_id == SAMPLE
    ]
    assert (row.state, row.next_stage, row.next_due, row.at_risk, row.overdue) == (
        State.WITHDRAWN,
        None,
        None,
        False,
        False,
    )


def test_the_timeline_shows_the_audit_trail_rounds_opinions_and_documents(world: World) -> None:
    p, d = world.ports, InProcessDispatcher(world.ports)
    wf.start_duty(SAMPLE, actor="zhang", now=START, ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=OPENED, ports=p, dispatcher=d)
    wf.record_opinion(
        SAMPLE, (OpinionInput("第四条", "建议明确资助标准"),), actor="li", now=at("2007-10-08"), ports=p
    )
    t = timeline(SAMPLE, ports=p)
    assert (t.duty_id, t.title, t.state) == (
        SAMPLE,
        "深圳市服务外包人才培训资助资金使用和监管办法",
        State.CONSULTING,
    )
    assert (t.deadline, t.last_working_day) == (dt.date(2007, 12, 31), dt.date(2007, 12, 29))
    assert [(e.seq, e.action, e.actor) for e in t.events] == [
        (1, "ingest", "admin"),
        (2, "start", "zhang"),
        (3, "open_consultation", "zhang"),
        (4, "reply", "li"),
    ]
    assert [(r.round, r.consultee, r.reply) for r in t.requests] == [(1, "maogong", ReplyKind.OPINIONS)]
    assert [(o.clause, o.text) for o in t.opinions] == [("第四条", "建议明确资助标准")]
    assert [v.id for v in t.documents] == [
        f"{SAMPLE}.draft.v1",
        f"{SAMPLE}.explanation.v1",
        f"{SAMPLE}.consultation-letter.maogong.v1",
    ]
    assert (t.milestones[Stage.DRAFTING], t.milestones[Stage.PUBLISH]) == (
        dt.date(2007, 11, 19),
        dt.date(2007, 12, 29),
    )
    with pytest.raises(DutyNotFound):
        timeline("no-such-duty", ports=p)


def test_the_timeline_follows_an_extension(world: World) -> None:
    _started(world)
    before = timeline(SAMPLE, ports=world.ports).milestones
    wf.extend_deadline(
        SAMPLE, dt.date(2008, 3, 31), "需补充调研", actor="office", now=at("2007-12-01"), ports=world.ports
    )
    t = timeline(SAMPLE, ports=world.ports)
    assert (t.deadline, t.last_working_day) == (dt.date(2008, 3, 31), dt.date(2008, 3, 31))
    assert (
        t.milestones[Stage.PUBLISH] == dt.date(2008, 3, 31)
        and t.milestones[Stage.DRAFTING] > before[Stage.DRAFTING]
    )


def test_in_process_no_stage_ends_before_its_documents_exist(world: World) -> None:
    """start → consult, window end → submit, submit → review → deliberate, publish → file: with the machine work
    left undone (a crash), each next step is refused and changes nothing; the reconciler makes the documents
    and the step goes through. Every stage ends up with its documents."""
    p, idle = world.ports, world.dispatcher  # records only: the machine work is left undone
    reconciler = InProcessDispatcher(p)

    def refused_then_done(act: Callable[[], object], now: dt.datetime) -> None:
        before = world.duty()
        with pytest.raises(MachineWorkPending):
            act()
        assert world.duty() == before
        reconciler.reconcile(now)
        act()

    wf.start_duty(SAMPLE, actor="zhang", now=START, ports=p, dispatcher=idle)
    refused_then_done(
        lambda: wf.open_consultation(SAMPLE, actor="zhang", now=OPENED, ports=p, dispatcher=idle), OPENED
    )
    reconciler.reconcile(WINDOW_ENDED)  # the letters, dated when the consultation opened
    reconciler.reconcile(WINDOW_ENDED)  # the next tick: the window has ended, silence counts
    assert world.state() is State.REVISING
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-15"), ports=p, dispatcher=idle)
    review = lambda: wf.record_review(  # noqa: E731
        SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-22"), ports=p, dispatcher=idle
    )
    refused_then_done(review, at("2007-10-22"))
    refused_then_done(
        lambda: wf.deliberate(
            SAMPLE, True, "", actor="office", now=at("2007-10-25"), ports=p, dispatcher=idle
        ),
        at("2007-10-25"),
    )
    wf.publish(
        SAMPLE, "深财〔2007〕35号", dt.date(2007, 10, 26), dt.date(2008, 1, 1), actor="zhang",
        now=at("2007-10-26"), ports=p, dispatcher=idle,
    )  # fmt: skip
    refused_then_done(
        lambda: wf.file_duty(
            SAMPLE, dt.date(2007, 11, 2), actor="zhang", now=at("2007-11-02"), ports=p, dispatcher=idle
        ),
        at("2007-11-02"),
    )
    assert world.state() is State.FILED
    made = {v.kind for v in world.documents()}
    assert {k for kinds in MACHINE_WORK.values() for k in kinds} <= made
