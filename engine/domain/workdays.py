"""Count working days in mainland China: statutory holidays and 调休 make-up working days.

The official arrangement comes from chinesecalendar, which knows 2004–2026. An administrator adds or corrects
a year with `rules/calendar/<year>.toml`; the adapter parses it and passes `YearArrangement`s in. For a year
neither source knows, the calendar falls back to weekends-only: `coverage(year)` says so, and callers warn.

Conventions (domain.md §4): "N个工作日内" does not count the start day; a period in calendar days that ends on a
day off moves to the next working day; a fixed date stays fixed, and its last working day is on or before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import chinese_calendar

from engine.errors import CalendarError

ONE_DAY = dt.timedelta(days=1)


class Coverage(StrEnum):
    """Where a year's working days come from."""

    OFFICIAL = "official"  # chinesecalendar
    OVERRIDE = "override"  # rules/calendar/<year>.toml
    FALLBACK = "fallback"  # weekends only: a guess, to be warned about


@dataclass(frozen=True)
class YearArrangement:
    """One year's official arrangement: its holidays and its make-up working days."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    @classmethod
    def from_data(cls, source: str, data: Mapping[str, Any]) -> YearArrangement:
        """Build from a parsed calendar file: `year`, `[[holiday]]` with `start`/`end`, and `workdays`."""
        try:
            year = int(data["year"])
            holidays = frozenset(_expand_holidays(data.get("holiday", [])))
            workdays = frozenset(_as_date(d) for d in data.get("workdays", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise CalendarError(source, f"字段缺失或格式错误：{exc}") from exc
        strays = sorted(d for d in holidays | workdays if d.year != year)
        if strays:
            raise CalendarError(source, f"日期不属于 {year} 年：{strays[0].isoformat()}")
        clash = holidays & workdays
        if clash:
            raise CalendarError(source, f"同一天既是假日又是工作日：{min(clash).isoformat()}")
        return cls(year=year, holidays=holidays, workdays=workdays)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(f"应为日期而非时刻：{value}")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _expand_holidays(entries: Iterable[Mapping[str, Any]]) -> Iterable[dt.date]:
    for entry in entries:
        day, end = _as_date(entry["start"]), _as_date(entry.get("end", entry["start"]))
        if end < day:
            raise ValueError(f"假期结束早于开始：{entry}")
        while day <= end:
            yield day
            day += ONE_DAY


class WorkCalendar:
    """Answer working-day questions, preferring an administrator's override over chinesecalendar."""

    def __init__(self, overrides: Iterable[YearArrangement] = ()) -> None:
        self._overrides = {arrangement.year: arrangement for arrangement in overrides}
        self._known: dict[
            dt.date, bool
        ] = {}  # chinesecalendar checks its range on every call: remember answers
        self._added: dict[tuple[dt.date, int], dt.date] = {}
        self._running: dict[int, list[int]] = {}  # per year: working days up to each day of the year

    def coverage(self, year: int) -> Coverage:
        if year in self._overrides:
            return Coverage.OVERRIDE
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            return Coverage.FALLBACK
        return Coverage.OFFICIAL

    def is_workday(self, day: dt.date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: dt.date) -> bool:
        arrangement = self._overrides.get(day.year)
        if arrangement is not None:
            if day in arrangement.workdays:
                return True
            return day not in arrangement.holidays and day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def on_or_before(self, day: dt.date) -> dt.date:
        """Return the last working day on or before `day`."""
        while not self.is_workday(day):
            day -= ONE_DAY
        return day

    def on_or_after(self, day: dt.date) -> dt.date:
        """Return the first working day on or after `day`."""
        while not self.is_workday(day):
            day += ONE_DAY
        return day

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """Return the day N working days after `start` (or before, for negative N), not counting `start`.

        Answers are remembered: planning reminders asks the same few questions for every duty of a notice.
        """
        known = self._added.get((start, n))
        if known is not None:
            return known
        step = ONE_DAY if n >= 0 else -ONE_DAY
        day, left = start, abs(n)
        while left:
            day += step
            if self.is_workday(day):
                left -= 1
        self._added[(start, n)] = day
        return day

    def add_days(self, start: dt.date, n: int) -> dt.date:
        """Return the end of a period of N calendar days, moved to the next working day if it ends on a day off."""
        return self.on_or_after(start + dt.timedelta(days=n))

    def count_workdays(self, first: dt.date, last: dt.date) -> int:
        """Count the working days from `first` to `last`, both included; 0 when `last` is before `first`.

        From running counts per year, made once a year is first asked about: lists of tasks and boards ask
        this for hundreds of duties at a time, and a day-by-day count was most of their cost.
        """
        if last < first:
            return 0
        before = self._running_count(first.year)[first.timetuple().tm_yday - 1]
        if first.year == last.year:
            return self._running_count(last.year)[last.timetuple().tm_yday] - before
        count = self._running_count(first.year)[-1] - before
        count += sum(self._running_count(year)[-1] for year in range(first.year + 1, last.year))
        return count + self._running_count(last.year)[last.timetuple().tm_yday]

    def _running_count(self, year: int) -> list[int]:
        """[0, working days of 1 January, … of 1–2 January, …, of the whole year]."""
        counts = self._running.get(year)
        if counts is None:
            counts, day, total = [0], dt.date(year, 1, 1), 0
            while day.year == year:
                total += self.is_workday(day)
                counts.append(total)
                day += ONE_DAY
            self._running[year] = counts
        return counts

    def fallback_years(self, first: dt.date, last: dt.date) -> list[int]:
        """List the years between two dates that this calendar can only guess (weekends-only)."""
        lo, hi = sorted((first.year, last.year))
        return [y for y in range(lo, hi + 1) if self.coverage(y) is Coverage.FALLBACK]
