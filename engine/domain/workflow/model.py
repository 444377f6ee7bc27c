"""The drafting duty: its states, the one transition table, and the aggregate that enforces them.

Pure: no database, no clock (`now` is always an argument). A duty moves through 起草 → 征求意见 → 审查 → 发布:

    state            action               next state       condition
    未启动           start                起草中
    起草中           open_consultation    征求意见中       consultees named
    退回修改         open_consultation    征求意见中       (a new round after amendment)
    征求意见中       close_consultation   修改中           every reply in, or the window's end reached
    修改中 / 退回修改 submit               合法性审核中     every opinion decided
    合法性审核中     review 合法           集体审议中
    合法性审核中     review 应当予以修改/不合法 退回修改   (the opinion is attached)
    集体审议中       deliberate approved  已审议通过
    集体审议中       deliberate returned  退回修改
    已审议通过       publish              已发布           track 规范性文件 or 规章
    已审议通过       forward              已报送           track 法规草案 (terminal)
    已发布           file (备案)           已备案           (terminal)
    any but terminal withdraw             已撤回           (terminal)

Uploading a draft (起草中, 修改中, 退回修改), replying (征求意见中), deciding an opinion (征求意见中, 修改中),
extending the deadline, reassigning the lead and amending from an edited catalogue (any state but a terminal
one), and recording the ingest (未启动) keep the state. Every change,
state or not, appends an audit event (who, when, from, to, why); `_move` is the only writer of `state`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from zoneinfo import ZoneInfo

from engine.domain.drafting.decisions import Decision, Legality, ReplyKind
from engine.domain.intake.specs import DutySpec, Track
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.consultation import Opinion, OpinionInput, Request, Ruling
from engine.domain.workflow.milestones import Plan, Stage, at_risk, milestones, remaining_from
from engine.errors import IllegalTransition

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day of a moment in Asia/Shanghai, where every working day of the procedure is counted."""
    return moment.astimezone(SHANGHAI).date()


class State(StrEnum):
    NOT_STARTED = "未启动"
    DRAFTING = "起草中"
    CONSULTING = "征求意见中"
    REVISING = "修改中"
    REVIEWING = "合法性审核中"
    RETURNED = "退回修改"
    DELIBERATING = "集体审议中"
    APPROVED = "已审议通过"
    PUBLISHED = "已发布"
    FILED = "已备案"
    FORWARDED = "已报送"
    WITHDRAWN = "已撤回"

    @property
    def terminal(self) -> bool:
        return self in (State.FILED, State.FORWARDED, State.WITHDRAWN)

    @property
    def stage(self) -> Stage:
        """The stage of the procedure the state belongs to (for milestones)."""
        return _STAGES.get(self, Stage.PUBLISH)


_STAGES = {
    State.NOT_STARTED: Stage.DRAFTING,
    State.DRAFTING: Stage.DRAFTING,
    State.CONSULTING: Stage.CONSULTATION,
    State.REVISING: Stage.REVISION,
    State.RETURNED: Stage.REVISION,
    State.REVIEWING: Stage.REVIEW,
    State.DELIBERATING: Stage.DELIBERATION,
    State.APPROVED: Stage.PUBLISH,
}

TRANSITIONS: dict[tuple[State, str], State] = {
    (State.NOT_STARTED, "start"): State.DRAFTING,
    (State.DRAFTING, "open_consultation"): State.CONSULTING,
    (State.RETURNED, "open_consultation"): State.CONSULTING,
    (State.CONSULTING, "close_consultation"): State.REVISING,
    (State.REVISING, "submit"): State.REVIEWING,
    (State.RETURNED, "submit"): State.REVIEWING,
    (State.REVIEWING, "review_lawful"): State.DELIBERATING,
    (State.REVIEWING, "review_returned"): State.RETURNED,
    (State.DELIBERATING, "approve"): State.APPROVED,
    (State.DELIBERATING, "return"): State.RETURNED,
    (State.APPROVED, "publish"): State.PUBLISHED,
    (State.APPROVED, "forward"): State.FORWARDED,
    (State.PUBLISHED, "file"): State.FILED,
}
# Actions that keep the state, and the states that allow them.
IN_PLACE: dict[str, frozenset[State]] = {
    "upload": frozenset({State.DRAFTING, State.REVISING, State.RETURNED}),
    "reply": frozenset({State.CONSULTING}),
    "decide": frozenset({State.CONSULTING, State.REVISING}),
    "extend": frozenset(s for s in State if not s.terminal),
    "reassign": frozenset(s for s in State if not s.terminal),
    "ingest": frozenset({State.NOT_STARTED}),
    "amend": frozenset(s for s in State if not s.terminal),
}
_STAGE_ENDED_BY = {
    "open_consultation": Stage.DRAFTING,
    "close_consultation": Stage.CONSULTATION,
    "submit": Stage.REVISION,
    "review_lawful": Stage.REVIEW,
    "approve": Stage.DELIBERATION,
    "publish": Stage.PUBLISH,
    "forward": Stage.PUBLISH,  # a 法规草案 leaves the procedure when it is forwarded
}


