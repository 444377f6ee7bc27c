"""What waits on whom, and how a notice stands: the task list, the notice board and its burndown.

Read models: each reads duty rows through a read-only unit of work (a few SQL queries, no aggregate), and
works out actions, milestones and risk with the same pure functions the workflow uses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

from engine.domain.ports import DutyRow, NoticeRecord, Ports
from engine.domain.reminders.planner import working_days_left
from engine.domain.workflow.access import ACTIONS, Scope, Standing, allowed_actions, can_read
from engine.domain.workflow.machine import pending_work
from engine.domain.workflow.milestones import Stage, milestones
from engine.domain.workflow.model import (
    STAGE_EVENTS,
    State,
    local_date,
    stage_ends,
    state_at_risk,
    state_overdue,
)
from engine.domain.workflow.people import User
from engine.errors import NoticeNotFound

# What waits on a person: the actions that move their duties on (not extend, reassign, withdraw, which are
# decisions, nor recording a paper reply for someone else).
TASK_ACTIONS = frozenset(
    {"start", "upload", "open_consultation", "reply", "close_consultation", "decide", "submit"}
    | {"review", "deliberate", "publish", "forward", "file"}
)
_ENDS = STAGE_EVENTS | {"open_consultation"}
_FINISHED = {"publish": State.PUBLISHED, "forward": State.FORWARDED, "withdraw": State.WITHDRAWN}


@dataclass(frozen=True)
class Task:
    """One duty that waits on the person, what they may do now, and by when."""

    duty_id: str
    notice_id: str
    title: str
    lead: str
    state: State
    actions: tuple[str, ...]
    due: dt.date | None
    workdays_left: int | None  # negative when overdue
    overdue: bool
    version: int


@dataclass(frozen=True)
class BoardRow:
    """One duty of a notice against its milestones: planned, and the day each finished stage ended."""

    duty_id: str
    location: str
    title: str
    lead: str  # the department's display name
    officer: str  # the 承办人's e-mail as the catalogue names it
    co_departments: tuple[str, ...]  # display names
    deadline: dt.date | None
    state: State
    planned: dict[Stage, dt.date]
    actual: dict[Stage, dt.date]
    next_stage: Stage | None
    next_due: dt.date | None
    workdays_left: int | None  # to the last working day; negative once it has passed
    at_risk: bool
    overdue: bool
    pending: bool  # the system is still making the stage's documents
    version: int


@dataclass(frozen=True)
class Board:
    notice_id: str
    title: str
    deadline: dt.date | None
    today: dt.date
    rows: tuple[BoardRow, ...]


@dataclass(frozen=True)
class Burndown:
    """Open duties at the end of each day: planned (even progress over the working days to the deadline's last
    working day) and actual (up to today; None after it)."""

    notice_id: str
    days: tuple[dt.date, ...]
    planned: tuple[int, ...]
    actual: tuple[int | None, ...]


def tasks_for(user_id: str, today: dt.date, *, ports: Ports) -> list[Task]:
    """What waits on the person: every duty where they may move something on, overdue first, then by due day."""
    with ports.reading() as uow:
        user = uow.users.get(user_id)
        rows = uow.views.task_rows(user.department)
        ends = uow.views.events([r.id for r in rows], _ENDS)
    memo = _Memo(today, ports)
    tasks = [t for r in rows if (t := _task(r, user, memo, ends.get(r.id, []), ports)) is not None]
    return sorted(tasks, key=lambda t: (not t.overdue, t.due or dt.date.max, t.duty_id))


def _task(
    row: DutyRow, user: User, memo: _Memo, events: list[tuple[str, dt.datetime]], ports: Ports
) -> Task | None:
    actions = memo.actions(Standing.of_row(row), user, Scope(row.coordinator, row.reviewer))
    if row.undecided == 0:
        actions -= {"decide"}
    if not actions:
        return None
    due: dt.date | None
    if row.state is State.CONSULTING and row.reply_due is not None:
        due = row.reply_due  # replying and closing both wait on the round's due day
    else:
        due = (
            memo.planned(row.last_working_day, stage_ends(events)).get(row.state.stage)
            if row.last_working_day
            else None
        )
    left = memo.left(due) if due else None
    order = tuple(a for a in ACTIONS if a in actions)  # in the order of the procedure
    return Task(
        row.id,
        row.notice_id,
        row.title,
        ports.registry.display_of(row.lead),
        row.state,
        order,
        due,
        left,
        due is not None and memo.today > due,
        row.version,
    )


def notice_board(notice_id: str, today: dt.date, *, ports: Ports, user_id: str | None = None) -> Board:
    """Every duty of a notice against its milestones; for a user, only the duties they may read.

    Raise NotFound for a notice never ingested.
    """
    return notice_page(notice_id, today, ports=ports, user_id=user_id)[0]


def notice_page(
    notice_id: str, today: dt.date, *, ports: Ports, user_id: str | None = None
) -> tuple[Board, Burndown]:
    """The notice board and the notice's burndown from one read of its duties and their events (the portal's
    notice page shows both). The burndown counts every duty of the notice, whoever looks."""
    with ports.reading() as uow:
        notice = uow.notices.get(notice_id)
        if notice is None:
            raise NoticeNotFound(notice_id)
        user = uow.users.get(user_id) if user_id is not None else None
        every = uow.views.notice_rows(notice_id)
        events = uow.views.events([r.id for r in every], _ENDS | frozenset(_FINISHED))
    rows = every
    if user is not None:
        rows = [r for r in rows if can_read(Standing.of_row(r), user, Scope(r.coordinator, r.reviewer))]
    memo = _Memo(today, ports)
    ends = {k: [e for e in v if e[0] in _ENDS] for k, v in events.items()}
    board = tuple(_board_row(r, memo, ends.get(r.id, []), ports) for r in rows)
    finished = {k: [e for e in v if e[0] in _FINISHED] for k, v in events.items()}
    chart = _burndown(notice, every, {k: v for k, v in finished.items() if v}, today, ports)
    return Board(notice_id, notice.info.title, notice.deadline, today, board), chart


def _board_row(row: DutyRow, memo: _Memo, events: list[tuple[str, dt.datetime]], ports: Ports) -> BoardRow:
    actual = stage_ends(events)
    lwd = row.last_working_day
    planned = memo.planned(lwd, actual) if lwd else {}
    stage = None if row.state.terminal or row.state is State.PUBLISHED else row.state.stage
    return BoardRow(
        row.id,
        row.location,
        row.title,
        ports.registry.display_of(row.lead),
        row.officer,
        tuple(ports.registry.display_of(k) for k in row.co_departments),
        row.deadline,
        row.state,
        planned,
        actual,
        stage,
        planned.get(stage) if stage else None,
        memo.left(lwd) if lwd and stage else None,
        memo.at_risk(row.state, lwd),
        state_overdue(row.state, lwd, memo.today),
        pending_work(row.state, row.stage_version, row.machine_done),
        row.version,
    )


def burndown(notice_id: str, today: dt.date, *, ports: Ports) -> Burndown:
    """Open duties per day from the notice's date to its deadline, planned against actual."""
    with ports.reading() as uow:
        notice = uow.notices.get(notice_id)
        if notice is None:
            raise NoticeNotFound(notice_id)
        rows = uow.views.notice_rows(notice_id)
        finished = uow.views.events([r.id for r in rows], frozenset(_FINISHED))
    return _burndown(notice, rows, finished, today, ports)


