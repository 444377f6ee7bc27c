"""Replay 2007: the seed notice's duties driven to their end on a simulated clock, in-process.

Every drafting duty starts on 2007-09-11, and its officer uploads the written draft a week and a half later.
Consulted departments reply on scripted days: some with opinions,
some with 无意见, and some never, so that silence counts when the window closes. Opinions are decided; one
review returns a duty for amendment once; every duty reaches its track's terminal state by 2007-12-29.
The scheduler's tick runs at 09:00 on every working day of the replay, so windows close on time and the
reminders and weekly digests of 2007 go to the outbox, dated as they would have been.
The clock is an argument everywhere; nothing here reads the real one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from engine.bootstrap import Workflow, load_rules, mailing_for
from engine.config import Settings
from engine.domain.drafting.compose import compose
from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.drafting.history import History
from engine.domain.drafting.text import DraftText, articles_from_paragraphs
from engine.domain.drafting.versions import DocumentKind
from engine.domain.intake.specs import Catalogue, DutySpec, Track
from engine.domain.ports import Dispatcher, Ports
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.machine import work_for
from engine.domain.workflow.model import Duty, State
from engine.domain.workflow.people import UserRole
from engine.errors import DemoStalled
from engine.services import workflow as wf
from engine.services.accounts import add_user
from engine.services.machine import drafting_of
from engine.services.notices import ingest_notice
from engine.services.reminders.sending import Mailing, send_due

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2007, 9, 11, 9, 0, tzinfo=SHANGHAI)
END = dt.date(2007, 12, 29)
LAST_TICK = dt.date(2007, 12, 31)


@dataclass(frozen=True)
class DemoResult:
    duties: int
    terminal: int
    documents: int
    events: int
    rows: tuple[tuple[str, str, str, int, int], ...]  # id, title, state, documents, events
    mails: int = 0  # reminders and digests sent, counted in mails


def _user(key: str, role: UserRole) -> str:
    return f"{role.value}-{key}"


def setup_people(workflow: Workflow, catalogue: Catalogue) -> None:
    """One officer per lead department, one consultee per consulted department, the office and the reviewer."""
    ports, registry = workflow.ports, workflow.ports.registry
    add_user(
        "admin",
        "系统管理员",
        catalogue.coordinator.department or "maogong",
        ("admin",),
        now=START,
        ports=ports,
    )
    add_user(
        "coordinator",
        "统筹协调员",
        catalogue.coordinator.department or "maogong",
        ("coordinator",),
        now=START,
        ports=ports,
    )
    if catalogue.coordinator.reviewer:
        add_user("reviewer", "审核员", catalogue.coordinator.reviewer, ("reviewer",), now=START, ports=ports)
    for key in sorted({d.lead for d in catalogue.duties if d.lead}):
        add_user(
            _user(key, UserRole.OFFICER),
            f"{registry.get(key).display}承办人",
            key,
            ("officer",),
            now=START,
            ports=ports,
        )
    for key in sorted({c for d in catalogue.duties for c in d.consultees}):
        add_user(
            _user(key, UserRole.CONSULTEE),
            f"{registry.get(key).display}联络员",
            key,
            ("consultee",),
            now=START,
            ports=ports,
        )


class Clock:
    """Simulated time: working days after a start, at a given hour, Asia/Shanghai."""

    def __init__(self, workflow: Workflow) -> None:
        self.calendar = workflow.ports.calendar

    def at(self, day: dt.date, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(self.calendar.on_or_after(day), dt.time(hour), tzinfo=SHANGHAI)

    def after(self, moment: dt.datetime, workdays: int, hour: int = 10) -> dt.datetime:
        return self.at(self.calendar.add_workdays(moment.date(), workdays), hour)


class Settled:
    """A dispatcher that waits until the machine work it asked for is done: the replay's next step needs it.

    In-process that is at once; through Prefect it is when the worker's run has finished the stage.
    """

    def __init__(self, inner: Dispatcher, ports: Ports, *, timeout: float = 180, poll: float = 0.05) -> None:
        self.inner, self.ports, self.timeout, self.poll = inner, ports, timeout, poll

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        self.inner.advance(duty_id, now)
        started = time.monotonic()
        asked = started
        while True:
            with self.ports.uow() as uow:
                if work_for(uow.duties.get(duty_id), now) is None:
                    return
            if time.monotonic() - started > self.timeout:
                raise DemoStalled(duty_id, self.timeout)
            if time.monotonic() - asked > 3:  # a dispatch Prefect refused is sent again; a live one is kept
                self.inner.advance(duty_id, now)
                asked = time.monotonic()
            time.sleep(self.poll)

    def reconcile(self, now: dt.datetime) -> list[str]:
        return self.inner.reconcile(now)


def replay(
    workflow: Workflow,
    settings: Settings,
    *,
    parallel: int = 1,
    duties: int | None = None,
    mailing: Mailing | None = None,
    copies: int = 1,
) -> DemoResult:
    """Run the whole 2007 replay against a fresh database; return what it left behind.

    The duties' scripted actions and the scheduler's daily tick (09:00 on every working day: windows that
    ended, due reminders, the weekly digest) run in the order of their simulated times; at the same moment the
    tick goes first. Reminders go to `mailing` (the settings' outbox when None), dated with the simulated time.
    With `parallel` above 1, that many duties are driven at once between two ticks (each duty's own steps stay
    in order), so a replay through Prefect keeps several workers' runs busy. The result is the same either way.
    `duties` limits the replay to the first few duties of each notice, and `copies` replays that many notices,
    copies of the seed under new ids (`sfb2007-129`, `sfb2007-129-c02`, …), at once (for measurements at scale).
    """
    seed = next(c for c in load_rules(settings).catalogues() if c.notice.id == "sfb2007-129")
    setup_people(workflow, seed)
    catalogues = [seed, *(copy_of(seed, n) for n in range(2, copies + 1))]
    for catalogue in catalogues:
        ingest_notice(catalogue, actor="admin", now=START, ports=workflow.ports)
    settled = replace(workflow, dispatcher=Settled(workflow.dispatcher, workflow.ports))
    clock = Clock(settled)
    post = mailing or mailing_for(settings)
    specs = [spec for c in catalogues for spec in (c.duties[:duties] if duties is not None else c.duties)]
    scripts = [_drive(settled, clock, spec, i) for i, spec in enumerate(specs)]

    def tick(now: dt.datetime) -> None:
        wf.close_due_consultations(now, ports=settled.ports, dispatcher=settled.dispatcher)
        send_due(now, ports=settled.ports, mailing=post)

    _run_timeline(scripts, clock, tick, parallel)
    return _summary(settled, post)


def copy_of(seed: Catalogue, n: int) -> Catalogue:
    """The seed's catalogue as the n-th notice of a replay at scale: the same duties under new ids."""
    notice = replace(seed.notice, id=f"{seed.notice.id}-c{n:02d}", number=f"深府办〔2007〕{1000 + n}号")
    duties = tuple(replace(d, id=d.id.replace(seed.notice.id, notice.id, 1)) for d in seed.duties)
    return replace(seed, notice=notice, duties=duties)


Script = Generator[dt.datetime, None, None]


def _run_timeline(
    scripts: list[Script], clock: Clock, tick: Callable[[dt.datetime], None], parallel: int
) -> None:
    """Step every script up to each day's tick, then run the tick, day by day to the end of the year."""
    upcoming = {i: next(script) for i, script in enumerate(scripts)}

    def step(i: int, until: dt.datetime) -> None:
        while i in upcoming and upcoming[i] < until:
            try:
                upcoming[i] = scripts[i].send(None)
            except StopIteration:
                del upcoming[i]

    day = START.date()
    with ThreadPoolExecutor(max(1, parallel)) as pool:
        while day <= LAST_TICK:
            at = dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)
            due = [i for i, when in upcoming.items() if when < at]
            for future in [pool.submit(step, i, at) for i in due]:
                future.result()
            if clock.calendar.is_workday(day):
                tick(at)
            day += dt.timedelta(days=1)
        for future in [
            pool.submit(step, i, dt.datetime.max.replace(tzinfo=SHANGHAI)) for i in list(upcoming)
        ]:
            future.result()