@dataclass(frozen=True)
class Event:
    """One audit record: who did what, when, from which state to which, and why."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    from_state: State | None
    to_state: State | None
    reason: str = ""


@dataclass(frozen=True)
class Review:
    outcome: Legality
    opinion: str
    reviewer: str
    at: dt.datetime


@dataclass(frozen=True)
class Extension:
    old_deadline: dt.date
    new_deadline: dt.date
    approver: str
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class Publication:
    number: str
    published_on: dt.date
    effective_on: dt.date
    filed_on: dt.date | None = None


@dataclass
class Duty:
    """The aggregate: a duty's catalogue facts, its state and everything that happened to it."""

    spec: DutySpec
    notice_id: str
    state: State = State.NOT_STARTED
    version: int = 0
    stage_version: int = 0
    machine_done: int = -1
    deadline: dt.date | None = None
    last_working_day: dt.date | None = None
    events: list[Event] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    opinions: list[Opinion] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    publication: Publication | None = None

    @classmethod
    def from_spec(cls, spec: DutySpec, notice_id: str) -> Duty:
        return cls(spec, notice_id, deadline=spec.deadline, last_working_day=spec.last_working_day)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def round(self) -> int:
        return max((r.round for r in self.requests), default=0)

    def current_requests(self) -> list[Request]:
        return [r for r in self.requests if r.round == self.round]

    def window_ended(self, now: dt.datetime) -> bool:
        """Whether the open consultation's window has ended by `now` (the day after the last reply is due)."""
        requests = self.current_requests()
        return (
            self.state is State.CONSULTING
            and bool(requests)
            and local_date(now) > max(r.due for r in requests)
        )

    def undecided(self) -> list[Opinion]:
        return [o for o in self.opinions if o.ruling is None]

    # --- the one writer of state -----------------------------------------------------------------------------

    def _check(self, action: str, why: str = "") -> None:
        raise IllegalTransition(self.id, self.state.value, action, why)

    def _move(self, action: str, actor: str, now: dt.datetime, reason: str = "") -> None:
        """Apply a transition of the table, or record an in-place action; append its audit event."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        target = TRANSITIONS.get((self.state, action))
        if target is None and action == "withdraw" and not self.state.terminal:
            target = State.WITHDRAWN
        if target is None and self.state not in IN_PLACE.get(action, frozenset()):
            self._check(action)
        before = self.state
        if target is not None:
            self.state = target
            self.stage_version += 1
        self.events.append(Event(len(self.events) + 1, now, actor, action, before, target or before, reason))

    def mark_machine_done(self) -> None:
        """Record that the machine work for the current stage version is done (rerunning it is then a no-op)."""
        self.machine_done = self.stage_version

    # --- actions -----------------------------------------------------------------------------------------------

    def ingested(self, actor: str, now: dt.datetime) -> None:
        """Record that the duty came from its notice's catalogue."""
        self._move("ingest", actor, now, self.notice_id)

    def amend(self, spec: DutySpec, actor: str, now: dt.datetime, calendar: WorkCalendar) -> list[str]:
        """Take a reviewed catalogue's edits (title, departments, officer, track, deadline), recorded by name.

        A changed lead is a reassignment, not an amendment; the caller does that first.
        """
        spec = replace(
            spec, lead=self.spec.lead, consultees=tuple(c for c in spec.consultees if c != self.spec.lead)
        )
        if spec.track is not self.spec.track and self.state in (State.APPROVED, State.PUBLISHED):
            self._check("amend", "已审议通过或已发布的任务不能变更文件类别（track）")
        fields = ("title", "co_departments", "consultees", "officer", "track", "deadline")
        changed = [f for f in fields if getattr(spec, f) != getattr(self.spec, f)]
        if not changed:
            return []
        self._move("amend", actor, now, "任务清单变更：" + "、".join(changed))
        self.spec = spec
        extended = self.extensions and self.deadline and spec.deadline and spec.deadline <= self.deadline
        if "deadline" in changed and spec.deadline is not None and not extended:
            self.deadline, self.last_working_day = spec.deadline, calendar.on_or_before(spec.deadline)
        return changed

    def start(self, actor: str, now: dt.datetime) -> None:
        self._move("start", actor, now)

    def upload(self, actor: str, now: dt.datetime, document_id: str) -> None:
        self._move("upload", actor, now, document_id)

    def open_consultation(self, actor: str, now: dt.datetime, calendar: WorkCalendar, window: int) -> None:
        """Send a new round of requests, each due `window` working days after today."""
        if not self.spec.consultees:
            self._check("open_consultation", "没有征求意见单位")
        self._move("open_consultation", actor, now)
        today, number = local_date(now), self.round + 1
        due = calendar.add_workdays(today, window)
        self.requests += [Request(number, c, today, due) for c in self.spec.consultees]

    def reply(
        self,
        consultee: str,
        actor: str,
        now: dt.datetime,
        opinions: tuple[OpinionInput, ...],
        *,
        on_paper: bool = False,
        attachments: tuple[str, ...] = (),
    ) -> None:
        """Record a department's reply: 无意见 when `opinions` is empty. A reply received `on_paper` is recorded
        by someone of another department, and the event says who recorded it for whom. `attachments` are
        stored documents of the reply as a whole (its letter), beside those each opinion carries."""
        request = next((r for r in self.current_requests() if r.consultee == consultee), None)
        if self.state is State.CONSULTING and (request is None or request.reply is not None):
            self._check(
                "reply", f"{consultee} 没有待答复的征求意见" if request is None else f"{consultee} 已答复"
            )
        self._move(
            "reply", actor, now, f"{consultee}（纸质答复，由 {actor} 代录）" if on_paper else consultee
        )
        assert request is not None
        kind = ReplyKind.OPINIONS if opinions else ReplyKind.NO_OBJECTION
        self.requests[self.requests.index(request)] = request.answered(kind, now, actor, attachments)
        base = f"{self.id}.r{request.round}.{consultee}"
        self.opinions += [
            Opinion(f"{base}.{i}", request.round, consultee, i, o.clause, o.text, actor, now, o.attachments)
            for i, o in enumerate(opinions, 1)
        ]

    def close_consultation(self, actor: str, now: dt.datetime, silence_is_consent: bool = True) -> None:
        """Close the round: before its end only when every reply is in; after it, silence is recorded."""
        waiting = [r for r in self.current_requests() if r.reply is None]
        if self.state is State.CONSULTING and waiting and local_date(now) <= max(r.due for r in waiting):
            self._check("close_consultation", "征求意见期限未到，尚有单位未反馈")
        self._move(
            "close_consultation",
            actor,
            now,
            "逾期未反馈的视为无意见" if waiting and silence_is_consent else "",
        )
        for request in waiting:
            self.requests[self.requests.index(request)] = request.answered(ReplyKind.SILENT, None, None)

    def decide(self, opinion_id: str, decision: Decision, reason: str, actor: str, now: dt.datetime) -> None:
        """Rule on one opinion, once; 部分采纳 and 不予采纳 need a reason."""
        opinion = next((o for o in self.opinions if o.id == opinion_id), None)
        if opinion is None:
            self._check("decide", f"没有该意见：{opinion_id}")
        elif opinion.ruling is not None:
            self._check("decide", f"该意见已作出处理（{opinion.ruling.decision.value}）")
        elif decision is not Decision.ADOPTED and not reason.strip():
            self._check("decide", f"“{decision.value}”须说明理由")
        assert opinion is not None
        self._move("decide", actor, now, f"{opinion_id} {decision.value}")
        self.opinions[self.opinions.index(opinion)] = replace(
            opinion, ruling=Ruling(decision, reason, actor, now)
        )

    def submit(self, actor: str, now: dt.datetime) -> None:
        if self.undecided():
            self._check("submit", f"尚有 {len(self.undecided())} 条意见未作处理")
        self._move("submit", actor, now)

    def review(self, outcome: Legality, opinion: str, actor: str, now: dt.datetime) -> None:
        """Record the legality review; anything but 合法 returns the duty with the opinion attached."""
        if outcome is not Legality.LAWFUL and not opinion.strip():
            self._check("review", "审核意见不能为空")
        action = "review_lawful" if outcome is Legality.LAWFUL else "review_returned"
        self._move(action, actor, now, f"{outcome.value}：{opinion}".rstrip("："))
        self.reviews.append(Review(outcome, opinion, actor, now))

    def deliberate(self, approved: bool, actor: str, now: dt.datetime, reason: str = "") -> None:
        """Record the 集体审议: approved, or returned for amendment with the reason."""
        if not approved and not reason.strip():
            self._check("return", "退回修改须说明理由")
        self._move("approve" if approved else "return", actor, now, reason)

    def publish(
        self, number: str, published_on: dt.date, effective_on: dt.date, actor: str, now: dt.datetime
    ) -> None:
        if self.spec.track is Track.LEGISLATIVE:
            self._check("publish", "法规草案不能由部门发布，应报送立法程序")
        if not re.fullmatch(r"[\u4e00-\u9fff]{1,12}〔\d{4}〕[1-9]\d*号", number):
            self._check("publish", f"文号格式应如 深贸工〔2007〕12号：{number}")
        if effective_on < published_on:
            self._check("publish", "施行日期不能早于发布日期")
        self._move("publish", actor, now, number)
        self.publication = Publication(number, published_on, effective_on)

    def forward(self, actor: str, now: dt.datetime, reason: str = "") -> None:
        if self.spec.track is not Track.LEGISLATIVE:
            self._check("forward", "只有法规草案报送立法程序")
        self._move("forward", actor, now, reason)

    def file(self, filed_on: dt.date, actor: str, now: dt.datetime) -> None:
        """Record the 备案 with the legal office."""
        if self.publication is not None and filed_on < self.publication.published_on:
            self._check("file", "备案日期不能早于发布日期")
        self._move("file", actor, now, filed_on.isoformat())
        assert self.publication is not None
        self.publication = replace(self.publication, filed_on=filed_on)

    def withdraw(self, actor: str, now: dt.datetime, reason: str) -> None:
        if not reason.strip():
            self._check("withdraw", "撤回须说明理由")
        self._move("withdraw", actor, now, reason)

    def extend(
        self, new_deadline: dt.date, approver: str, reason: str, now: dt.datetime, calendar: WorkCalendar
    ) -> None:
        """Record a 延期 with its approver and reason; the last working day follows the new deadline."""
        if self.deadline is not None and new_deadline <= self.deadline:
            self._check("extend", "延期后的期限须晚于原期限")
        if not reason.strip():
            self._check("extend", "延期须说明理由")
        old = self.deadline or new_deadline
        self._move("extend", approver, now, f"{old.isoformat()} → {new_deadline.isoformat()}：{reason}")
        self.extensions.append(Extension(old, new_deadline, approver, reason, now))
        self.deadline, self.last_working_day = new_deadline, calendar.on_or_before(new_deadline)

    def reassign(self, lead: str, officer: str, actor: str, now: dt.datetime, reason: str) -> None:
        """Give the duty to another lead department; it leaves the consultees if it was one."""
        if lead == self.spec.lead:
            self._check("reassign", "新牵头部门与原牵头部门相同")
        if not reason.strip():
            self._check("reassign", "调整牵头部门须说明理由")
        self._move("reassign", actor, now, f"{self.spec.lead} → {lead}：{reason}")
        consultees = tuple(c for c in self.spec.consultees if c != lead)
        self.spec = replace(self.spec, lead=lead, officer=officer, consultees=consultees)
        # A department does not consult itself: its unanswered request in the open round goes too.
        self.requests = [r for r in self.requests if not (r.consultee == lead and r.reply is None)]

    # --- time ------------------------------------------------------------------------------------------------

    def stage_ends(self) -> dict[Stage, dt.date]:
        """The day each finished stage ended, from the audit trail (see `stage_ends`)."""
        return stage_ends((e.action, e.at) for e in self.events)

    def milestones(self, calendar: WorkCalendar, plan: Plan) -> dict[Stage, dt.date]:
        if self.last_working_day is None:
            return {}
        return milestones(self.last_working_day, calendar, plan, self.stage_ends())

    def at_risk(self, today: dt.date, calendar: WorkCalendar, plan: Plan) -> bool:
        return state_at_risk(self.state, self.last_working_day, today, calendar, plan)

    def overdue(self, today: dt.date) -> bool:
        return state_overdue(self.state, self.last_working_day, today)


