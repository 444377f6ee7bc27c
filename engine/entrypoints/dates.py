"""The dates a person types, read alike by every entrypoint: ISO days within the years Banfa accepts."""

from __future__ import annotations

import datetime as dt

from engine.errors import InvalidInput

FIRST_YEAR, LAST_YEAR = 2000, 2099  # the years a moment or a date typed by a person may name


def typed_day(value: str, what: str = "日期") -> dt.date:
    """The day `value` names (YYYY-MM-DD); InvalidInput, in Chinese, for anything else or a year out of range."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what}格式应为 YYYY-MM-DD：{value}") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(f"{what}须在 {FIRST_YEAR}—{LAST_YEAR} 年之间：{value}")
    return day
