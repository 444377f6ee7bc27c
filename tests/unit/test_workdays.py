"""The working-day facts of domain.md §4."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.workdays import Coverage, WorkCalendar, YearArrangement
from engine.errors import CalendarError

D = dt.date
CAL = WorkCalendar()


def test_new_year_eve_2007_was_a_day_off_and_saturday_the_29th_a_working_day() -> None:
    assert not CAL.is_workday(D(2007, 12, 31))
    assert CAL.is_workday(D(2007, 12, 29))
    assert CAL.on_or_before(D(2007, 12, 31)) == D(2007, 12, 29)


def test_national_day_week_2007_and_its_make_up_days() -> None:
    assert all(not CAL.is_workday(D(2007, 10, d)) for d in range(1, 8))
    assert CAL.is_workday(D(2007, 9, 29)) and CAL.is_workday(D(2007, 9, 30))


def test_ten_working_days_after_friday_28_september_2007_is_17_october() -> None:
    assert CAL.add_workdays(D(2007, 9, 28), 10) == D(2007, 10, 17)


def test_negative_working_days_count_backwards() -> None:
    assert CAL.add_workdays(D(2007, 10, 17), -10) == D(2007, 9, 28)


def test_the_seed_window_is_89_working_days_from_writing_and_77_from_publication() -> None:
    assert CAL.count_workdays(D(2007, 8, 24), D(2007, 12, 29)) == 89
    assert CAL.count_workdays(D(2007, 9, 11), D(2007, 12, 29)) == 77


def test_a_calendar_period_ending_on_a_day_off_moves_to_the_next_working_day() -> None:
    assert CAL.add_days(D(2007, 9, 24), 7) == D(2007, 10, 8)
    assert CAL.add_days(D(2007, 9, 3), 7) == D(2007, 9, 10)


def test_years_chinesecalendar_knows_are_official_and_later_ones_fall_back_to_weekends() -> None:
    assert CAL.coverage(2007) is Coverage.OFFICIAL
    assert CAL.coverage(2031) is Coverage.FALLBACK
    assert CAL.is_workday(D(2031, 1, 1))  # a Wednesday: unknown holiday, so a guess
    assert not CAL.is_workday(D(2031, 1, 4))  # Saturday
    assert CAL.fallback_years(D(2030, 6, 1), D(2031, 2, 1)) == [2030, 2031]


def test_an_administrators_arrangement_overrides_the_fallback() -> None:
    data = {
        "year": 2031,
        "holiday": [{"name": "元旦", "start": D(2031, 1, 1), "end": D(2031, 1, 1)}],
        "workdays": [D(2031, 1, 4)],
    }
    cal = WorkCalendar([YearArrangement.from_data("2031.toml", data)])
    assert cal.coverage(2031) is Coverage.OVERRIDE
    assert not cal.is_workday(D(2031, 1, 1))
    assert cal.is_workday(D(2031, 1, 4))
    assert cal.fallback_years(D(2031, 1, 1), D(2031, 12, 31)) == []


@pytest.mark.parametrize(
    "data",
    [
        {"holiday": []},
        {"year": 2031, "holiday": [{"start": "not a date"}]},
        {"year": 2031, "workdays": [D(2030, 12, 31)]},
        {"year": 2031, "holiday": [{"start": D(2031, 1, 2), "end": D(2031, 1, 1)}]},
        {"year": 2031, "holiday": [{"start": D(2031, 1, 4)}], "workdays": [D(2031, 1, 4)]},
    ],
)
def test_a_malformed_arrangement_is_refused_with_a_clear_error(data: dict[str, object]) -> None:
    with pytest.raises(CalendarError, match=r"2031\.toml"):
        YearArrangement.from_data("2031.toml", data)


@given(
    first=st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2030, 12, 31)),
    span=st.integers(min_value=-40, max_value=1200),
)
@settings(max_examples=200, deadline=None)
def test_counting_working_days_agrees_with_asking_day_by_day(first: dt.date, span: int) -> None:
    # The count comes from running counts per year; the question it answers is the plain one.
    last = first + dt.timedelta(days=span)
    plain = sum(CAL.is_workday(first + dt.timedelta(days=n)) for n in range(span + 1))
    assert CAL.count_workdays(first, last) == plain