def _duty(workflow: Workflow, duty_id: str) -> Duty:
    with workflow.ports.uow() as uow:
        return uow.duties.get(duty_id)


OPINIONS = (
    OpinionInput("第二条", "建议在适用范围中写明服务外包企业的认定条件。"),
    OpinionInput("第四条", "建议增加资金拨付和绩效评价的具体时限。"),
)


def _revise(workflow: Workflow, duty_id: str, officer: str, now: dt.datetime) -> None:
    """The officer writes the substantive articles in place of the skeleton's placeholders and uploads them."""
    duty = _duty(workflow, duty_id)
    with workflow.ports.uow() as uow:
        notice = uow.notices.get(duty.notice_id)
    assert notice is not None
    drafting = drafting_of(duty, notice, workflow.ports, now)
    lead = drafting.parties.lead.name
    noun = "条例" if duty.spec.track is Track.LEGISLATIVE else "办法"
    subject = (duty.spec.document or duty.spec.title or "").rstrip(noun)
    paragraphs = (
        duty.spec.title or "",
        "第一章　总则",
        f"第一条　为了做好{subject}工作，根据《{notice.info.title}》（{notice.info.number}），结合本市实际，制定本{noun}。",
        f"第二条　本{noun}适用于本市行政区域内与{subject}有关的管理和服务活动。",
        f"第三条　{lead}负责本{noun}的组织实施，有关部门按照各自职责做好相关工作。",
        "第二章　管理措施",
        f"第四条　{lead}应当建立工作台账，按季度向服务外包工作领导小组办公室报送实施情况。",
        "第三章　附则",
        f"第五条　本{noun}由{lead}负责解释。",
        f"第六条　本{noun}自2008年1月1日起施行，有效期5年。",
    )
    text = DraftText(paragraphs, articles_from_paragraphs(paragraphs))
    content = compose(
        DocumentKind.DRAFT, replace(drafting, history=History(text=text)), workflow.ports.wording
    )
    wf.upload_draft(
        duty_id,
        workflow.ports.render(content),
        "修改稿.docx",
        actor=officer,
        now=now,
        ports=workflow.ports,
        dispatcher=workflow.dispatcher,
    )


