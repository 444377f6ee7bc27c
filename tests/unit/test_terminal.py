"""The clock of the command line: --now without an offset is Beijing time; with one, it is kept."""

from __future__ import annotations

import datetime as dt

import pytest
import typer

from engine.entrypoints.cli.terminal import SHANGHAI, parse_date, parse_now


def test_a_time_without_an_offset_means_asia_shanghai() -> None:
    moment = parse_now("2007-09-11T09:00")
    assert moment.tzinfo is not None and moment.utcoffset() == dt.timedelta(hours=8)
    assert moment.astimezone(dt.UTC).hour == 1


def test_a_time_with_an_offset_keeps_it() -> None:
    moment = parse_now("2007-09-11T01:00+00:00")
    assert moment.utcoffset() == dt.timedelta(0)
    assert moment.astimezone(SHANGHAI).hour == 9


def test_without_now_the_clock_is_read_and_is_aware() -> None:
    assert parse_now(None).tzinfo is not None


@pytest.mark.parametrize("value", ["yesterday", "2007-13-01", "9:00"])
def test_a_malformed_time_or_date_is_a_usage_error(value: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_now(value)
    with pytest.raises(typer.BadParameter):
        parse_date(value, "--date")
