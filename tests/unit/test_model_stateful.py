"""The duty's state machine under random actions: Hypothesis drives one Duty and checks the invariants after each step.

Every action either succeeds or raises IllegalTransition; any other exception is a bug. The simulated clock only
moves forward and is always timezone-aware (Asia/Shanghai).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.intake.specs import DutySpec, Track
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.milestones import ORDER, Plan
from engine.domain.workflow.model import Duty, State
from engine.errors import IllegalTransition
from tests.support import procedure
from tests.support.duties import sample_spec

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
PLAN = Plan()
DEPARTMENTS = ("caizheng", "maogong", "renshi", "keji")
REASONS = st.sampled_from(["", "  ", "领导小组意见", "第五条需修改"])
ADVANCE = st.integers(min_value=0, max_value=3 * 24 * 60)  # minutes
# States only reached after every opinion was ruled on (submit needs it); 退回修改 comes after a review.
AFTER_SUBMIT = frozenset(
    {State.REVIEWING, State.RETURNED, State.DELIBERATING, State.APPROVED, State.PUBLISHED, State.FILED}
)
GUIDED = {  # the ordinary next step from each state, to reach the late states more often
    State.NOT_STARTED: "start",
    State.DRAFTING: "open_consultation",
    State.CONSULTING: "close_consultation",
    State.REVISING: "submit",
    State.RETURNED: "submit",
    State.REVIEWING: "review",
    State.DELIBERATING: "deliberate",
    State.APPROVED: "publish_or_forward",
    State.PUBLISHED: "file",
}


def make_spec(track: Track, consultees: tuple[str, ...], deadline: dt.date) -> DutySpec:
    return sample_spec(
        kind={Track.LEGISLATIVE: "法规", Track.RULE: "规章"}.get(track, "办法"),
        track=track,
        deadline=deadline,
        last_working_day=CAL.on_or_before(deadline),
        consultees=consultees,
    )


class DutyMachine(RuleBasedStateMachine):
    duty: Duty
    now: dt.datetime

    @initialize(
        track=st.sampled_from(Track),
        consultees=st.sampled_from([("maogong", "renshi"), ("renshi",), ("maogong", "renshi", "keji"), ()]),
        start=st.dates(dt.date(2007, 9, 3), dt.date(2007, 12, 28)),
        head_start=st.integers(0, 9),
        data=st.data(),
    )
    def create(
        self, track: Track, consultees: tuple[str, ...], start: dt.date, head_start: int, data: st.DataObject
    ) -> None:
        """A new duty, taken a random number of ordinary steps along, so that every state is explored."""
        self.duty = Duty.from_spec(make_spec(track, consultees, dt.date(2007, 12, 31)), "sfb2007-129")
        self.now = dt.datetime.combine(start, dt.time(9), SHANGHAI)
        self.deadline = self.duty.deadline
        self.seen = 0  # events already checked by the deadline invariant
        self.terminal: Duty | None = None
        for _ in range(head_start):
            self.progress(data.draw(ADVANCE), data)

    # --- plumbing ---------------------------------------------------------------------------------------------

    def tick(self, minutes: int) -> dt.datetime:
        self.now += dt.timedelta(minutes=minutes)
        return self.now

    def attempt(self, act: Callable[[], object]) -> bool:
        """Run one action: it succeeds and appends one event, or it is refused and changes nothing."""
        before = copy.deepcopy(self.duty)
        try:
            act()
        except IllegalTransition:
            assert self.duty == before
            return False
        assert not before.state.terminal, f"{before.state} is terminal, yet {self.duty.events[-1]} happened"
        assert len(self.duty.events) == len(before.events) + 1
        assert self.duty.events[-1].at == self.now
        return True

    def opinion_id(self, index: int) -> str:
        opinions = self.duty.opinions
        return opinions[index].id if index < len(opinions) else f"{self.duty.id}.r9.nobody.{index}"

    # --- rules: one per action --------------------------------------------------------------------------------

    @rule(minutes=ADVANCE)
    def wait(self, minutes: int) -> None:
        self.tick(minutes)

    @rule(minutes=ADVANCE)
    def start(self, minutes: int) -> None:
        now = self.tick(minutes)
        self.attempt(lambda: self.duty.start("li.si", now))

    @rule(minutes=ADVANCE)
    def ingest(self, minutes: int) -> None:
        now = self.tick(minutes)
        self.attempt(lambda: self.duty.ingested("system", now))

    @rule(minutes=ADVANCE, document=st.sampled_from(["doc-1", "doc-2"]))
    def upload(self, minutes: int, document: str) -> None:
        now = self.tick(minutes)
        self.attempt(lambda: self.duty.upload("li.si", now, document))

    @rule(minutes=ADVANCE, window=st.integers(5, 10))
    def open_consultation(self, minutes: int, window: int) -> None:
        now = self.tick(minutes)
        round_before = self.duty.round
        if self.attempt(lambda: self.duty.open_consultation("li.si", now, CAL, window)):
            assert self.duty.round == round_before + 1
            current = self.duty.current_requests()
            assert [r.consultee for r in current] == list(self.duty.spec.consultees)
            assert all(r.due == CAL.add_workdays(now.date(), window) and r.reply is None for r in current)

    @rule(
        minutes=ADVANCE,
        consultee=st.sampled_from(DEPARTMENTS),
        opinions=st.lists(
            st.builds(OpinionInput, st.sampled_from(["第一条", "第五条"]), st.sampled_from(["删除", "修改"])),
            max_size=3,
        ),
    )
    def reply(self, minutes: int, consultee: str, opinions: list[OpinionInput]) -> None:
        now = self.tick(minutes)
        count = len(self.duty.opinions)
        if self.attempt(lambda: self.duty.reply(consultee, "contact", now, tuple(opinions))):
            added = self.duty.opinions[count:]
            assert [o.id for o in added] == [
                f"{self.duty.id}.r{self.duty.round}.{consultee}.{i}" for i in range(1, len(opinions) + 1)
            ]

    @rule(minutes=ADVANCE, after_due=st.booleans(), days=st.integers(0, 5), silence=st.booleans())
    def close_consultation(self, minutes: int, after_due: bool, days: int, silence: bool) -> None:
        current = self.duty.current_requests()
        if after_due and current:
            target = dt.datetime.combine(max(r.due for r in current), dt.time(9), SHANGHAI)
            self.now = max(self.now, target + dt.timedelta(days=days))
        now = self.tick(minutes)
        self.attempt(lambda: self.duty.close_consultation("system", now, silence))

    @rule(
        minutes=ADVANCE,
        index=st.integers(0, 6),
        decision=st.sampled_from(Decision),
        reason=REASONS,
    )
    def decide(self, minutes: int, index: int, decision: Decision, reason: str) -> None:
        now = self.tick(minutes)
        target = self.opinion_id(index)
        if self.attempt(lambda: self.duty.decide(target, decision, reason, "li.si", now)):
            ruled = next(o for o in self.duty.opinions if o.id == target)
            assert ruled.ruling is not None and ruled.ruling.decision is decision
            assert decision is Decision.ADOPTED or ruled.ruling.reason.strip()

    @rule(minutes=ADVANCE)
    def submit(self, minutes: int) -> None:
        now = self.tick(minutes)
        self.attempt(lambda: self.duty.submit("li.si", now))

    @rule(minutes=ADVANCE, outcome=st.sampled_from(Legality), opinion=REASONS)
    def review(self, minutes: int, outcome: Legality, opinion: str) -> None:
        now = self.tick(minutes)
        if self.attempt(lambda: self.duty.review(outcome, opinion, "fzb.wang", now)):
            assert (self.duty.state is State.DELIBERATING) == (outcome is Legality.LAWFUL)

    @rule(minutes=ADVANCE, approved=st.booleans(), reason=REASONS)
    def deliberate(self, minutes: int, approved: bool, reason: str) -> None:
        now = self.tick(minutes)
        self.attempt(lambda: self.duty.deliberate(approved, "ldxz.chen", now, reason))

    @rule(
        minutes=ADVANCE,
        number=st.sampled_from(["深财〔2007〕12号", "深府办〔2007〕129号", "深贸工〔2008〕3号"]),
        effective_after=st.integers(0, 60),
    )
    def publish(self, minutes: int, number: str, effective_after: int) -> None:
        now = self.tick(minutes)
        published = now.date()
        effective = published + dt.timedelta(days=effective_after)
        track = self.duty.spec.track
        if self.attempt(lambda: self.duty.publish(number, published, effective, "li.si", now)):
            assert track is not Track.LEGISLATIVE
            assert self.duty.publication is not None and self.duty.publication.number == number

    @rule(minutes=ADVANCE, reason=REASONS)
    def forward(self, minutes: int, reason: str) -> None:
        now = self.tick(minutes)
        if self.attempt(lambda: self.duty.forward("li.si", now, reason)):
            assert self.duty.spec.track is Track.LEGISLATIVE

    @rule(minutes=ADVANCE, days=st.integers(0, 40))
    def file(self, minutes: int, days: int) -> None:
        now = self.tick(minutes)
        self.attempt(lambda: self.duty.file(now.date() + dt.timedelta(days=days), "li.si", now))

    @rule(minutes=ADVANCE, reason=st.sampled_from(["", " ", "\u3000", "\n", "\t", "任务取消"]))
    def withdraw(self, minutes: int, reason: str) -> None:
        now = self.tick(minutes)
        if self.attempt(lambda: self.duty.withdraw("ldxz.chen", now, reason)):
            assert reason.strip()

    @rule(minutes=ADVANCE, days=st.integers(-30, 120), reason=REASONS)
    def extend(self, minutes: int, days: int, reason: str) -> None:
        now = self.tick(minutes)
        new = (self.duty.deadline or dt.date(2007, 12, 31)) + dt.timedelta(days=days)
        if self.attempt(lambda: self.duty.extend(new, "ldxz.chen", reason, now, CAL)):
            assert self.duty.deadline == new and self.duty.extensions[-1].new_deadline == new

    @rule(minutes=ADVANCE, lead=st.sampled_from(DEPARTMENTS), reason=REASONS)
    def reassign(self, minutes: int, lead: str, reason: str) -> None:
        now = self.tick(minutes)
        state = self.duty.state
        if self.attempt(lambda: self.duty.reassign(lead, f"officer@{lead}", "ldxz.chen", now, reason)):
            assert self.duty.spec.lead == lead and lead not in self.duty.spec.consultees
            assert self.duty.state is state

    @rule(
        minutes=ADVANCE,
        title=st.sampled_from(["深圳市服务外包人才培训资助办法", "深圳市服务外包人才培训资助暂行办法"]),
        consultees=st.lists(st.sampled_from(DEPARTMENTS), unique=True, max_size=3),
        days=st.integers(-30, 60),
        track=st.one_of(st.none(), st.none(), st.none(), st.sampled_from(Track)),
    )
    def amend(self, minutes: int, title: str, consultees: list[str], days: int, track: Track | None) -> None:
        """Take an edited catalogue entry; it may name the lead among the consultees, or change the track."""
        now = self.tick(minutes)
        spec = self.duty.spec
        edited = replace(
            spec,
            title=title,
            consultees=tuple(consultees),
            deadline=(spec.deadline or dt.date(2007, 12, 31)) + dt.timedelta(days=days),
            track=spec.track if track is None else track,
        )
        count = len(self.duty.events)
        before = copy.deepcopy(self.duty)
        try:
            changed = self.duty.amend(edited, "admin", now, CAL)
        except IllegalTransition:
            assert self.duty == before
            return
        assert not before.state.terminal or not changed
        assert len(self.duty.events) == count + (1 if changed else 0)
        assert self.duty.spec.lead == spec.lead and spec.lead not in self.duty.spec.consultees
        if self.duty.spec.track is not spec.track:
            assert before.state not in (State.APPROVED, State.PUBLISHED)

    @rule(minutes=ADVANCE, data=st.data())
    def progress(self, minutes: int, data: st.DataObject) -> None:
        """Take the ordinary next step, with valid arguments, so that runs reach publication often."""
        duty, step = self.duty, GUIDED.get(self.duty.state)
        if step == "open_consultation" and not duty.spec.consultees:
            step = "submit_without_consultation"
        if step == "close_consultation":
            for request in duty.current_requests():
                if request.reply is None and data.draw(st.booleans()):
                    self.reply(0, request.consultee, [OpinionInput("第三条", "建议修改")])
            self.close_consultation(minutes, after_due=True, days=0, silence=True)
        elif step == "submit":
            for opinion in duty.undecided():
                self.decide(0, duty.opinions.index(opinion), Decision.ADOPTED, "")
            self.submit(minutes)
        elif step == "start":
            self.start(minutes)
        elif step == "open_consultation":
            self.open_consultation(minutes, 7)
        elif step == "review":
            outcome = data.draw(st.sampled_from([Legality.LAWFUL, *Legality]))
            self.review(minutes, outcome, "第五条需修改")
        elif step == "deliberate":
            self.deliberate(minutes, data.draw(st.sampled_from([True, True, False])), "资助范围过宽")
        elif step == "publish_or_forward":
            # mostly the step the track allows, sometimes the other one, which must be refused
            legislative = duty.spec.track is Track.LEGISLATIVE
            if data.draw(st.sampled_from([legislative, legislative, not legislative])):
                self.forward(minutes, "报市人大常委会")
            else:
                self.publish(minutes, "深财〔2007〕12号", 10)
        elif step == "file":
            self.file(minutes, 5)
        else:
            self.tick(minutes)

    @rule(minutes=ADVANCE, data=st.data())
    def progress_again(self, minutes: int, data: st.DataObject) -> None:
        """The same ordinary step: a second rule, so Hypothesis picks it twice as often."""
        self.progress(minutes, data)

    # --- invariants -------------------------------------------------------------------------------------------

    @invariant()
    def every_event_follows_the_procedure(self) -> None:
        """Each recorded move is one the procedure allows (tests/support/procedure.py, not the model's table)."""
        state: State | None = State.NOT_STARTED
        for event in self.duty.events:
            assert event.from_state is state and state is not None, event
            assert event.to_state is not None, event
            assert procedure.next_state(state.value, event.action) == event.to_state.value, event
            state = event.to_state
        assert self.duty.state is state

    @invariant()
    def events_are_numbered_from_one_in_time_order(self) -> None:
        events = self.duty.events
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert all(a.at <= b.at for a, b in pairwise(events))
        assert all(e.at.tzinfo is not None and e.actor for e in events)

    @invariant()
    def a_terminal_duty_never_changes(self) -> None:
        if self.terminal is not None:
            assert self.duty == self.terminal
        elif self.duty.state.terminal:
            self.terminal = copy.deepcopy(self.duty)

    @invariant()
    def each_track_ends_where_it_may(self) -> None:
        state, track = self.duty.state, self.duty.spec.track
        if state in (State.PUBLISHED, State.FILED):
            assert track is not Track.LEGISLATIVE
            assert self.duty.publication is not None
        if state is State.FORWARDED:
            assert track is Track.LEGISLATIVE and self.duty.publication is None
        if state is State.FILED:
            assert self.duty.publication is not None and self.duty.publication.filed_on is not None

    @invariant()
    def past_revision_every_opinion_has_a_ruling(self) -> None:
        events = self.duty.events
        state = self.duty.state
        if state is State.WITHDRAWN:
            state = events[-1].from_state or State.NOT_STARTED
        if state in AFTER_SUBMIT or state is State.FORWARDED:
            assert not self.duty.undecided()

    @invariant()
    def stage_version_counts_the_state_changes(self) -> None:
        moves = sum(e.from_state is not e.to_state for e in self.duty.events)
        assert self.duty.stage_version == moves

    @invariant()
    def the_deadline_only_moves_later_unless_the_catalogue_is_amended(self) -> None:
        deadline = self.duty.deadline
        amended = any(e.action == "amend" for e in self.duty.events[self.seen :])
        if not amended and self.deadline is not None and deadline is not None:
            assert deadline >= self.deadline
        self.deadline, self.seen = deadline, len(self.duty.events)
        if deadline is not None:
            assert self.duty.last_working_day == CAL.on_or_before(deadline)

    @invariant()
    def milestones_fall_on_working_days_in_stage_order(self) -> None:
        due = self.duty.milestones(CAL, PLAN)
        if self.duty.last_working_day is None:
            assert due == {}
            return
        assert list(due) == list(ORDER)
        days = [due[stage] for stage in ORDER]
        assert days == sorted(days)
        for stage, day in due.items():
            assert CAL.is_workday(day), (stage, day)


DutyMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_a_duty_survives_any_sequence_of_actions = DutyMachine.TestCase