STAGE_EVENTS = frozenset(_STAGE_ENDED_BY) | {"review_returned", "return"}  # the events `stage_ends` reads


def stage_ends(events: Iterable[tuple[str, dt.datetime]]) -> dict[Stage, dt.date]:
    """The day each finished stage ended, from a duty's (action, moment) events in order. A return for
    amendment reopens revision and everything after it, and a new consultation round reopens consultation, so
    their earlier ends no longer count."""
    ended: dict[Stage, dt.date] = {}
    for action, at in events:
        reopened = {
            "review_returned": Stage.REVISION,
            "return": Stage.REVISION,
            "open_consultation": Stage.CONSULTATION,
        }.get(action)
        for stage in remaining_from(reopened) if reopened else ():
            ended.pop(stage, None)
        if action in _STAGE_ENDED_BY:
            ended[_STAGE_ENDED_BY[action]] = local_date(at)
    return ended


def state_overdue(state: State, last_working_day: dt.date | None, today: dt.date) -> bool:
    """Whether a duty in `state` is past its last working day without being published or finished."""
    return (
        last_working_day is not None
        and not state.terminal
        and state is not State.PUBLISHED
        and today > last_working_day
    )


def state_at_risk(
    state: State, last_working_day: dt.date | None, today: dt.date, calendar: WorkCalendar, plan: Plan
) -> bool:
    """Whether a duty in `state` has fewer working days left than its remaining stages need."""
    if last_working_day is None or state.terminal:
        return False
    return at_risk(today, last_working_day, calendar, plan, remaining_from(state.stage))