def _consult(
    workflow: Workflow, clock: Clock, duty_id: str, officer: str, index: int
) -> Generator[dt.datetime, None, dt.datetime]:
    """Open the round, let departments reply or stay silent, close it at the window's end, decide opinions."""
    ports, dispatch = workflow.ports, workflow.dispatcher
    opened = clock.after(START, 10 + index % 3)
    yield clock.after(START, 7)
    _revise(workflow, duty_id, officer, clock.after(START, 7))
    yield opened
    wf.open_consultation(duty_id, actor=officer, now=opened, ports=ports, dispatcher=dispatch)
    duty = _duty(workflow, duty_id)
    replies = []
    for n, request in enumerate(duty.current_requests()):
        script, who = (index + n) % 3, _user(request.consultee, UserRole.CONSULTEE)
        if script != 2:
            replies.append(
                (clock.after(opened, 3 if script == 0 else 5), who, OPINIONS if script == 0 else ())
            )
    for when, who, opinions in sorted(replies, key=lambda r: r[0]):
        yield when
        wf.record_opinion(duty_id, opinions, actor=who, now=when, ports=ports)
    closed = clock.at(max(r.due for r in duty.current_requests()) + dt.timedelta(days=1), 9)
    yield closed
    dispatch.advance(duty_id, closed)  # the scheduler's tick at this moment has closed it already
    yield clock.after(closed, 1)
    for k, item in enumerate(_duty(workflow, duty_id).undecided()):
        decision, reason = (
            (Decision.ADOPTED, "已在修改稿中补充。")
            if k % 2 == 0
            else (Decision.NOT_ADOPTED, "属于实施细则层面的内容，拟在配套文件中规定。")
        )
        wf.decide_opinion(
            duty_id, item.id, decision, reason, actor=officer, now=clock.after(closed, 1), ports=ports
        )
    return clock.after(closed, 3)


