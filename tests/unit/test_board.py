"""The read models on the fakes: what waits on whom, the notice board, its burndown, and one duty's page."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.drafting.versions import DocumentKind
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.milestones import Stage
from engine.domain.workflow.model import State
from engine.errors import NoticeNotFound, NotReadable
from engine.services import workflow as wf
from engine.services.board import burndown, notice_board, tasks_for
from engine.services.pages import duty_page
from tests.support.workflows import SAMPLE, at
from tests.unit.conftest import World

NOTICE = "sfb2007-129"
TODAY = dt.date(2007, 10, 15)
SECOND = "sfb2007-129-02-02-2-caizheng"  # also 市财政局's
MAOGONG = "sfb2007-129-01-03-1-maogong"  # 市贸工局's, consulting 市财政局 and 市科技信息局


def consulting(world: World) -> None:
    p, d = world.ports, world.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)


def test_an_officer_waits_on_nothing_before_the_start_but_the_starts(world: World) -> None:
    tasks = tasks_for("zhang", TODAY, ports=world.ports)
    led = {t.duty_id for t in tasks}
    assert SAMPLE in led and SECOND in led and all(t.actions == ("start",) for t in tasks)
    assert all(t.lead == "市财政局" for t in tasks)


def test_a_consultee_waits_on_the_reply_due_in_the_window_and_is_overdue_after_it(world: World) -> None:
    consulting(world)
    [task] = tasks_for("li", at("2007-10-09").date(), ports=world.ports)
    assert (task.duty_id, task.actions, task.due, task.overdue) == (
        SAMPLE,
        ("reply",),
        dt.date(2007, 10, 12),
        False,
    )
    assert task.workdays_left == 3
    [late] = tasks_for("li", TODAY, ports=world.ports)
    assert late.overdue and late.workdays_left is not None and late.workdays_left < 0
    wf.record_opinion(SAMPLE, (), actor="li", now=at("2007-10-10"), ports=world.ports)
    assert tasks_for("li", TODAY, ports=world.ports) == []


def test_overdue_tasks_come_first_then_by_due_day(world: World) -> None:
    consulting(world)
    tasks = tasks_for("zhang", TODAY, ports=world.ports)
    assert tasks[0].duty_id == SAMPLE and tasks[0].overdue  # its window ended on 10-12
    assert [t.due for t in tasks[1:]] == sorted(t.due for t in tasks[1:] if t.due)
    assert tasks[0].actions == ("close_consultation",)  # no opinion yet: nothing to decide


def test_the_legal_office_and_the_coordinating_office_wait_on_their_own_steps(world: World) -> None:
    p, d = world.ports, world.dispatcher
    consulting(world)
    wf.record_opinion(SAMPLE, (OpinionInput("第二条", "建议"),), actor="li", now=at("2007-10-08"), ports=p)
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-13"), ports=p, dispatcher=d)
    [opinion] = world.duty().opinions
    wf.decide_opinion(SAMPLE, opinion.id, Decision.ADOPTED, "", actor="zhang", now=at("2007-10-14"), ports=p)
    assert [t.actions for t in tasks_for("fa", TODAY, ports=p)] == []
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-15"), ports=p, dispatcher=d)
    assert [(t.duty_id, t.actions) for t in tasks_for("fa", TODAY, ports=p)] == [(SAMPLE, ("review",))]
    wf.record_review(SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-22"), ports=p, dispatcher=d)
    assert [(t.duty_id, t.actions) for t in tasks_for("office", TODAY, ports=p) if t.duty_id == SAMPLE] == [
        (SAMPLE, ("deliberate",))
    ]


def test_the_board_shows_every_duty_against_its_milestones_with_the_stages_that_ended(world: World) -> None:
    consulting(world)
    board = notice_board(NOTICE, TODAY, ports=world.ports)
    rows = {r.duty_id: r for r in board.rows}
    assert len(rows) == 22 and board.title
    row = rows[SAMPLE]
    assert (row.state, row.next_stage, row.lead) == (State.CONSULTING, Stage.CONSULTATION, "市财政局")
    assert row.actual == {Stage.DRAFTING: dt.date(2007, 9, 28)} and set(row.planned) == set(Stage)
    assert row.workdays_left is not None and row.workdays_left > 0 and not row.pending
    assert rows[SECOND].state is State.NOT_STARTED and rows[SECOND].actual == {}


def test_a_published_duty_shows_the_day_it_was_published(world: World) -> None:
    p, d = world.ports, world.dispatcher
    consulting(world)
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-13"), ports=p, dispatcher=d)
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-15"), ports=p, dispatcher=d)
    wf.record_review(SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-22"), ports=p, dispatcher=d)
    wf.deliberate(SAMPLE, True, "", actor="office", now=at("2007-10-25"), ports=p, dispatcher=d)
    wf.publish(
        SAMPLE, "深财〔2007〕35号", dt.date(2007, 10, 26), dt.date(2008, 1, 1), actor="zhang",
        now=at("2007-10-26"), ports=p, dispatcher=d,
    )  # fmt: skip
    row = next(r for r in notice_board(NOTICE, TODAY, ports=p).rows if r.duty_id == SAMPLE)
    assert row.actual[Stage.PUBLISH] == dt.date(2007, 10, 26) and row.next_stage is None


def test_a_person_sees_only_the_duties_they_may_read_on_the_board(world: World) -> None:
    consulting(world)
    mine = {r.duty_id for r in notice_board(NOTICE, TODAY, ports=world.ports, user_id="zhao").rows}
    assert mine == {"sfb2007-129-08-02-1-renshi", "sfb2007-129-08-03-1-renshi"}  # 市人事局 leads these two
    world.add_person("cz", "财政联络员", "caizheng", "consultee")
    wf.start_duty(
        MAOGONG, actor="office", now=at("2007-09-11"), ports=world.ports, dispatcher=world.dispatcher
    )
    before = {r.duty_id for r in notice_board(NOTICE, TODAY, ports=world.ports, user_id="cz").rows}
    assert MAOGONG not in before  # not asked yet
    wf.open_consultation(
        MAOGONG, actor="admin", now=at("2007-09-28"), ports=world.ports, dispatcher=world.dispatcher
    )
    after = {r.duty_id for r in notice_board(NOTICE, TODAY, ports=world.ports, user_id="cz").rows}
    assert after - before == {MAOGONG}
    assert len(notice_board(NOTICE, TODAY, ports=world.ports, user_id="office").rows) == 22
    with pytest.raises(NoticeNotFound):
        notice_board("sfb2099-1", TODAY, ports=world.ports)


def test_the_burndown_counts_open_duties_each_day_planned_and_actual(world: World) -> None:
    consulting(world)
    wf.withdraw(SECOND, "与他项合并", actor="office", now=at("2007-10-08"), ports=world.ports)
    chart = burndown(NOTICE, TODAY, ports=world.ports)
    assert chart.days[0] == dt.date(2007, 8, 24) and chart.days[-1] == dt.date(2007, 12, 29)
    assert chart.planned[0] == 22 and chart.planned[-1] == 0
    assert list(chart.planned) == sorted(chart.planned, reverse=True)
    by_day = dict(zip(chart.days, chart.actual, strict=True))
    assert by_day[dt.date(2007, 10, 7)] == 22 and by_day[dt.date(2007, 10, 8)] == 21
    assert by_day[dt.date(2007, 10, 16)] is None  # after today


def test_a_duty_page_shows_what_the_person_may_see_and_do(world: World) -> None:
    p, d = world.ports, world.dispatcher
    world.add_person("cz", "财政联络员", "caizheng", "consultee")
    world.add_person("kj", "科技联络员", "keji", "consultee")
    wf.start_duty(MAOGONG, actor="office", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(MAOGONG, actor="admin", now=at("2007-09-28"), ports=p, dispatcher=d)
    wf.record_opinion(MAOGONG, (OpinionInput("第二条", "建议"),), actor="kj", now=at("2007-10-08"), ports=p)
    whole = duty_page(MAOGONG, "office", TODAY, ports=p)
    consultee = duty_page(MAOGONG, "cz", TODAY, ports=p)
    assert {r.consultee for r in whole.requests} == {"caizheng", "keji"} and len(whole.opinions) == 1
    assert [r.consultee for r in consultee.requests] == ["caizheng"] and consultee.opinions == ()
    assert consultee.allowed == {"reply"} and consultee.version == whole.version
    assert "reply" not in duty_page(MAOGONG, "kj", TODAY, ports=p).allowed  # it has answered
    kinds = {v.kind for v in consultee.documents}
    assert kinds == {DocumentKind.DRAFT, DocumentKind.EXPLANATION, DocumentKind.CONSULTATION_LETTER}
    assert all(v.variant in ("", "caizheng") for v in consultee.documents)
    assert consultee.reviews == () and not consultee.pending
    with pytest.raises(NotReadable):
        duty_page("sfb2007-129-08-02-1-renshi", "cz", TODAY, ports=p)
