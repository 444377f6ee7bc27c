"""Deadlines in their many written forms, resolved against the notice's 成文 date."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.domain.intake.deadlines import find_deadline
from engine.domain.workdays import WorkCalendar

D = dt.date
CAL = WorkCalendar()
WRITTEN = D(2007, 8, 24)


def deadline(text: str, written: dt.date = WRITTEN) -> tuple[dt.date, dt.date, str | None] | None:
    found = find_deadline(text, written=written, calendar=CAL)
    return (found.date, found.last_working_day, found.recurring) if found else None


@pytest.mark.parametrize(
    ("text", "date", "last"),
    [
        ("请各部门在今年年内完成", D(2007, 12, 31), D(2007, 12, 29)),
        ("年底前出台", D(2007, 12, 31), D(2007, 12, 29)),
        ("本年度内完成", D(2007, 12, 31), D(2007, 12, 29)),
        ("2019年2月底前完成", D(2019, 2, 28), D(2019, 2, 28)),
        ("2020年2月底前完成", D(2020, 2, 29), D(2020, 2, 28)),
        ("于2020年6月30日前印发", D(2020, 6, 30), D(2020, 6, 30)),
        ("2008年3月前完成", D(2008, 2, 29), D(2008, 2, 29)),
        ("10月31日前报市政府", D(2007, 10, 31), D(2007, 10, 31)),
        ("今年10月底前完成", D(2007, 10, 31), D(2007, 10, 31)),
        ("3月31日前完成", D(2008, 3, 31), D(2008, 3, 31)),
        ("明年6月底前出台", D(2008, 6, 30), D(2008, 6, 30)),
        ("2008年上半年完成", D(2008, 6, 30), D(2008, 6, 30)),
        ("2008年第一季度完成", D(2008, 3, 31), D(2008, 3, 31)),
        ("2008年底前完成", D(2008, 12, 31), D(2008, 12, 31)),
        ("二〇〇八年底前完成".replace("二〇〇八", "2008"), D(2008, 12, 31), D(2008, 12, 31)),
    ],
)
def test_fixed_dates_stay_fixed_and_their_last_working_day_is_on_or_before(
    text: str, date: dt.date, last: dt.date
) -> None:
    assert deadline(text) == (date, last, None)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("三个月内出台", D(2007, 11, 26)),  # 2007-11-24 is a Saturday
        ("6个月内完成", D(2008, 2, 25)),  # 2008-02-24 is a Sunday
        ("10个工作日内", D(2007, 9, 7)),
        ("30日内", D(2007, 9, 24)),  # 2007-09-23 is a Sunday
        ("半年内", D(2008, 2, 25)),
        ("两年内完成", D(2009, 8, 24)),
    ],
)
def test_relative_periods_count_from_the_written_date_and_end_on_a_working_day(
    text: str, date: dt.date
) -> None:
    assert deadline(text) == (date, date, None)


def test_recurring_deadlines_give_their_first_occurrence_and_keep_the_text() -> None:
    assert deadline("每年2月底前报送上年度执行情况") == (D(2008, 2, 29), D(2008, 2, 29), "每年2月底前")
    assert deadline("每年10月1日前") == (D(2007, 10, 1), D(2007, 9, 30), "每年10月1日前")


@pytest.mark.parametrize(
    "text",
    [
        "深圳市于2006年10月被评选为首批基地城市",
        "在5年内继续按原用途使用土地",
        "自2008年1月1日起施行",
        "2月30日前完成",
        "开展服务外包发展战略研究",
        "五年内继续享受优惠",
    ],
)
def test_dates_that_are_not_deadlines_are_not_read_as_deadlines(text: str) -> None:
    assert deadline(text) is None


def test_the_first_deadline_in_the_text_wins() -> None:
    assert deadline("2008年3月底前出台办法，年底前完成评估") == (D(2008, 3, 31), D(2008, 3, 31), None)