def _review(
    workflow: Workflow, clock: Clock, duty_id: str, officer: str, submitted: dt.datetime, index: int
) -> Generator[dt.datetime, None, dt.datetime]:
    """The legal office reviews; the second duty is returned once for amendment and resubmitted."""
    ports, dispatch = workflow.ports, workflow.dispatcher
    reviewed = clock.after(submitted, 5)
    if index == 1:
        opinion = "第四条设定的资金追缴措施缺乏上位法依据，应当予以修改。"
        yield reviewed
        wf.record_review(
            duty_id,
            Legality.TO_AMEND,
            opinion,
            actor="reviewer",
            now=reviewed,
            ports=ports,
            dispatcher=dispatch,
        )
        resubmitted = clock.after(reviewed, 2)
        yield resubmitted
        wf.submit_for_review(duty_id, actor=officer, now=resubmitted, ports=ports, dispatcher=dispatch)
        reviewed = clock.after(resubmitted, 3)
    yield reviewed
    wf.record_review(
        duty_id, Legality.LAWFUL, "", actor="reviewer", now=reviewed, ports=ports, dispatcher=dispatch
    )
    approved = clock.after(reviewed, 2)
    yield approved
    wf.deliberate(duty_id, True, "", actor="coordinator", now=approved, ports=ports, dispatcher=dispatch)
    return clock.after(approved, 1)


def _finish(
    workflow: Workflow, clock: Clock, duty: Duty, officer: str, when: dt.datetime, index: int
) -> Script:
    """Publish and file a 规范性文件 or 规章; forward a 法规草案 to the legislative track."""
    ports, dispatch = workflow.ports, workflow.dispatcher
    yield when
    if duty.spec.track is Track.LEGISLATIVE:
        wf.forward(
            duty.id,
            "报送市政府法制办，列入立法计划",
            actor=officer,
            now=when,
            ports=ports,
            dispatcher=dispatch,
        )
        return
    display = ports.registry.get(duty.spec.lead or "").display
    number = f"深{display.removeprefix('市').removesuffix('局')[:2]}〔2007〕{index + 1}号"
    effective = when.date() + dt.timedelta(days=30) if duty.spec.track is Track.RULE else dt.date(2008, 1, 1)
    wf.publish(
        duty.id, number, when.date(), effective, actor=officer, now=when, ports=ports, dispatcher=dispatch
    )
    yield clock.after(when, 1)
    wf.file_duty(
        duty.id,
        clock.after(when, 1).date(),
        actor=officer,
        now=clock.after(when, 1),
        ports=ports,
        dispatcher=dispatch,
    )


def _drive(workflow: Workflow, clock: Clock, spec: DutySpec, index: int) -> Script:
    """One duty's script: it yields the simulated time of its next action before taking it."""
    officer, duty_id = _user(spec.lead or "", UserRole.OFFICER), spec.id
    started = START.replace(minute=30)
    yield started
    wf.start_duty(duty_id, actor=officer, now=started, ports=workflow.ports, dispatcher=workflow.dispatcher)
    submitted = yield from _consult(workflow, clock, duty_id, officer, index)
    yield submitted
    wf.submit_for_review(
        duty_id, actor=officer, now=submitted, ports=workflow.ports, dispatcher=workflow.dispatcher
    )
    publish_on = yield from _review(workflow, clock, duty_id, officer, submitted, index)
    if publish_on.date() > END:
        raise RuntimeError(f"{duty_id} would finish after {END}: the script needs shorter steps")
    yield from _finish(workflow, clock, _duty(workflow, duty_id), officer, publish_on, index)


def _summary(workflow: Workflow, mailing: Mailing) -> DemoResult:
    with workflow.ports.uow() as uow:
        duties = uow.duties.list()
    rows = tuple(
        (d.id, d.spec.title or "", d.state.value, len(workflow.ports.documents.versions(d.id)), len(d.events))
        for d in duties
    )
    terminal = sum(1 for d in duties if d.state in (State.FILED, State.FORWARDED))
    with workflow.ports.uow() as uow:
        sent = [s for s in uow.reminders.list(pending_only=False) if s.status == "sent"]
    mails = len({s.message_id for s in sent})
    return DemoResult(len(duties), terminal, sum(r[3] for r in rows), sum(r[4] for r in rows), rows, mails)
