"""What every `banfa` verb shares: the consoles, the settings read at start, the clock, and exit codes.

Exit codes: 0 success (warnings included), 1 another Banfa error (an invalid or existing catalogue, an illegal
action, a stale version, a malformed registry), 2 usage, 3 an empty notice, 4 undecodable bytes, 5 a text that
is not a notice, 6 an action the user's role does not allow.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from engine.bootstrap import Rules, Workflow, load_rules, open_workflow
from engine.config import Settings
from engine.entrypoints.dates import FIRST_YEAR, LAST_YEAR, typed_day
from engine.errors import (
    DuplicateDuties,
    EmptyNotice,
    EngineError,
    Forbidden,
    InvalidInput,
    NotANotice,
    UndecodableNotice,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXIT_CODES: list[tuple[type[EngineError], int]] = [
    (EmptyNotice, 3),
    (UndecodableNotice, 4),
    (NotANotice, 5),
    (DuplicateDuties, 5),
    (Forbidden, 6),
]


def _console(*, stderr: bool) -> Console:
    """A console that stays wide enough for Chinese tables when output goes to a file or a pipe."""
    console = Console(stderr=stderr, highlight=False, emoji=False)
    if not console.is_terminal:
        console.width = 160
    return console


out = _console(stderr=False)
err = _console(stderr=True)


_settings: list[Settings] = []  # the settings of this run, read by the app's callback; never at import


def use_settings(settings: Settings) -> None:
    """Keep the settings the app's callback read from the options and the BANFA_* variables."""
    _settings[:] = [settings]


def settings() -> Settings:
    """The settings of this run; the app's callback reads them before any verb runs."""
    if not _settings:
        raise RuntimeError("the settings are read by the app's callback, which has not run")
    return _settings[0]


def current_rules() -> Rules:
    """The data people edit (registry, calendar, catalogues), loaded for this run."""
    return load_rules(settings())


def current_workflow() -> Workflow:
    """The database, document store and dispatcher of this run (the embedded database is migrated at once)."""
    return open_workflow(settings())


def print_json(data: object) -> None:
    """Write JSON to stdout as UTF-8 whatever the locale, since other tools read it."""
    sys.stdout.flush()
    sys.stdout.buffer.write((json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    sys.stdout.buffer.flush()


@contextmanager
def exit_codes() -> Iterator[None]:
    try:
        yield
    except EngineError as exc:
        err.print(f"[bold red]错误：[/]{exc}")
        code = next((c for cls, c in EXIT_CODES if isinstance(exc, cls)), 1)
        raise typer.Exit(code) from None


def parse_now(value: str | None) -> dt.datetime:
    """The time of an action: --now for a replay (an ISO time; without an offset, Asia/Shanghai), else the clock."""
    if value is None:
        return dt.datetime.now(SHANGHAI)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"时间格式应为 ISO 8601，如 2007-09-11T09:00：{value}", param_hint="--now"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise typer.BadParameter(f"时间须在 {FIRST_YEAR}—{LAST_YEAR} 年之间：{value}", param_hint="--now")
    return moment


def parse_date(value: str, hint: str) -> dt.date:
    try:
        return typed_day(value)
    except InvalidInput as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None


def parse_day(today: str | None, now: str | None) -> dt.date:
    """The day a view is drawn for: --today, else the day of --now in Beijing, else the clock's."""
    return parse_date(today, "--today") if today else parse_now(now).astimezone(SHANGHAI).date()


def parse_today(value: str | None) -> dt.date:
    """The date documents carry: --today for a replay, else the clock (only entrypoints read it)."""
    return dt.datetime.now(SHANGHAI).date() if value is None else parse_date(value, "--today")
