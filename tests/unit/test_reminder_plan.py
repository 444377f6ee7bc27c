"""The reminder planner: which reminders a duty should have, and when, from its state and milestones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.adapters.rules import load_reminder_policy
from engine.domain.reminders.planner import (
    Kind,
    Reminder,
    days_late,
    digest_week,
    plan_duty,
    working_days_left,
)
from engine.domain.reminders.policy import ReminderPolicy
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.milestones import Plan, Stage
from engine.domain.workflow.model import Duty, State
from engine.errors import PolicyError
from tests.support.paths import RULES
from tests.unit.test_model import spec

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY, PLAN = ReminderPolicy(), Plan()


def at(day: D, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def started(calendar: WorkCalendar) -> Duty:
    duty = Duty.from_spec(spec(), "sfb2007-129")
    duty.start("li", at(D(2007, 9, 11)))
    return duty


def by_kind(reminders: list[Reminder]) -> dict[Kind, list[Reminder]]:
    found: dict[Kind, list[Reminder]] = {}
    for r in reminders:
        found.setdefault(r.kind, []).append(r)
    return found


def test_the_repository_policy_file_holds_the_defaults_of_the_domain() -> None:
    assert load_reminder_policy(RULES) == ReminderPolicy()


def test_an_unstarted_or_finished_duty_has_no_reminders(calendar: WorkCalendar) -> None:
    duty = Duty.from_spec(spec(), "sfb2007-129")
    assert plan_duty(duty, D(2007, 9, 11), calendar, PLAN, POLICY) == []
    duty = started(calendar)
    duty.withdraw("office", at(D(2007, 9, 12)), "任务取消")
    assert plan_duty(duty, D(2007, 9, 12), calendar, PLAN, POLICY) == []


def test_the_officer_is_reminded_10_5_3_and_1_working_days_before_each_milestone(
    calendar: WorkCalendar,
) -> None:
    duty = started(calendar)
    planned = plan_duty(duty, D(2007, 9, 11), calendar, PLAN, POLICY)
    milestones = duty.milestones(calendar, PLAN)
    assert {r.to for r in planned} == {"caizheng:officer"}
    for stage, day in milestones.items():
        series = sorted((r.send_on for r in planned if r.about == stage.name.lower()), reverse=True)
        assert series == [calendar.add_workdays(day, -n) for n in (1, 3, 5, 10)]
        assert all(calendar.is_workday(s) for s in series)
    # The deadline (Monday 12-31, a day off) falls in effect on 12-29, the publish milestone: no series of its own.
    assert milestones[Stage.PUBLISH] == D(2007, 12, 29)
    assert not [r for r in planned if r.about == "deadline"]
    assert {r.kind for r in planned if r.about == "revision"} == {Kind.BEFORE_REVIEW}
    assert len({r.key for r in planned}) == len(planned)


def test_a_publish_milestone_pushed_past_the_deadline_leaves_the_deadline_a_series_of_its_own(
    calendar: WorkCalendar,
) -> None:
    duty = started(calendar)
    duty.open_consultation("li", at(D(2007, 12, 20)), calendar, 7)  # drafting ended very late
    planned = plan_duty(duty, D(2007, 12, 20), calendar, PLAN, POLICY)
    deadline = sorted(r.send_on for r in planned if r.about == "deadline")
    assert deadline == sorted(calendar.add_workdays(D(2007, 12, 31), -n) for n in (10, 5, 3, 1))
    assert duty.milestones(calendar, PLAN)[Stage.PUBLISH] > D(2007, 12, 29)
    assert not [r for r in planned if r.about == "drafting"]  # a passed milestone is not reminded


def test_each_open_request_is_reminded_two_working_days_before_its_reply_is_due_and_on_the_day(
    calendar: WorkCalendar,
) -> None:
    duty = started(calendar)
    duty.open_consultation("li", at(D(2007, 9, 20)), calendar, 7)
    duty.reply("maogong", "wang", at(D(2007, 9, 21)), ())
    replies = by_kind(plan_duty(duty, D(2007, 9, 21), calendar, PLAN, POLICY))[Kind.REPLY_DUE]
    assert {r.to for r in replies} == {"renshi:liaison"}  # 市贸工局 has answered
    assert sorted(r.send_on for r in replies) == [D(2007, 9, 27), D(2007, 9, 29)]  # 9-29: a 调休 Saturday
    assert {r.due for r in replies} == {D(2007, 9, 29)}


def test_an_overdue_duty_reminds_every_working_day_and_copies_the_leader_from_the_fifth(
    calendar: WorkCalendar,
) -> None:
    duty = started(calendar)
    overdue = by_kind(plan_duty(duty, D(2008, 1, 9), calendar, PLAN, POLICY))[Kind.OVERDUE]
    days = [r.send_on for r in overdue]
    assert days[:6] == [
        D(2008, 1, 2),
        D(2008, 1, 3),
        D(2008, 1, 4),
        D(2008, 1, 7),
        D(2008, 1, 8),
        D(2008, 1, 9),
    ]
    assert days[-1] == calendar.add_workdays(D(2008, 1, 9), POLICY.overdue_horizon)
    assert [r.cc for r in overdue[:6]] == ["", "", "", "", "caizheng:leader", "caizheng:leader"]
    assert all(r.due == D(2007, 12, 31) for r in overdue)
    assert not by_kind(plan_duty(duty, D(2007, 12, 29), calendar, PLAN, POLICY)).get(Kind.OVERDUE)


def test_after_publication_only_the_filing_is_reminded_thirty_calendar_days_on(
    calendar: WorkCalendar,
) -> None:
    duty = started(calendar)
    duty.state = State.APPROVED  # skip the stages between: only the publication matters here
    duty.publish("深财〔2007〕1号", D(2007, 9, 1), D(2007, 10, 1), "li", at(D(2007, 9, 1)))
    planned = plan_duty(duty, D(2007, 9, 1), calendar, PLAN, POLICY)
    assert {r.kind for r in planned} == {Kind.FILING}
    assert {r.due for r in planned} == {D(2007, 10, 8)}  # 10-01 is a holiday: the next working day
    duty.file(D(2007, 9, 20), "li", at(D(2007, 9, 20)))
    assert plan_duty(duty, D(2007, 9, 20), calendar, PLAN, POLICY) == []


def test_the_digest_goes_on_the_first_working_day_of_a_week_that_has_one(calendar: WorkCalendar) -> None:
    assert digest_week(D(2007, 9, 27), calendar) == D(2007, 9, 24)
    assert digest_week(D(2007, 10, 3), calendar) is None  # the National Day week
    assert digest_week(D(2008, 1, 3), calendar) == D(2008, 1, 2)  # New Year's Day on Tuesday


def test_lateness_and_days_left_are_counted_in_working_days(calendar: WorkCalendar) -> None:
    assert days_late(D(2007, 9, 28), D(2007, 10, 8), calendar) == 3  # 9-29 and 9-30 (调休), then 10-8
    assert working_days_left(D(2007, 9, 27), D(2007, 10, 8), calendar) == 4  # 9-28, 9-29, 9-30, 10-8
    assert working_days_left(D(2008, 1, 3), D(2007, 12, 29), calendar) == -2


@pytest.mark.parametrize(
    "data",
    [
        {"milestones": {"before": [-1]}},
        {"sending": {"retry_seconds": []}},
        {"overdue": {"escalate_from": 0}},
        {"sending": {"at": "nine"}},
    ],
)
def test_a_malformed_policy_is_refused_with_its_file_named(data: dict[str, object]) -> None:
    with pytest.raises(PolicyError, match=r"reminders\.toml"):
        ReminderPolicy.from_data("rules/reminders.toml", data)