def _burndown(
    notice: NoticeRecord,
    rows: list[DutyRow],
    finished: dict[str, list[tuple[str, dt.datetime]]],
    today: dt.date,
    ports: Ports,
) -> Burndown:
    start = notice.info.date or notice.ingested_at.date()
    last = max((r.last_working_day for r in rows if r.last_working_day), default=notice.deadline or start)
    days = tuple(start + dt.timedelta(days=n) for n in range((max(last, start) - start).days + 1))
    done_on = {duty: min(local_date(at) for _, at in events) for duty, events in finished.items()}
    # One pass over the days: the working days so far, and the duties finished so far (a sorted list bisected),
    # rather than a count from the notice's date and a scan of every duty for each day.
    calendar = ports.calendar
    worked = list(accumulate(1 if calendar.is_workday(day) else 0 for day in days))
    total = worked[-1] or 1
    ends = sorted(done_on[r.id] for r in rows if r.id in done_on)
    planned = tuple(round(len(rows) * (1 - n / total)) for n in worked)
    actual = tuple(len(rows) - bisect_right(ends, day) if day <= today else None for day in days)
    return Burndown(notice.info.id, days, planned, actual)


class _Memo:
    """The calendar sums and the allowed actions of one list, each worked out once.

    The calendar counts working days one day at a time, and the duties of a notice share their last working
    day (and most share their stage ends), so a board of a thousand duties asks a few dozen distinct questions
    a thousand times each. The answers are the pure functions' own; only repeats are saved.
    """

    def __init__(self, today: dt.date, ports: Ports) -> None:
        self.today = today
        calendar, plan = ports.calendar, ports.plan

        @cache
        def left(day: dt.date) -> int:
            return working_days_left(today, day, calendar)

        @cache
        def at_risk(state: State, last_working_day: dt.date | None) -> bool:
            return state_at_risk(state, last_working_day, today, calendar, plan)

        @cache
        def planned(
            last_working_day: dt.date, ended: tuple[tuple[Stage, dt.date], ...]
        ) -> dict[Stage, dt.date]:
            return milestones(last_working_day, calendar, plan, dict(ended))

        self.left, self.at_risk, self._planned = left, at_risk, planned
        self._actions = cache(allowed_actions)

    def actions(self, standing: Standing, user: User, scope: Scope) -> frozenset[str]:
        """What the user may do of TASK_ACTIONS. Who may do what turns on where a duty stands, never on its
        id, and the duties of a list stand alike by the dozen."""
        return self._actions(dataclasses.replace(standing, duty_id=""), user, scope) & TASK_ACTIONS

    def planned(self, last_working_day: dt.date, ended: dict[Stage, dt.date]) -> dict[Stage, dt.date]:
        """The milestones of a duty whose stages ended so; a copy, so that no two rows share one dict."""
        return dict(self._planned(last_working_day, tuple(ended.items())))


@dataclass(frozen=True)
class Found:
    """One duty a search found."""

    duty_id: str
    notice_id: str
    location: str
    title: str
    lead: str  # display name
    state: State


SEARCH_LIMIT = 50


def search_duties(text: str, user_id: str, *, ports: Ports, limit: int = SEARCH_LIMIT) -> list[Found]:
    """Duties across notices whose id or title holds `text`, or whose lead department's name (full, short or
    alias) holds it; only those the user may read, at most `limit`, in id order."""
    text = text.strip()
    if not text:
        return []
    leads = tuple(d.key for d in ports.registry if any(text in name for name in d.names))
    with ports.reading() as uow:
        user = uow.users.get(user_id)
        rows = uow.views.search_rows(text, leads, limit * 4)  # some may be unreadable to the user
    readable = [r for r in rows if can_read(Standing.of_row(r), user, Scope(r.coordinator, r.reviewer))]
    return [
        Found(r.id, r.notice_id, r.location, r.title, ports.registry.display_of(r.lead), r.state)
        for r in readable[:limit]
    ]
