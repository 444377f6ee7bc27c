"""The drafting duty's workflow (engine.domain.workflow.model): consultation, milestones, permissions."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from engine.domain.drafting.decisions import Decision, Legality, ReplyKind
from engine.domain.intake.specs import DutySpec, Track
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.milestones import Plan, Stage, back_schedule, milestones
from engine.domain.workflow.model import Duty, State
from engine.errors import IllegalTransition
from tests.support import procedure
from tests.support.duties import sample_spec

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
PLAN = Plan()
NOTICE = "sfb2007-129"
OFFICER, CONSULTEE, REVIEWER, COORDINATOR = "li.si", "zhao.liu", "fzb.wang", "ldxz.chen"
LATER = dt.datetime(2007, 12, 20, 10, tzinfo=SHANGHAI)  # after every step of `in_state`


def at(month: int, day: int, hour: int = 10, year: int = 2007) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def spec(track: Track = Track.NORMATIVE, **changes: object) -> DutySpec:
    base = sample_spec(track=track)
    if track is Track.LEGISLATIVE:
        base = replace(
            base,
            id="sfb2007-129-05-01-1-maogong",
            location="五（一）",
            lead="maogong",
            lead_as_written="市贸工局",
            co_departments=(),
            co_departments_as_written=(),
            consultees=("caizheng", "renshi"),
            text="市贸工局研究制定服务外包专项法规",
            document="服务外包专项法规",
            title="深圳经济特区服务外包条例",
            kind="法规",
        )
    return replace(base, **changes)  # type: ignore[arg-type]


def new_duty(track: Track = Track.NORMATIVE, **changes: object) -> Duty:
    return Duty.from_spec(spec(track, **changes), NOTICE)


def opinion(clause: str = "第五条", text: str = "建议明确资助标准") -> OpinionInput:
    return OpinionInput(clause, text)


# --- driving a duty into any state ------------------------------------------------------------------------------


def _decide_all(duty: Duty, now: dt.datetime) -> None:
    for o in duty.undecided():
        duty.decide(o.id, Decision.PARTLY_ADOPTED, "已吸收主要内容", OFFICER, now)


def _to_consulting(duty: Duty) -> None:
    duty.upload(OFFICER, at(9, 27), "doc-1")
    duty.open_consultation(OFFICER, at(9, 28), CAL, 7)
    duty.reply(duty.spec.consultees[0], CONSULTEE, at(10, 8), (opinion(),))


def _to_reviewing(duty: Duty) -> None:
    _decide_all(duty, at(10, 16))
    duty.submit(OFFICER, at(10, 17))


_SCRIPT: dict[State, Callable[[Duty], None]] = {
    State.DRAFTING: lambda d: d.start(OFFICER, at(9, 24)),
    State.CONSULTING: _to_consulting,
    State.REVISING: lambda d: d.close_consultation(OFFICER, at(10, 15)),
    State.REVIEWING: _to_reviewing,
    State.DELIBERATING: lambda d: d.review(Legality.LAWFUL, "", REVIEWER, at(11, 5)),
    State.APPROVED: lambda d: d.deliberate(True, COORDINATOR, at(11, 20)),
    State.PUBLISHED: lambda d: d.publish(
        "深财〔2007〕12号", D(2007, 11, 28), D(2008, 1, 1), OFFICER, at(11, 28)
    ),
    State.FILED: lambda d: d.file(D(2007, 12, 10), OFFICER, at(12, 10)),
    State.FORWARDED: lambda d: d.forward(OFFICER, at(11, 28), "报市人大常委会"),
}
_PATHS: dict[State, tuple[State, ...]] = {
    State.NOT_STARTED: (),
    State.DRAFTING: (State.DRAFTING,),
    State.CONSULTING: (State.DRAFTING, State.CONSULTING),
    State.REVISING: (State.DRAFTING, State.CONSULTING, State.REVISING),
    State.REVIEWING: (State.DRAFTING, State.CONSULTING, State.REVISING, State.REVIEWING),
    State.DELIBERATING: (
        State.DRAFTING,
        State.CONSULTING,
        State.REVISING,
        State.REVIEWING,
        State.DELIBERATING,
    ),
}
_PATHS[State.APPROVED] = (*_PATHS[State.DELIBERATING], State.APPROVED)
_PATHS[State.PUBLISHED] = (*_PATHS[State.APPROVED], State.PUBLISHED)
_PATHS[State.FILED] = (*_PATHS[State.PUBLISHED], State.FILED)
_PATHS[State.FORWARDED] = (*_PATHS[State.APPROVED], State.FORWARDED)


def in_state(state: State, track: Track | None = None) -> Duty:
    """A duty driven to `state` along the ordinary path (a 法规草案 for 已报送, else a 规范性文件)."""
    if track is None:
        track = Track.LEGISLATIVE if state is State.FORWARDED else Track.NORMATIVE
    duty = new_duty(track)
    if state is State.RETURNED:
        for step in _PATHS[State.REVIEWING]:
            _SCRIPT[step](duty)
        duty.review(Legality.TO_AMEND, "第五条资助标准超出财政预算安排", REVIEWER, at(11, 5))
    elif state is State.WITHDRAWN:
        duty.start(OFFICER, at(9, 24))
        duty.withdraw(COORDINATOR, at(9, 25), "任务调整")
    else:
        for step in _PATHS[state]:
            _SCRIPT[step](duty)
    assert duty.state is state
    return duty


# Each action of the table, called with arguments that are valid but for the state.
def _perform(duty: Duty, action: str, now: dt.datetime) -> None:
    if action == "start":
        duty.start(OFFICER, now)
    elif action == "upload":
        duty.upload(OFFICER, now, "doc-2")
    elif action == "open_consultation":
        duty.open_consultation(OFFICER, now, CAL, 7)
    elif action == "reply":
        pending = [r.consultee for r in duty.current_requests() if r.reply is None]
        duty.reply((pending or ["renshi"])[0], CONSULTEE, now, (opinion("第七条", "建议增加绩效评价"),))
    elif action == "close_consultation":
        duty.close_consultation(OFFICER, now)
    elif action == "decide":
        candidates = duty.undecided() or duty.opinions
        target = candidates[0].id if candidates else f"{duty.id}.r1.maogong.1"
        duty.decide(target, Decision.ADOPTED, "", OFFICER, now)
    elif action == "submit":
        duty.submit(OFFICER, now)
    elif action == "review_lawful":
        duty.review(Legality.LAWFUL, "", REVIEWER, now)
    elif action == "review_returned":
        duty.review(Legality.TO_AMEND, "第五条需修改", REVIEWER, now)
    elif action == "approve":
        duty.deliberate(True, COORDINATOR, now)
    elif action == "return":
        duty.deliberate(False, COORDINATOR, now, "资助范围过宽")
    elif action == "publish":
        duty.publish("深财〔2007〕12号", D(2007, 12, 20), D(2008, 1, 1), OFFICER, now)
    elif action == "forward":
        duty.forward(OFFICER, now, "报市人大常委会")
    elif action == "file":
        duty.file(D(2007, 12, 25), OFFICER, now)
    elif action == "withdraw":
        duty.withdraw(COORDINATOR, now, "任务调整")
    elif action == "extend":
        duty.extend(D(2008, 3, 31), COORDINATOR, "经领导小组同意延期", now, CAL)
    elif action == "reassign":
        duty.reassign("keji", "wang.wu", COORDINATOR, now, "职能调整")
    elif action == "ingest":
        duty.ingested("system", now)
    elif action == "amend":
        assert duty.amend(replace(duty.spec, title=f"{duty.spec.title}（修订）"), "admin", now, CAL) == [
            "title"
        ]
    else:  # pragma: no cover
        raise AssertionError(action)


# The oracle is the procedure written out in tests/support/procedure.py, never the model's own table.
ACTIONS = procedure.ACTIONS


def allowed(state: State, action: str) -> bool:
    return procedure.next_state(state.value, action) is not None


ILLEGAL = [pytest.param(s, a, id=f"{s.name}-{a}") for s in State for a in ACTIONS if not allowed(s, a)]
LEGAL = [pytest.param(s, a, id=f"{s.name}-{a}") for s in State for a in ACTIONS if allowed(s, a)]


def refused(duty: Duty, act: Callable[[], object]) -> IllegalTransition:
    """Run an action that must be refused, and check it left the duty exactly as it was."""
    before = copy.deepcopy(duty)
    with pytest.raises(IllegalTransition) as caught:
        act()
    after = (duty.state, duty.events, duty.requests, duty.opinions, duty.version, duty.stage_version)
    assert after == (
        before.state,
        before.events,
        before.requests,
        before.opinions,
        before.version,
        before.stage_version,
    )
    assert duty == before
    return caught.value


def trail(duty: Duty) -> list[tuple[str, State | None, State | None]]:
    return [(e.action, e.from_state, e.to_state) for e in duty.events]


# --- the table ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_an_action_the_table_does_not_allow_in_a_state_is_refused_and_changes_nothing(
    state: State, action: str
) -> None:
    duty = in_state(state)
    error = refused(duty, lambda: _perform(duty, action, LATER))
    assert error.state == state.value
    assert error.duty_id == duty.id


@pytest.mark.parametrize(("state", "action"), LEGAL)
def test_an_action_the_table_allows_moves_the_duty_where_the_table_says_and_records_one_event(
    state: State, action: str
) -> None:
    track = Track.LEGISLATIVE if action == "forward" or state is State.FORWARDED else Track.NORMATIVE
    duty = in_state(state, track)
    if action == "submit":
        _decide_all(duty, LATER)
    count = len(duty.events)
    _perform(duty, action, LATER)
    expected = State(procedure.next_state(state.value, action))
    assert duty.state is expected
    assert len(duty.events) == count + 1
    assert trail(duty)[-1] == (action, state, expected)


def test_the_terminal_states_are_filed_forwarded_and_withdrawn() -> None:
    assert {s for s in State if s.terminal} == {State.FILED, State.FORWARDED, State.WITHDRAWN}
    assert {s.value for s in State if s.terminal} == procedure.FINAL


def test_the_model_has_the_states_of_the_procedure_and_no_other() -> None:
    assert [s.value for s in State] == list(procedure.STATES)


@pytest.mark.parametrize("action", ["submit", "review_lawful", "approve", "publish", "file"])
def test_a_draft_cannot_skip_the_consultation(action: str) -> None:
    duty = in_state(State.DRAFTING)
    if action == "submit":
        _decide_all(duty, LATER)
    refused(duty, lambda: _perform(duty, action, LATER))


# --- the happy paths ----------------------------------------------------------------------------------------


def test_a_normative_document_goes_all_the_way_to_filed() -> None:
    duty = new_duty()
    assert (duty.state, duty.deadline) == (State.NOT_STARTED, D(2007, 12, 31))
    duty.start(OFFICER, at(9, 24))
    duty.upload(OFFICER, at(9, 26), "doc-1")
    duty.open_consultation(OFFICER, at(9, 28), CAL, 7)
    duty.reply("maogong", CONSULTEE, at(10, 8), (opinion(), opinion("第九条", "建议删除")))
    duty.reply("renshi", "renshi.liu", at(10, 9), ())
    duty.close_consultation(OFFICER, at(10, 10))
    first, second = duty.opinions
    duty.decide(first.id, Decision.ADOPTED, "", OFFICER, at(10, 11))
    duty.decide(second.id, Decision.NOT_ADOPTED, "该条为上位法规定", OFFICER, at(10, 11))
    duty.upload(OFFICER, at(10, 12), "doc-2")
    duty.submit(OFFICER, at(10, 15))
    duty.review(Legality.LAWFUL, "", REVIEWER, at(10, 30))
    duty.deliberate(True, COORDINATOR, at(11, 6))
    duty.publish("深财〔2007〕12号", D(2007, 11, 12), D(2008, 1, 1), OFFICER, at(11, 12))
    assert duty.publication is not None and duty.publication.number == "深财〔2007〕12号"
    duty.file(D(2007, 11, 20), OFFICER, at(11, 20))
    assert duty.state is State.FILED and duty.state.terminal
    assert duty.publication is not None
    assert duty.publication.filed_on == D(2007, 11, 20)
    assert [(a, t) for a, _, t in trail(duty) if a not in procedure.IN_PLACE] == [
        ("start", State.DRAFTING),
        ("open_consultation", State.CONSULTING),
        ("close_consultation", State.REVISING),
        ("submit", State.REVIEWING),
        ("review_lawful", State.DELIBERATING),
        ("approve", State.APPROVED),
        ("publish", State.PUBLISHED),
        ("file", State.FILED),
    ]
    assert duty.stage_version == 8
    assert [r.outcome for r in duty.reviews] == [Legality.LAWFUL]


def test_a_rule_track_duty_is_published_like_a_normative_document() -> None:
    duty = in_state(State.APPROVED, Track.RULE)
    duty.publish("深府〔2007〕175号", D(2007, 12, 1), D(2008, 1, 1), OFFICER, LATER)
    assert duty.state is State.PUBLISHED


def test_a_draft_regulation_goes_all_the_way_to_forwarded_and_stops_there() -> None:
    duty = in_state(State.APPROVED, Track.LEGISLATIVE)
    duty.forward(OFFICER, at(12, 3), "报市人大常委会审议")
    assert duty.state is State.FORWARDED and duty.state.terminal
    assert duty.events[-1].reason == "报市人大常委会审议"
    assert duty.publication is None


def test_a_draft_regulation_cannot_be_published_by_a_department() -> None:
    duty = in_state(State.APPROVED, Track.LEGISLATIVE)
    error = refused(
        duty, lambda: duty.publish("深贸工〔2007〕12号", D(2007, 12, 3), D(2008, 1, 1), OFFICER, LATER)
    )
    assert "法规草案" in str(error)


def test_a_normative_document_cannot_be_forwarded_to_the_legislature() -> None:
    duty = in_state(State.APPROVED)
    error = refused(duty, lambda: duty.forward(OFFICER, LATER, "报市人大常委会"))
    assert "法规草案" in str(error)


def test_a_rule_cannot_be_forwarded_to_the_legislature_either() -> None:
    duty = in_state(State.APPROVED, Track.RULE)
    refused(duty, lambda: duty.forward(OFFICER, LATER))


# --- consultation -------------------------------------------------------------------------------------------


def consulting() -> Duty:
    duty = new_duty()
    duty.start(OFFICER, at(9, 24))
    duty.open_consultation(OFFICER, at(9, 28), CAL, 7)
    return duty


def test_reply_dates_count_working_days_across_the_national_day_holiday() -> None:
    duty = consulting()
    assert [(r.round, r.consultee, r.sent_on, r.due) for r in duty.requests] == [
        (1, "maogong", D(2007, 9, 28), D(2007, 10, 12)),
        (1, "renshi", D(2007, 9, 28), D(2007, 10, 12)),
    ]
    assert all(r.reply is None for r in duty.requests)
    assert duty.round == 1


def test_the_reply_window_is_configurable_in_working_days() -> None:
    duty = new_duty()
    duty.start(OFFICER, at(9, 24))
    duty.open_consultation(OFFICER, at(9, 28), CAL, 10)
    assert {r.due for r in duty.requests} == {D(2007, 10, 17)}


def test_a_duty_without_consultees_cannot_open_a_consultation() -> None:
    duty = new_duty(consultees=())
    duty.start(OFFICER, at(9, 24))
    error = refused(duty, lambda: duty.open_consultation(OFFICER, at(9, 28), CAL, 7))
    assert "没有征求意见单位" in str(error)


def test_a_reply_with_opinions_records_each_opinion_with_a_stable_id() -> None:
    duty = consulting()
    duty.reply("maogong", CONSULTEE, at(10, 8), (opinion(), OpinionInput("第九条", "建议删除", ("att-1",))))
    maogong = duty.requests[0]
    assert (maogong.reply, maogong.replied_at, maogong.replied_by) == (
        ReplyKind.OPINIONS,
        at(10, 8),
        CONSULTEE,
    )
    assert [o.id for o in duty.opinions] == [
        "sfb2007-129-02-02-1-caizheng.r1.maogong.1",
        "sfb2007-129-02-02-1-caizheng.r1.maogong.2",
    ]
    second = duty.opinions[1]
    assert (second.round, second.consultee, second.seq, second.clause, second.text) == (
        1,
        "maogong",
        2,
        "第九条",
        "建议删除",
    )
    assert second.attachments == ("att-1",) and second.ruling is None and second.author == CONSULTEE
    assert duty.state is State.CONSULTING
    assert duty.events[-1].action == "reply" and duty.events[-1].reason == "maogong"


def test_a_reply_without_opinions_is_no_objection() -> None:
    duty = consulting()
    duty.reply("renshi", CONSULTEE, at(10, 8), ())
    assert duty.requests[1].reply is ReplyKind.NO_OBJECTION
    assert duty.opinions == []


def test_a_department_cannot_reply_twice_in_a_round() -> None:
    duty = consulting()
    duty.reply("renshi", CONSULTEE, at(10, 8), ())
    error = refused(duty, lambda: duty.reply("renshi", CONSULTEE, at(10, 9), (opinion(),)))
    assert "已答复" in str(error)


def test_a_department_that_was_not_consulted_cannot_reply() -> None:
    duty = consulting()
    error = refused(duty, lambda: duty.reply("keji", CONSULTEE, at(10, 8), ()))
    assert "keji" in str(error)


@pytest.mark.parametrize("day", [D(2007, 10, 8), D(2007, 10, 11), D(2007, 10, 12)])
def test_the_window_cannot_be_closed_early_while_replies_are_missing(day: dt.date) -> None:
    duty = consulting()
    duty.reply("maogong", CONSULTEE, at(10, 8), ())
    error = refused(duty, lambda: duty.close_consultation(OFFICER, at(day.month, day.day, 17)))
    assert "未反馈" in str(error)


def test_the_window_may_close_early_once_every_department_has_replied() -> None:
    duty = consulting()
    duty.reply("maogong", CONSULTEE, at(10, 8), (opinion(),))
    duty.reply("renshi", CONSULTEE, at(10, 9), ())
    duty.close_consultation(OFFICER, at(10, 9, 15))
    assert duty.state is State.REVISING
    assert duty.events[-1].reason == ""
    assert [r.reply for r in duty.requests] == [ReplyKind.OPINIONS, ReplyKind.NO_OBJECTION]


def test_a_silent_department_counts_as_no_objection_when_the_window_closes() -> None:
    duty = consulting()
    duty.reply("maogong", CONSULTEE, at(10, 8), (opinion(),))
    duty.close_consultation("system", at(10, 13, 9))
    assert duty.state is State.REVISING
    renshi = duty.requests[1]
    assert (renshi.reply, renshi.replied_at, renshi.replied_by) == (ReplyKind.SILENT, None, None)
    assert duty.requests[0].reply is ReplyKind.OPINIONS
    assert duty.events[-1].reason == "逾期未反馈的视为无意见"
    assert duty.events[-1].actor == "system"


def test_a_silent_department_is_still_marked_silent_when_silence_is_not_consent() -> None:
    duty = consulting()
    duty.close_consultation(OFFICER, at(10, 13), silence_is_consent=False)
    assert [r.reply for r in duty.requests] == [ReplyKind.SILENT, ReplyKind.SILENT]
    assert duty.events[-1].reason == ""


def returned_after_round_one() -> Duty:
    duty = in_state(State.RETURNED)
    assert duty.round == 1
    return duty


def test_a_second_round_after_a_return_is_numbered_two_with_its_own_opinion_ids() -> None:
    duty = returned_after_round_one()
    duty.upload(OFFICER, at(11, 8), "doc-3")
    duty.open_consultation(OFFICER, at(11, 9), CAL, 7)
    assert duty.state is State.CONSULTING and duty.round == 2
    assert [(r.round, r.consultee, r.reply) for r in duty.current_requests()] == [
        (2, "maogong", None),
        (2, "renshi", None),
    ]
    assert len(duty.requests) == 4
    duty.reply("maogong", CONSULTEE, at(11, 12), (opinion("第六条", "建议再议"),))
    assert duty.opinions[-1].id == "sfb2007-129-02-02-1-caizheng.r2.maogong.1"
    assert duty.opinions[0].id == "sfb2007-129-02-02-1-caizheng.r1.maogong.1"
    assert duty.opinions[0].ruling is not None  # round one's decision stands


def test_a_returned_duty_may_go_straight_back_to_review_without_a_new_round() -> None:
    duty = returned_after_round_one()
    duty.submit(OFFICER, at(11, 9))
    assert duty.state is State.REVIEWING


# --- decisions ----------------------------------------------------------------------------------------------


def revising_with_two_opinions() -> Duty:
    duty = consulting()
    duty.reply("maogong", CONSULTEE, at(10, 8), (opinion(), opinion("第九条", "建议删除")))
    duty.reply("renshi", CONSULTEE, at(10, 9), ())
    duty.close_consultation(OFFICER, at(10, 10))
    return duty


def test_every_opinion_needs_a_decision_before_the_draft_is_submitted() -> None:
    duty = revising_with_two_opinions()
    first, second = duty.opinions
    error = refused(duty, lambda: duty.submit(OFFICER, at(10, 11)))
    assert "2 条意见未作处理" in str(error)
    duty.decide(first.id, Decision.ADOPTED, "", OFFICER, at(10, 11))
    error = refused(duty, lambda: duty.submit(OFFICER, at(10, 11)))
    assert "1 条意见未作处理" in str(error)
    duty.decide(second.id, Decision.PARTLY_ADOPTED, "删除第二款", OFFICER, at(10, 11))
    duty.submit(OFFICER, at(10, 12))
    assert duty.state is State.REVIEWING


def test_a_decision_records_the_ruling_with_who_when_and_why() -> None:
    duty = revising_with_two_opinions()
    target = duty.opinions[1]
    duty.decide(target.id, Decision.NOT_ADOPTED, "该条为上位法规定", OFFICER, at(10, 11))
    ruling = duty.opinions[1].ruling
    assert ruling is not None
    assert (ruling.decision, ruling.reason, ruling.by, ruling.at) == (
        Decision.NOT_ADOPTED,
        "该条为上位法规定",
        OFFICER,
        at(10, 11),
    )
    assert duty.opinions[1].id == target.id
    assert duty.events[-1].reason == f"{target.id} 不予采纳"
    assert duty.state is State.REVISING


def test_an_opinion_may_be_decided_while_the_window_is_still_open() -> None:
    duty = consulting()
    duty.reply("maogong", CONSULTEE, at(10, 8), (opinion(),))
    duty.decide(duty.opinions[0].id, Decision.ADOPTED, "", OFFICER, at(10, 9))
    assert duty.state is State.CONSULTING and not duty.undecided()


def test_an_opinion_cannot_be_decided_twice() -> None:
    duty = revising_with_two_opinions()
    first = duty.opinions[0]
    duty.decide(first.id, Decision.ADOPTED, "", OFFICER, at(10, 11))
    error = refused(
        duty, lambda: duty.decide(first.id, Decision.NOT_ADOPTED, "改变主意", OFFICER, at(10, 12))
    )
    assert "已作出处理" in str(error)


@pytest.mark.parametrize("decision", [Decision.NOT_ADOPTED, Decision.PARTLY_ADOPTED])
@pytest.mark.parametrize("reason", ["", "   "])
def test_not_or_partly_adopting_an_opinion_needs_a_reason(decision: Decision, reason: str) -> None:
    duty = revising_with_two_opinions()
    error = refused(duty, lambda: duty.decide(duty.opinions[0].id, decision, reason, OFFICER, at(10, 11)))
    assert "须说明理由" in str(error)


def test_an_unknown_opinion_cannot_be_decided() -> None:
    duty = revising_with_two_opinions()
    refused(duty, lambda: duty.decide("no-such-opinion", Decision.ADOPTED, "", OFFICER, at(10, 11)))


# --- review and deliberation -------------------------------------------------------------------------------


def test_a_lawful_review_goes_to_collective_deliberation() -> None:
    duty = in_state(State.REVIEWING)
    duty.review(Legality.LAWFUL, "", REVIEWER, at(11, 5))
    assert duty.state is State.DELIBERATING
    assert duty.events[-1].reason == "合法"
    assert duty.reviews[-1].outcome is Legality.LAWFUL and duty.reviews[-1].reviewer == REVIEWER


@pytest.mark.parametrize("outcome", [Legality.TO_AMEND, Legality.UNLAWFUL])
def test_a_review_that_is_not_lawful_returns_the_duty_with_the_opinion_attached(outcome: Legality) -> None:
    duty = in_state(State.REVIEWING)
    duty.review(outcome, "第五条设定的资助条件缺乏依据", REVIEWER, at(11, 5))
    assert duty.state is State.RETURNED
    last = duty.events[-1]
    assert (last.from_state, last.to_state, last.actor) == (State.REVIEWING, State.RETURNED, REVIEWER)
    assert "第五条设定的资助条件缺乏依据" in last.reason and outcome.value in last.reason
    assert duty.reviews[-1].opinion == "第五条设定的资助条件缺乏依据"


@pytest.mark.parametrize("outcome", [Legality.TO_AMEND, Legality.UNLAWFUL])
@pytest.mark.parametrize("text", ["", "  \n"])
def test_a_review_that_returns_the_duty_needs_a_written_opinion(outcome: Legality, text: str) -> None:
    duty = in_state(State.REVIEWING)
    error = refused(duty, lambda: duty.review(outcome, text, REVIEWER, at(11, 5)))
    assert "审核意见不能为空" in str(error)


def test_collective_deliberation_may_return_the_duty_for_amendment() -> None:
    duty = in_state(State.DELIBERATING)
    duty.deliberate(False, COORDINATOR, at(11, 20), "资助范围过宽")
    assert duty.state is State.RETURNED
    assert duty.events[-1].reason == "资助范围过宽"


# --- publication ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "深贸工[2007]12号",
        "深贸工〔2007〕012号",
        "深贸工（2007）12号",
        "深贸工〔07〕12号",
        "深贸工〔2007〕第12号",
        "深贸工〔2007〕12",
        "〔2007〕12号",
        "",
    ],
)
def test_a_malformed_document_number_is_refused(number: str) -> None:
    duty = in_state(State.APPROVED)
    error = refused(duty, lambda: duty.publish(number, D(2007, 12, 3), D(2008, 1, 1), OFFICER, LATER))
    assert "文号格式" in str(error)


@pytest.mark.parametrize("number", ["深贸工〔2007〕12号", "深府办〔2007〕129号", "深财〔2007〕1号"])
def test_a_well_formed_document_number_is_accepted(number: str) -> None:
    duty = in_state(State.APPROVED)
    duty.publish(number, D(2007, 12, 3), D(2007, 12, 3), OFFICER, LATER)
    assert duty.publication is not None and duty.publication.number == number
    assert duty.events[-1].reason == number


def test_a_document_cannot_take_effect_before_it_is_published() -> None:
    duty = in_state(State.APPROVED)
    error = refused(
        duty, lambda: duty.publish("深财〔2007〕12号", D(2007, 12, 3), D(2007, 12, 2), OFFICER, LATER)
    )
    assert "施行日期" in str(error)


# --- withdrawal -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [s for s in State if not s.terminal], ids=lambda s: s.name)
def test_a_duty_may_be_withdrawn_from_any_state_that_is_not_terminal(state: State) -> None:
    duty = in_state(state)
    version = duty.stage_version
    duty.withdraw(COORDINATOR, LATER, "领导小组决定不再制定")
    assert duty.state is State.WITHDRAWN
    assert trail(duty)[-1] == ("withdraw", state, State.WITHDRAWN)
    assert duty.events[-1].reason == "领导小组决定不再制定"
    assert duty.stage_version == version + 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_withdrawal_needs_a_reason(reason: str) -> None:
    duty = in_state(State.DRAFTING)
    error = refused(duty, lambda: duty.withdraw(COORDINATOR, LATER, reason))
    assert "撤回须说明理由" in str(error)


@pytest.mark.parametrize("state", [s for s in State if s.terminal], ids=lambda s: s.name)
def test_nothing_happens_to_a_duty_in_a_terminal_state(state: State) -> None:
    duty = in_state(state)
    for action in ACTIONS:
        refused(duty, lambda a=action: _perform(duty, a, LATER))  # type: ignore[misc]


# --- extension ----------------------------------------------------------------------------------------------


def test_an_extension_moves_the_deadline_and_recomputes_the_last_working_day() -> None:
    duty = in_state(State.DRAFTING)
    duty.extend(D(2008, 1, 15), COORDINATOR, "经领导小组同意延期", at(12, 1), CAL)
    assert (duty.deadline, duty.last_working_day) == (D(2008, 1, 15), D(2008, 1, 15))
    extension = duty.extensions[-1]
    assert (extension.old_deadline, extension.new_deadline, extension.approver, extension.reason) == (
        D(2007, 12, 31),
        D(2008, 1, 15),
        COORDINATOR,
        "经领导小组同意延期",
    )
    assert duty.state is State.DRAFTING
    last = duty.events[-1]
    assert (last.action, last.actor, last.from_state, last.to_state) == (
        "extend",
        COORDINATOR,
        State.DRAFTING,
        State.DRAFTING,
    )
    assert "2007-12-31 → 2008-01-15" in last.reason and "经领导小组同意延期" in last.reason


def test_an_extension_to_new_years_day_2008_gains_no_working_day() -> None:
    # 2007-12-30 … 2008-01-01 were holidays, and Saturday 2007-12-29 a make-up working day.
    duty = in_state(State.DRAFTING)
    duty.extend(D(2008, 1, 1), COORDINATOR, "延至元旦", at(12, 1), CAL)
    assert duty.last_working_day == CAL.on_or_before(D(2008, 1, 1)) == D(2007, 12, 29)
    duty.extend(D(2008, 1, 6), COORDINATOR, "再延", at(12, 2), CAL)
    assert duty.last_working_day == CAL.on_or_before(D(2008, 1, 6)) == D(2008, 1, 4)
    assert [e.old_deadline for e in duty.extensions] == [D(2007, 12, 31), D(2008, 1, 1)]


@pytest.mark.parametrize("new", [D(2007, 12, 31), D(2007, 12, 1)])
def test_an_extension_must_be_later_than_the_deadline(new: dt.date) -> None:
    duty = in_state(State.DRAFTING)
    error = refused(duty, lambda: duty.extend(new, COORDINATOR, "理由", at(12, 1), CAL))
    assert "晚于原期限" in str(error)


def test_an_extension_needs_a_reason() -> None:
    duty = in_state(State.DRAFTING)
    error = refused(duty, lambda: duty.extend(D(2008, 3, 31), COORDINATOR, " ", at(12, 1), CAL))
    assert "延期须说明理由" in str(error)


# --- reassignment -------------------------------------------------------------------------------------------


def test_reassigning_gives_the_duty_to_a_new_lead_which_leaves_the_consultees() -> None:
    duty = in_state(State.DRAFTING)
    duty.reassign("maogong", "zhou.qi", COORDINATOR, at(10, 1), "职能调整")
    assert (duty.spec.lead, duty.spec.officer, duty.spec.consultees) == ("maogong", "zhou.qi", ("renshi",))
    assert duty.state is State.DRAFTING
    last = duty.events[-1]
    assert (last.action, last.actor, last.from_state, last.to_state) == (
        "reassign",
        COORDINATOR,
        State.DRAFTING,
        State.DRAFTING,
    )
    assert last.reason == "caizheng → maogong：职能调整"
    assert duty.id == "sfb2007-129-02-02-1-caizheng"  # the id is stable


def test_reassigning_to_a_department_not_consulted_keeps_the_consultees() -> None:
    duty = in_state(State.REVIEWING)
    duty.reassign("keji", "wang.wu", COORDINATOR, LATER, "职能调整")
    assert duty.spec.lead == "keji" and duty.spec.consultees == ("maogong", "renshi")
    assert duty.state is State.REVIEWING


def test_reassigning_mid_round_keeps_the_new_leads_reply_if_it_already_answered() -> None:
    duty = consulting()
    duty.reply("maogong", CONSULTEE, at(10, 8), (opinion(),))
    duty.reassign("maogong", "zhou.qi", COORDINATOR, at(10, 9), "职能调整")
    assert [(r.consultee, r.reply) for r in duty.requests] == [
        ("maogong", ReplyKind.OPINIONS),
        ("renshi", None),
    ]
    assert len(duty.opinions) == 1


def test_reassigning_mid_round_drops_only_the_new_leads_pending_request() -> None:
    duty = consulting()
    duty.reassign("maogong", "zhou.qi", COORDINATOR, at(10, 8), "职能调整")
    assert [(r.round, r.consultee) for r in duty.requests] == [(1, "renshi")]
    refused(duty, lambda: duty.reply("maogong", CONSULTEE, at(10, 9), ()))
    refused(duty, lambda: duty.close_consultation(OFFICER, at(10, 9)))


def test_reassigning_to_the_same_lead_is_refused() -> None:
    duty = in_state(State.DRAFTING)
    error = refused(duty, lambda: duty.reassign("caizheng", "li.si", COORDINATOR, LATER, "无"))
    assert "相同" in str(error)


def test_a_department_that_becomes_lead_mid_round_no_longer_holds_the_round_open() -> None:
    duty = consulting()
    duty.reply("renshi", CONSULTEE, at(10, 8), ())
    duty.reassign("maogong", "zhou.qi", COORDINATOR, at(10, 8, 11), "职能调整")
    duty.close_consultation(OFFICER, at(10, 9))
    assert duty.state is State.REVISING


# --- ingest and catalogue amendments --------------------------------------------------------------------------


def test_the_ingest_is_recorded_before_the_duty_starts_and_keeps_its_state() -> None:
    duty = new_duty()
    duty.ingested("system", at(9, 12))
    assert duty.state is State.NOT_STARTED
    assert trail(duty) == [("ingest", State.NOT_STARTED, State.NOT_STARTED)]
    assert duty.events[0].reason == NOTICE and duty.stage_version == 0
    duty.start(OFFICER, at(9, 24))
    refused(duty, lambda: duty.ingested("system", at(9, 25)))


def test_an_amendment_takes_the_catalogues_edits_and_names_them() -> None:
    duty = in_state(State.DRAFTING)
    edited = replace(
        spec(), title="深圳市服务外包人才培训资助暂行办法", consultees=("maogong",), officer="x@y"
    )
    assert duty.amend(edited, "admin", at(10, 1), CAL) == ["title", "consultees", "officer"]
    assert duty.spec == edited and duty.state is State.DRAFTING
    assert trail(duty)[-1] == ("amend", State.DRAFTING, State.DRAFTING)
    assert duty.events[-1].reason == "任务清单变更：title、consultees、officer"


def test_an_amendment_that_changes_nothing_records_nothing() -> None:
    duty = in_state(State.DRAFTING)
    before = copy.deepcopy(duty)
    assert duty.amend(spec(), "admin", at(10, 1), CAL) == []
    assert duty == before


def test_an_amended_deadline_recomputes_the_last_working_day() -> None:
    duty = in_state(State.DRAFTING)
    assert duty.amend(spec(deadline=D(2007, 10, 31)), "admin", at(10, 1), CAL) == ["deadline"]
    assert (duty.deadline, duty.last_working_day) == (D(2007, 10, 31), D(2007, 10, 31))


def test_an_amendment_does_not_undo_a_granted_extension() -> None:
    duty = in_state(State.DRAFTING)
    duty.extend(D(2008, 3, 31), COORDINATOR, "经领导小组同意延期", at(10, 1), CAL)
    duty.amend(spec(deadline=D(2008, 1, 31)), "admin", at(10, 2), CAL)
    assert (duty.deadline, duty.last_working_day) == (D(2008, 3, 31), D(2008, 3, 31))


def test_an_approved_draft_regulation_cannot_be_amended_into_a_normative_document() -> None:
    duty = in_state(State.APPROVED, Track.LEGISLATIVE)
    error = refused(duty, lambda: duty.amend(replace(duty.spec, track=Track.NORMATIVE), "admin", LATER, CAL))
    assert "track" in str(error)


def test_a_track_change_is_taken_before_approval() -> None:
    duty = in_state(State.DELIBERATING, Track.LEGISLATIVE)
    assert duty.amend(replace(duty.spec, track=Track.NORMATIVE), "admin", LATER, CAL) == ["track"]
    assert duty.spec.track is Track.NORMATIVE


def test_an_amendment_keeps_the_lead() -> None:
    duty = in_state(State.DRAFTING)
    duty.amend(spec(lead="keji", title="另一个标题"), "admin", at(10, 1), CAL)
    assert duty.spec.lead == "caizheng"


def test_an_amendment_never_makes_the_lead_one_of_its_own_consultees() -> None:
    duty = in_state(State.DRAFTING)
    duty.reassign("maogong", "zhou.qi", COORDINATOR, at(10, 1), "职能调整")
    duty.amend(spec(title="深圳市服务外包人才培训资助暂行办法"), "admin", at(10, 2), CAL)
    assert duty.spec.lead not in duty.spec.consultees


def test_a_published_document_cannot_be_amended_into_a_draft_regulation() -> None:
    duty = in_state(State.PUBLISHED)
    with pytest.raises(IllegalTransition):
        duty.amend(spec(Track.LEGISLATIVE), "admin", LATER, CAL)
    assert duty.spec.track is Track.NORMATIVE


# --- the audit trail ----------------------------------------------------------------------------------------


def test_every_change_appends_exactly_one_event_with_who_when_and_the_states() -> None:
    duty = new_duty()
    steps: list[tuple[str, dt.datetime, Callable[[str, dt.datetime], None]]] = [
        ("li.si", at(9, 24), lambda who, now: duty.start(who, now)),
        ("li.si", at(9, 26), lambda who, now: duty.upload(who, now, "doc-1")),
        ("li.si", at(9, 28), lambda who, now: duty.open_consultation(who, now, CAL, 7)),
        ("mg.zhao", at(10, 8), lambda who, now: duty.reply("maogong", who, now, (opinion(),))),
        ("system", at(10, 13), lambda who, now: duty.close_consultation(who, now)),
        (
            "li.si",
            at(10, 15),
            lambda who, now: duty.decide(duty.opinions[0].id, Decision.ADOPTED, "", who, now),
        ),
        ("ldxz.chen", at(10, 16), lambda who, now: duty.extend(D(2008, 1, 31), who, "延期", now, CAL)),
        ("ldxz.chen", at(10, 16, 11), lambda who, now: duty.reassign("keji", "wang.wu", who, now, "调整")),
        ("wang.wu", at(10, 17), lambda who, now: duty.submit(who, now)),
        ("fzb.wang", at(11, 5), lambda who, now: duty.review(Legality.UNLAWFUL, "缺乏依据", who, now)),
        ("ldxz.chen", at(11, 6), lambda who, now: duty.withdraw(who, now, "不再制定")),
    ]
    for n, (who, now, step) in enumerate(steps, 1):
        before = duty.state
        step(who, now)
        assert len(duty.events) == n
        last = duty.events[-1]
        assert (last.seq, last.actor, last.at, last.from_state, last.to_state) == (
            n,
            who,
            now,
            before,
            duty.state,
        )
    assert [e.seq for e in duty.events] == list(range(1, len(steps) + 1))
    assert duty.stage_version == sum(e.from_state != e.to_state for e in duty.events) == 6


# --- milestones and risk ------------------------------------------------------------------------------------


def test_milestones_are_back_scheduled_in_working_days_from_the_last_working_day() -> None:
    duty = in_state(State.DRAFTING)
    got = duty.milestones(CAL, PLAN)
    assert got == back_schedule(D(2007, 12, 29), CAL, PLAN) == milestones(D(2007, 12, 29), CAL, PLAN, {})
    assert got == {
        Stage.DRAFTING: D(2007, 11, 19),
        Stage.CONSULTATION: D(2007, 11, 28),
        Stage.REVISION: D(2007, 12, 5),
        Stage.REVIEW: D(2007, 12, 26),
        Stage.DELIBERATION: D(2007, 12, 29),
        Stage.PUBLISH: D(2007, 12, 29),
    }
    assert all(CAL.is_workday(day) for day in got.values())


def test_a_stage_that_ends_late_pushes_the_later_milestones_forward() -> None:
    duty = in_state(State.DRAFTING)
    duty.open_consultation(OFFICER, at(12, 3), CAL, 7)  # drafting was due by 2007-11-19
    got = duty.milestones(CAL, PLAN)
    assert duty.stage_ends() == {Stage.DRAFTING: D(2007, 12, 3)}
    assert got == milestones(D(2007, 12, 29), CAL, PLAN, {Stage.DRAFTING: D(2007, 12, 3)})
    assert got == {
        Stage.DRAFTING: D(2007, 11, 19),
        Stage.CONSULTATION: D(2007, 12, 12),
        Stage.REVISION: D(2007, 12, 19),
        Stage.REVIEW: D(2008, 1, 10),  # across Saturday 12-29 (worked) and New Year's Day (off)
        Stage.DELIBERATION: D(2008, 1, 15),
        Stage.PUBLISH: D(2008, 1, 15),
    }


def test_a_stage_that_ends_early_does_not_pull_milestones_earlier() -> None:
    duty = in_state(State.DRAFTING)
    duty.open_consultation(OFFICER, at(9, 28), CAL, 7)
    assert duty.milestones(CAL, PLAN) == back_schedule(D(2007, 12, 29), CAL, PLAN)


def test_milestones_follow_an_extension() -> None:
    duty = in_state(State.DRAFTING)
    duty.extend(D(2008, 1, 31), COORDINATOR, "延期", at(12, 1), CAL)
    assert duty.milestones(CAL, PLAN) == back_schedule(D(2008, 1, 31), CAL, PLAN)


def test_a_duty_without_a_deadline_has_no_milestones_and_is_never_at_risk() -> None:
    duty = new_duty(deadline=None, last_working_day=None)
    assert duty.milestones(CAL, PLAN) == {}
    assert not duty.at_risk(D(2007, 12, 28), CAL, PLAN)
    assert not duty.overdue(D(2008, 6, 1))


def test_a_duty_is_not_at_risk_early_on() -> None:
    duty = in_state(State.DRAFTING)
    assert not duty.at_risk(D(2007, 9, 28), CAL, PLAN)


def test_a_duty_is_at_risk_once_the_working_days_left_are_fewer_than_its_remaining_stages_need() -> None:
    # Drafting still to do: 1 + 7 + 1 + 5 + 1 + 0 = 15 working days at the least.
    duty = in_state(State.DRAFTING)
    assert CAL.count_workdays(D(2007, 12, 11), D(2007, 12, 29)) == 15
    assert not duty.at_risk(D(2007, 12, 10), CAL, PLAN)
    assert duty.at_risk(D(2007, 12, 11), CAL, PLAN)


def test_a_duty_in_review_needs_only_the_review_deliberation_and_publication_minimum() -> None:
    # Review left: 5 + 1 + 0 = 6; after Friday 12-21 come 24, 25, 26, 27, 28 and Saturday 29: six days.
    duty = in_state(State.REVIEWING)
    assert not duty.at_risk(D(2007, 12, 21), CAL, PLAN)
    assert not duty.at_risk(D(2007, 12, 23), CAL, PLAN)
    assert duty.at_risk(D(2007, 12, 24), CAL, PLAN)


@pytest.mark.parametrize("state", [s for s in State if s.terminal], ids=lambda s: s.name)
def test_a_finished_duty_is_neither_at_risk_nor_overdue(state: State) -> None:
    duty = in_state(state)
    assert not duty.at_risk(D(2007, 12, 28), CAL, PLAN)
    assert not duty.overdue(D(2008, 6, 1))


def test_a_duty_is_overdue_after_the_last_working_day_unless_published() -> None:
    assert not in_state(State.APPROVED).overdue(D(2007, 12, 29))
    assert in_state(State.APPROVED).overdue(D(2007, 12, 30))
    assert not in_state(State.PUBLISHED).overdue(D(2007, 12, 30))


def test_a_late_deliberation_ending_on_a_day_off_puts_publication_on_a_working_day() -> None:
    duty = in_state(State.DELIBERATING)
    duty.deliberate(True, COORDINATOR, dt.datetime(2008, 1, 6, 10, tzinfo=SHANGHAI))  # a Sunday
    due = duty.milestones(CAL, PLAN)[Stage.PUBLISH]
    assert CAL.is_workday(due)


def test_after_a_return_from_deliberation_a_late_resubmission_pushes_the_review_milestone() -> None:
    duty = in_state(State.DELIBERATING)  # review ended 2007-11-05
    duty.deliberate(False, COORDINATOR, at(12, 18), "资助范围过宽")
    duty.submit(OFFICER, at(12, 20))  # revision ends 2007-12-20, long after its milestone
    due = duty.milestones(CAL, PLAN)
    assert due[Stage.REVIEW] >= CAL.add_workdays(D(2007, 12, 20), PLAN.review)


def test_a_second_consultation_round_after_a_return_pushes_the_later_milestones() -> None:
    duty = in_state(State.RETURNED)  # round one closed 2007-10-15
    duty.open_consultation(OFFICER, at(12, 11), CAL, 7)
    due = duty.milestones(CAL, PLAN)
    assert due[Stage.CONSULTATION] >= CAL.add_workdays(D(2007, 12, 11), PLAN.window) == D(2007, 12, 20)
    assert due[Stage.REVISION] >= CAL.add_workdays(D(2007, 12, 20), PLAN.revision)


# --- time -------------------------------------------------------------------------------------------------


NAIVE = dt.datetime(2007, 12, 20, 10)


@pytest.mark.parametrize(("state", "action"), LEGAL)
def test_a_naive_time_is_refused_and_changes_nothing(state: State, action: str) -> None:
    track = Track.LEGISLATIVE if action == "forward" or state is State.FORWARDED else Track.NORMATIVE
    duty = in_state(state, track)
    if action == "submit":
        _decide_all(duty, LATER)
    before = copy.deepcopy(duty)
    with pytest.raises(ValueError, match="timezone-aware"):
        _perform(duty, action, NAIVE)
    assert duty == before


def test_a_utc_time_is_read_on_the_shanghai_calendar() -> None:
    duty = in_state(State.DRAFTING)
    duty.open_consultation(OFFICER, dt.datetime(2007, 9, 28, 17, tzinfo=dt.UTC), CAL, 7)
    assert {(r.sent_on, r.due) for r in duty.requests} == {
        (D(2007, 9, 29), CAL.add_workdays(D(2007, 9, 29), 7))
    }


def test_returns_and_reassignments_need_a_reason_and_filing_cannot_precede_publication() -> None:
    deliberating = in_state(State.DELIBERATING)
    with pytest.raises(IllegalTransition, match="理由"):
        deliberating.deliberate(False, "coordinator", LATER, "")
    drafting = in_state(State.DRAFTING)
    with pytest.raises(IllegalTransition, match="理由"):
        drafting.reassign("renshi", "", "coordinator", LATER, " ")
    published = in_state(State.PUBLISHED)
    assert published.publication is not None
    with pytest.raises(IllegalTransition, match="备案日期"):
        published.file(published.publication.published_on - dt.timedelta(days=1), "officer", LATER)
