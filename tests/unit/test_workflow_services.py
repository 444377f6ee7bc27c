"""The workflow and notice services on in-memory fakes: each verb, each refusal, no database and no Word.

tests/integration/test_workflow.py runs the same services on SQLite and PostgreSQL; here every behaviour is
checked against the fake unit of work (tests/support/memory.py) in milliseconds, with a dispatcher that only
records what it was asked to advance. Each verb below is built for an actor and run on a `World`, so that the
procedure and the refusals read as tables.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Self

import pytest

from engine.domain.drafting.decisions import Decision, Legality, ReplyKind
from engine.domain.drafting.policy import Policy
from engine.domain.drafting.versions import DocumentKind, Origin
from engine.domain.intake.specs import Catalogue
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.model import Duty, State
from engine.domain.workflow.people import UserRole
from engine.errors import (
    ConcurrencyConflict,
    DutyNotFound,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
    UnknownDepartment,
    UnknownUser,
    UploadRejected,
    UserExists,
)
from engine.services import workflow as wf
from engine.services.accounts import add_user, update_user
from engine.services.notices import ingest_notice
from engine.services.workflow import Outcome
from tests.support.docx_fixtures import made_by_python_docx, ole_file
from tests.support.memory import InMemoryUnitOfWork, MemoryDatabase, MemoryDuties
from tests.support.workflows import SAMPLE, at

if TYPE_CHECKING:
    from tests.unit.conftest import World

Act = Callable[["World"], Outcome]
OPINION = f"{SAMPLE}.r1.maogong.1"  # <duty>.r<round>.<consultee>.<n>, stable by design
CO_CONSULTED = "sfb2007-129-01-03-1-maogong"  # led by 市贸工局; consults 市财政局 and 市科技和信息局
LEGISLATIVE = "sfb2007-129-05-01-1-zhishichanquan"  # 五(一): a 法规草案 for the 市人大常委会
REVISION = made_by_python_docx(
    "深圳市服务外包人才培训资助资金使用和监管办法",
    "第一条　为了规范资助资金管理，制定本办法。",
    "第二条　资助资金实行专款专用。",
)
ONE_OPINION = (OpinionInput("第四条", "建议明确资助标准"),)
SEALED = b"%PDF-1.4 a scanned letter with a seal"

# --- the verbs, for an actor ---------------------------------------------------------------------------------


def start_by(actor: str, duty: str = SAMPLE, when: str = "2007-09-11") -> Act:
    return lambda w: wf.start_duty(duty, actor=actor, now=at(when), ports=w.ports, dispatcher=w.dispatcher)


def open_by(actor: str, when: str = "2007-09-28") -> Act:
    return lambda w: wf.open_consultation(
        SAMPLE, actor=actor, now=at(when), ports=w.ports, dispatcher=w.dispatcher
    )


def reply_by(
    actor: str,
    opinions: tuple[OpinionInput, ...] = ONE_OPINION,
    files: tuple[tuple[int, bytes, str], ...] = (),
    duty: str = SAMPLE,
    department: str | None = None,
    when: str = "2007-10-08",
) -> Act:
    return lambda w: wf.record_opinion(
        duty, opinions, actor=actor, now=at(when), ports=w.ports, files=files, department=department
    )


def close_by(actor: str, when: str = "2007-10-09") -> Act:
    return lambda w: wf.close_consultation(
        SAMPLE, actor=actor, now=at(when), ports=w.ports, dispatcher=w.dispatcher
    )


def decide_by(
    actor: str, decision: Decision = Decision.ADOPTED, reason: str = "", opinion: str = OPINION
) -> Act:
    return lambda w: wf.decide_opinion(
        SAMPLE, opinion, decision, reason, actor=actor, now=at("2007-10-10"), ports=w.ports
    )


def submit_by(actor: str, when: str = "2007-10-11") -> Act:
    return lambda w: wf.submit_for_review(
        SAMPLE, actor=actor, now=at(when), ports=w.ports, dispatcher=w.dispatcher
    )


def review_by(actor: str, outcome: Legality = Legality.LAWFUL, opinion: str = "") -> Act:
    return lambda w: wf.record_review(
        SAMPLE, outcome, opinion, actor=actor, now=at("2007-10-18"), ports=w.ports, dispatcher=w.dispatcher
    )


def deliberate_by(actor: str, approved: bool = True, reason: str = "") -> Act:
    return lambda w: wf.deliberate(
        SAMPLE, approved, reason, actor=actor, now=at("2007-10-22"), ports=w.ports, dispatcher=w.dispatcher
    )


def publish_by(actor: str, number: str = "深财〔2007〕35号", effective: dt.date = dt.date(2008, 1, 1)) -> Act:
    return lambda w: wf.publish(
        SAMPLE,
        number,
        dt.date(2007, 10, 23),
        effective,
        actor=actor,
        now=at("2007-10-23"),
        ports=w.ports,
        dispatcher=w.dispatcher,
    )


def file_by(actor: str, filed_on: dt.date = dt.date(2007, 10, 25)) -> Act:
    return lambda w: wf.file_duty(
        SAMPLE, filed_on, actor=actor, now=at("2007-10-25"), ports=w.ports, dispatcher=w.dispatcher
    )


def forward_by(actor: str) -> Act:
    return lambda w: wf.forward(
        SAMPLE, "", actor=actor, now=at("2007-10-23"), ports=w.ports, dispatcher=w.dispatcher
    )


def withdraw_by(actor: str, reason: str = "与他项合并") -> Act:
    return lambda w: wf.withdraw(SAMPLE, reason, actor=actor, now=at("2007-10-30"), ports=w.ports)


def extend_by(actor: str, deadline: dt.date = dt.date(2008, 3, 31)) -> Act:
    return lambda w: wf.extend_deadline(
        SAMPLE, deadline, "需补充调研", actor=actor, now=at("2007-10-08"), ports=w.ports
    )


def reassign_by(actor: str, lead: str = "renshi", when: str = "2007-09-20") -> Act:
    return lambda w: wf.reassign(SAMPLE, lead, "职能调整", actor=actor, now=at(when), ports=w.ports)


def upload_by(
    actor: str, data: bytes = REVISION, filename: str = "修改稿.docx", when: str = "2007-09-20"
) -> Act:
    return lambda w: wf.upload_draft(
        SAMPLE, data, filename, actor=actor, now=at(when), ports=w.ports, dispatcher=w.dispatcher
    )


class Step(NamedTuple):
    """One verb of the procedure on SAMPLE, and the audit event it must leave."""

    name: str
    verb: Callable[[str], Act]
    actor: str
    action: str
    before: State
    after: State
    at: dt.datetime
    dispatches: bool = True

    def act(self, world: World) -> Outcome:
        return self.verb(self.actor)(world)


S = State
PROCEDURE = (
    Step("started", start_by, "zhang", "start", S.NOT_STARTED, S.DRAFTING, at("2007-09-11")),
    Step("consulting", open_by, "zhang", "open_consultation", S.DRAFTING, S.CONSULTING, at("2007-09-28")),
    Step("replied", reply_by, "li", "reply", S.CONSULTING, S.CONSULTING, at("2007-10-08"), False),
    Step("revising", close_by, "zhang", "close_consultation", S.CONSULTING, S.REVISING, at("2007-10-09")),
    Step("decided", decide_by, "zhang", "decide", S.REVISING, S.REVISING, at("2007-10-10"), False),
    Step("reviewing", submit_by, "zhang", "submit", S.REVISING, S.REVIEWING, at("2007-10-11")),
    Step("deliberating", review_by, "fa", "review_lawful", S.REVIEWING, S.DELIBERATING, at("2007-10-18")),
    Step("approved", deliberate_by, "office", "approve", S.DELIBERATING, S.APPROVED, at("2007-10-22")),
    Step("published", publish_by, "zhang", "publish", S.APPROVED, S.PUBLISHED, at("2007-10-23")),
    Step("filed", file_by, "zhang", "file", S.PUBLISHED, S.FILED, at("2007-10-25")),
)


def _bring(world: World, upto: str) -> None:
    """Take SAMPLE through the procedure up to the named step, then forget what the dispatcher saw."""
    if upto != "ingested":
        names = [s.name for s in PROCEDURE]
        for step in PROCEDURE[: names.index(upto) + 1]:
            step.act(world)
    world.fresh_dispatcher()


Refusal = type[Exception] | tuple[type[Exception], ...]


def _refused(world: World, error: Refusal, act: Callable[[World], object], match: str | None = None) -> None:
    """The action raises, and nothing is committed, no document stored and no duty dispatched."""
    before = world.snapshot()
    with pytest.raises(error, match=match):
        act(world)
    assert world.snapshot() == before
    assert world.dispatcher.advanced == []


# --- the procedure, verb by verb ---------------------------------------------------------------------------


def test_each_verb_moves_the_duty_as_the_procedure_says_and_records_who_and_when(world: World) -> None:
    for step in PROCEDURE:
        world.fresh_dispatcher()
        outcome = step.act(world)
        duty = world.duty()
        event = duty.events[-1]
        assert (event.actor, event.action, event.from_state, event.to_state, event.at) == (
            (step.actor, step.action, step.before, step.after, step.at)
        ), step.name
        assert (outcome.duty_id, outcome.state, outcome.stage_version) == (
            SAMPLE,
            step.after,
            duty.stage_version,
        )
        assert outcome.version <= duty.version, step.name  # the machine work after it may save the duty again
        assert [e.seq for e in duty.events] == list(range(1, len(duty.events) + 1))
        if step.dispatches:
            assert world.dispatcher.advanced == [(SAMPLE, step.at)], step.name
            assert world.dispatcher.saw == [step.after], f"{step.name}: dispatched before its commit"
        else:
            assert world.dispatcher.advanced == [], step.name
    assert [e.action for e in world.duty().events] == ["ingest", *(s.action for s in PROCEDURE)]


def test_a_transition_bumps_the_stage_version_and_an_action_in_place_does_not(world: World) -> None:
    assert [step.act(world).stage_version for step in PROCEDURE] == [1, 2, 2, 3, 3, 4, 5, 6, 7, 8]


def test_starting_a_duty_plans_its_reminders_in_the_same_transaction(world: World) -> None:
    assert world.reminders() == {}
    start_by("zhang")(world)
    planned = world.reminders()
    assert planned and set(planned.values()) == {"pending"}
    assert any(":before:drafting:" in key for key in planned)


def test_a_coordinator_may_start_a_duty_of_any_department(world: World) -> None:
    assert start_by("office")(world).state is State.DRAFTING
    assert world.duty().events[-1].actor == "office"


REFUSALS: list[tuple[str, str, Act, type[Exception]]] = [
    ("ingested", "start by another department's officer", start_by("wang"), Forbidden),
    ("ingested", "start by a consultee", start_by("li"), Forbidden),
    ("ingested", "start by an unknown user", start_by("nobody"), UnknownUser),
    ("ingested", "start of an unknown duty", start_by("zhang", "no-such-duty"), DutyNotFound),
    ("ingested", "upload before the start", upload_by("zhang"), IllegalTransition),
    ("started", "start twice", start_by("zhang"), IllegalTransition),
    ("started", "upload by another department's officer", upload_by("wang"), Forbidden),
    ("started", "submit before consulting", submit_by("zhang"), IllegalTransition),
    ("started", "close a consultation never opened", close_by("zhang"), IllegalTransition),
    ("started", "reply before the consultation", reply_by("li"), IllegalTransition),
    ("started", "review before submission", review_by("fa"), IllegalTransition),
    ("started", "withdraw by the lead officer", withdraw_by("zhang"), Forbidden),
    ("started", "withdraw without a reason", withdraw_by("office", " "), IllegalTransition),
    ("started", "extend by the lead officer", extend_by("zhang"), Forbidden),
    (
        "started",
        "extend to an earlier deadline",
        extend_by("office", dt.date(2007, 11, 30)),
        IllegalTransition,
    ),
    ("started", "reassign by the lead officer", reassign_by("zhang"), Forbidden),
    ("started", "reassign to the same lead", reassign_by("office", "市财政局"), IllegalTransition),
    ("started", "reassign to an unknown department", reassign_by("office", "火星局"), UnknownDepartment),
    ("consulting", "open a consultation twice", open_by("zhang"), IllegalTransition),
    ("consulting", "upload while consulting", upload_by("zhang", when="2007-10-08"), IllegalTransition),
    ("consulting", "close early by another department's officer", close_by("wang"), Forbidden),
    (
        "decided",
        "decide an opinion that does not exist",
        decide_by("zhang", opinion="nope"),
        IllegalTransition,
    ),
    ("reviewing", "review by the lead officer", review_by("zhang"), Forbidden),
    ("reviewing", "review by the coordinator", review_by("office"), Forbidden),
    ("reviewing", "publish before deliberation", publish_by("zhang"), IllegalTransition),
    ("deliberating", "deliberation by the lead officer", deliberate_by("zhang"), Forbidden),
    ("approved", "forward a normative document", forward_by("zhang"), IllegalTransition),
    ("approved", "file before publication", file_by("zhang"), IllegalTransition),
    ("approved", "publish by a consultee", publish_by("li"), Forbidden),
    ("filed", "withdraw a filed duty", withdraw_by("office"), IllegalTransition),
]


@pytest.mark.parametrize(
    ("setup", "act", "error"), [(s, a, e) for s, _, a, e in REFUSALS], ids=[r[1] for r in REFUSALS]
)
def test_a_refused_action_changes_nothing_and_dispatches_nothing(
    world: World, setup: str, act: Act, error: type[Exception]
) -> None:
    _bring(world, setup)
    _refused(world, error, act)


def test_an_illegal_transition_names_the_state_it_found(world: World) -> None:
    with pytest.raises(IllegalTransition, match="未启动"):
        submit_by("zhang")(world)


# --- uploads -------------------------------------------------------------------------------------------------


def test_an_uploaded_revision_is_kept_as_the_next_draft_version_and_recorded(world: World) -> None:
    _bring(world, "started")
    outcome = upload_by("zhang")(world)
    generated, version = world.ports.documents.versions(SAMPLE, DocumentKind.DRAFT)
    assert (generated.origin, version.version) == (Origin.GENERATED, 2)
    assert (version.origin, version.author, version.created, version.filename) == (
        (Origin.UPLOADED, "zhang", at("2007-09-20"), "修改稿.docx")
    )
    assert world.ports.documents.read(version.id) == REVISION
    event = world.duty().events[-1]
    assert (event.action, event.actor, event.reason) == ("upload", "zhang", version.id)
    assert outcome.state is State.DRAFTING and world.dispatcher.advanced == [(SAMPLE, at("2007-09-20"))]


def test_the_same_revision_uploaded_twice_is_one_version_and_one_event(world: World) -> None:
    _bring(world, "started")
    upload_by("zhang")(world)
    before = world.duty()
    again = upload_by("zhang", when="2007-09-21")(world)
    assert [v.version for v in world.ports.documents.versions(SAMPLE, DocumentKind.DRAFT)] == [1, 2]
    assert world.duty() == before and again.note == "与最新版本相同，未重复保存"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        ("第一条 plain text".encode(), "修改稿.txt"),
        (b"PK\x03\x04 not really a zip", "修改稿.docx"),
        (ole_file("WordDocument"), "修改稿.doc"),
        (b"", "修改稿.docx"),
        (REVISION[: len(REVISION) // 2], "修改稿.docx"),
    ],
    ids=["text", "broken-zip", "word-97", "empty", "truncated"],
)
def test_an_upload_that_is_not_a_sound_docx_is_refused_before_anything_is_stored(
    world: World, data: bytes, filename: str
) -> None:
    _bring(world, "started")
    before = world.documents()
    _refused(world, UploadRejected, upload_by("zhang", data, filename))
    assert world.documents() == before


# --- consultation --------------------------------------------------------------------------------------------


def test_opening_a_consultation_sends_each_consultee_a_request_due_in_seven_working_days(
    world: World,
) -> None:
    _bring(world, "consulting")
    [request] = world.duty().requests
    assert (request.round, request.consultee, request.sent_on, request.due, request.reply) == (
        (1, "maogong", dt.date(2007, 9, 28), dt.date(2007, 10, 12), None)  # over the National Day holiday
    )
    assert any(":reply-due:" in key and status == "pending" for key, status in world.reminders().items())


def test_a_reply_records_its_opinions_with_stable_ids_and_who_gave_them(world: World) -> None:
    _bring(world, "consulting")
    opinions = (*ONE_OPINION, OpinionInput("第九条", "建议删除"))
    assert reply_by("li", opinions)(world).state is State.CONSULTING
    duty = world.duty()
    assert [(o.id, o.clause, o.text, o.author, o.ruling) for o in duty.opinions] == [
        (f"{SAMPLE}.r1.maogong.1", "第四条", "建议明确资助标准", "li", None),
        (f"{SAMPLE}.r1.maogong.2", "第九条", "建议删除", "li", None),
    ]
    [request] = duty.requests
    assert (request.reply, request.replied_by, request.replied_at) == (
        ReplyKind.OPINIONS,
        "li",
        at("2007-10-08"),
    )
    assert duty.events[-1].reason == "maogong"


def test_an_empty_reply_is_recorded_as_no_objection(world: World) -> None:
    _bring(world, "consulting")
    reply_by("li", ())(world)
    duty = world.duty()
    assert [r.reply for r in duty.requests] == [ReplyKind.NO_OBJECTION] and duty.opinions == []


def test_a_department_replies_once_per_round(world: World) -> None:
    _bring(world, "replied")
    _refused(world, IllegalTransition, reply_by("li", ()), match="已答复")


def test_a_consultee_of_a_department_not_consulted_is_refused(world: World) -> None:
    _bring(world, "consulting")
    _refused(world, Forbidden, reply_by("zhao", ()))


def _co_consulted(world: World) -> None:
    """Open CO_CONSULTED's consultation (市财政局 and 市科技和信息局), with a contact in each."""
    world.add_person("ma", "马承办", "maogong", "officer")
    world.add_person("qian", "钱联络", "caizheng", "consultee")
    world.add_person("sun", "孙联络", "keji", "consultee")
    p, d = world.ports, world.dispatcher
    wf.start_duty(CO_CONSULTED, actor="ma", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(CO_CONSULTED, actor="ma", now=at("2007-09-28"), ports=p, dispatcher=d)
    world.fresh_dispatcher()


def _replies(world: World, duty_id: str) -> dict[str, tuple[ReplyKind | None, str | None]]:
    return {r.consultee: (r.reply, r.replied_by) for r in world.duty(duty_id).requests}


def test_each_consulted_department_answers_for_itself(world: World) -> None:
    _co_consulted(world)
    reply_by("qian", (), duty=CO_CONSULTED)(world)
    assert _replies(world, CO_CONSULTED) == {
        "caizheng": (ReplyKind.NO_OBJECTION, "qian"),
        "keji": (None, None),
    }


def test_a_consultee_naming_another_consulted_department_is_refused(world: World) -> None:
    _co_consulted(world)
    _refused(world, Forbidden, reply_by("qian", (), duty=CO_CONSULTED, department="keji"))


def test_an_admin_naming_a_department_records_the_reply_for_it(world: World) -> None:
    _co_consulted(world)
    reply_by("admin", (), duty=CO_CONSULTED, department="keji")(world)
    assert _replies(world, CO_CONSULTED) == {
        "caizheng": (None, None),
        "keji": (ReplyKind.NO_OBJECTION, "admin"),
    }


def test_an_admin_naming_a_department_that_was_not_consulted_is_refused(world: World) -> None:
    _co_consulted(world)
    _refused(world, IllegalTransition, reply_by("admin", (), duty=CO_CONSULTED, department="renshi"))


# --- attachments ---------------------------------------------------------------------------------------------


def test_attachments_are_kept_under_the_department_and_listed_on_their_opinion(world: World) -> None:
    _bring(world, "consulting")
    opinions = (*ONE_OPINION, OpinionInput("第九条", "建议删除"))
    files = ((0, SEALED, "复函.pdf"), (1, b"\x00\x01 unknown", "印鉴.seal"), (0, b"\x89PNG scan", "附图.png"))
    reply_by("li", opinions, files)(world)
    kept = {v.filename: v for v in world.ports.documents.versions(SAMPLE, DocumentKind.ATTACHMENT)}
    assert {name: (v.variant, v.author, v.origin, v.media_type) for name, v in kept.items()} == {
        "复函.pdf": ("maogong", "li", Origin.UPLOADED, "application/pdf"),
        "印鉴.seal": ("maogong", "li", Origin.UPLOADED, "application/octet-stream"),
        "附图.png": ("maogong", "li", Origin.UPLOADED, "image/png"),
    }
    first, second = world.duty().opinions
    assert first.attachments == (kept["复函.pdf"].id, kept["附图.png"].id)
    assert second.attachments == (kept["印鉴.seal"].id,)
    assert world.ports.documents.read(kept["复函.pdf"].id) == SEALED


@pytest.mark.parametrize(
    ("setup", "actor", "error"),
    [
        ("consulting", "zhao", Forbidden),
        ("started", "li", IllegalTransition),
        ("consulting", "nobody", UnknownUser),
    ],
    ids=["department-not-consulted", "no-consultation-open", "unknown-user"],
)
def test_the_attachments_of_a_refused_reply_are_not_stored(
    world: World, setup: str, actor: str, error: type[Exception]
) -> None:
    _bring(world, setup)
    _refused(world, error, reply_by(actor, files=((0, SEALED, "复函.pdf"),)))


def test_an_empty_attachment_is_refused_and_the_reply_not_recorded(world: World) -> None:
    _bring(world, "consulting")
    _refused(world, UploadRejected, reply_by("li", files=((0, b"", "空.pdf"),)))


def test_a_reply_whose_second_attachment_is_refused_stores_none_of_them(world: World) -> None:
    _bring(world, "consulting")
    _refused(world, UploadRejected, reply_by("li", files=((0, SEALED, "复函.pdf"), (0, b"", "空.pdf"))))


def test_an_attachment_naming_no_opinion_is_refused_before_it_is_stored(world: World) -> None:
    _bring(world, "consulting")
    _refused(
        world, (IllegalTransition, UploadRejected, InvalidInput), reply_by("li", (), ((3, SEALED, "x.pdf"),))
    )


def test_a_no_objection_reply_carries_its_sealed_letter_as_the_replys_own_attachment(world: World) -> None:
    _bring(world, "consulting")
    reply_by("li", (), ((wf.REPLY, SEALED, "无意见复函.pdf"),))(world)
    with world.ports.reading() as uow:
        duty = uow.duties.get(SAMPLE)
    (request,) = [r for r in duty.requests if r.consultee == "maogong"]
    assert request.reply is ReplyKind.NO_OBJECTION and len(request.attachments) == 1
    assert world.ports.documents.read(request.attachments[0]) == SEALED
    assert duty.opinions == []


# --- closing the consultation --------------------------------------------------------------------------------


def test_an_officer_may_close_early_only_once_every_reply_is_in(world: World) -> None:
    _bring(world, "consulting")
    _refused(world, IllegalTransition, close_by("zhang"), match="期限未到")
    reply_by("li")(world)
    assert close_by("zhang")(world).state is State.REVISING
    assert world.dispatcher.advanced == [(SAMPLE, at("2007-10-09"))]
    assert [r.reply for r in world.duty().requests] == [ReplyKind.OPINIONS]


def test_an_officer_closing_after_the_window_records_silence_as_no_objection(world: World) -> None:
    _bring(world, "consulting")
    close_by("zhang", "2007-10-15")(world)
    duty = world.duty()
    assert [(r.reply, r.replied_by) for r in duty.requests] == [(ReplyKind.SILENT, None)]
    assert duty.events[-1].reason == "逾期未反馈的视为无意见"


def test_when_silence_is_not_consent_the_close_does_not_say_so(world: World) -> None:
    _bring(world, "consulting")
    world.ports = dataclasses.replace(world.ports, policy=Policy(silence_is_consent=False))
    close_by("zhang", "2007-10-15")(world)
    duty = world.duty()
    assert [r.reply for r in duty.requests] == [ReplyKind.SILENT] and duty.events[-1].reason == ""


def test_closing_cancels_the_reply_reminders_still_pending(world: World) -> None:
    _bring(world, "consulting")
    reply_due = {k for k in world.reminders() if ":reply-due:" in k}
    assert reply_due
    reply_by("li")(world)
    close_by("zhang")(world)
    assert {world.reminders()[k] for k in reply_due} == {"cancelled"}


def test_close_due_consultations_asks_to_advance_only_the_duties_whose_window_ended(world: World) -> None:
    _bring(world, "consulting")
    p, d = world.ports, world.fresh_dispatcher(work=False)
    before = world.snapshot()
    assert wf.close_due_consultations(at("2007-10-12", 18), ports=p, dispatcher=d) == []  # the due day itself
    assert d.advanced == []
    assert wf.close_due_consultations(at("2007-10-13", 9), ports=p, dispatcher=d) == [SAMPLE]
    assert d.advanced == [(SAMPLE, at("2007-10-13", 9))]
    assert world.snapshot() == before  # closing is the dispatched run's work, not this one's


def test_close_due_consultations_skips_a_consultation_already_closed(world: World) -> None:
    _bring(world, "revising")
    assert wf.close_due_consultations(at("2007-10-15"), ports=world.ports, dispatcher=world.dispatcher) == []
    assert world.dispatcher.advanced == []


# --- decisions, review, deliberation -------------------------------------------------------------------------


def test_each_opinion_is_decided_once_and_only_adoption_needs_no_reason(world: World) -> None:
    _bring(world, "revising")
    partly = Decision.PARTLY_ADOPTED
    _refused(world, IllegalTransition, decide_by("zhang", partly, " "), match="须说明理由")
    decide_by("zhang", partly, "标准另行规定")(world)
    _refused(world, IllegalTransition, decide_by("zhang", Decision.ADOPTED), match="已作出处理")
    ruling = world.duty().opinions[0].ruling
    assert ruling is not None
    assert (ruling.decision, ruling.reason, ruling.by, ruling.at) == (
        partly,
        "标准另行规定",
        "zhang",
        at("2007-10-10"),
    )


def test_an_opinion_may_be_decided_while_the_consultation_is_still_open(world: World) -> None:
    _bring(world, "replied")
    assert decide_by("zhang")(world).state is State.CONSULTING
    assert world.duty().opinions[0].ruling is not None


def test_only_the_lead_officer_decides_an_opinion(world: World) -> None:
    _bring(world, "revising")
    _refused(world, Forbidden, decide_by("li"))


def test_a_duty_with_an_undecided_opinion_cannot_be_submitted(world: World) -> None:
    _bring(world, "revising")
    _refused(world, IllegalTransition, submit_by("zhang"), match="1 条意见未作处理")
    decide_by("zhang")(world)
    assert submit_by("zhang")(world).state is State.REVIEWING


@pytest.mark.parametrize("outcome", [Legality.TO_AMEND, Legality.UNLAWFUL])
def test_a_review_that_is_not_lawful_returns_the_duty_with_its_opinion(
    world: World, outcome: Legality
) -> None:
    _bring(world, "reviewing")
    _refused(world, IllegalTransition, review_by("fa", outcome, ""), match="审核意见不能为空")
    assert review_by("fa", outcome, "第六条超越权限")(world).state is State.RETURNED
    duty = world.duty()
    assert [(r.outcome, r.opinion, r.reviewer) for r in duty.reviews] == [(outcome, "第六条超越权限", "fa")]
    assert duty.events[-1].reason == f"{outcome.value}：第六条超越权限"
    assert world.dispatcher.advanced == [(SAMPLE, at("2007-10-18"))]


def test_a_returned_duty_is_revised_and_consulted_again_in_a_new_round(world: World) -> None:
    _bring(world, "reviewing")
    review_by("fa", Legality.TO_AMEND, "补充依据")(world)
    upload_by("zhang", when="2007-10-19")(world)
    open_by("zhang", "2007-10-22")(world)
    duty = world.duty()
    assert duty.state is State.CONSULTING and duty.round == 2
    assert [(r.round, r.consultee, r.reply) for r in duty.current_requests()] == [(2, "maogong", None)]
    reply_by("li", (), when="2007-10-23")(world)
    assert [r.reply for r in world.duty().requests] == [ReplyKind.OPINIONS, ReplyKind.NO_OBJECTION]


def test_a_duty_returned_by_the_deliberation_may_go_straight_back_to_review(world: World) -> None:
    _bring(world, "deliberating")
    _refused(world, IllegalTransition, deliberate_by("office", False, ""), match="须说明理由")
    assert deliberate_by("office", False, "需再论证")(world).state is State.RETURNED
    assert world.duty().events[-1].action == "return"
    assert submit_by("zhang", "2007-10-24")(world).state is State.REVIEWING


# --- publication, forwarding, filing -------------------------------------------------------------------------


def test_publication_and_filing_are_recorded_and_filing_ends_the_duty(world: World) -> None:
    _bring(world, "filed")
    duty, publication = world.duty(), world.duty().publication
    assert publication is not None
    assert (publication.number, publication.effective_on, publication.filed_on) == (
        ("深财〔2007〕35号", dt.date(2008, 1, 1), dt.date(2007, 10, 25))
    )
    assert duty.state.terminal and "pending" not in world.reminders().values()


@pytest.mark.parametrize(
    ("act", "why"),
    [
        (publish_by("zhang", number="深财2007第35号"), "文号格式"),
        (publish_by("zhang", effective=dt.date(2007, 10, 1)), "施行日期"),
    ],
    ids=["number", "effective-date"],
)
def test_a_malformed_number_or_an_effective_date_before_publication_is_refused(
    world: World, act: Act, why: str
) -> None:
    _bring(world, "approved")
    _refused(world, IllegalTransition, act, match=why)


def test_a_filing_date_before_publication_is_refused(world: World) -> None:
    _bring(world, "published")
    _refused(world, IllegalTransition, file_by("zhang", dt.date(2007, 10, 1)), match="备案日期")


def test_a_regulation_draft_is_forwarded_to_the_legislature_and_never_published(world: World) -> None:
    world.add_person("xu", "许承办", "zhishichanquan", "officer")
    p, d, duty = world.ports, world.dispatcher, LEGISLATIVE
    wf.start_duty(duty, actor="xu", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(duty, actor="xu", now=at("2007-09-28"), ports=p, dispatcher=d)
    wf.record_opinion(duty, (), actor="li", now=at("2007-10-08"), ports=p)
    wf.close_consultation(duty, actor="xu", now=at("2007-10-09"), ports=p, dispatcher=d)
    wf.submit_for_review(duty, actor="xu", now=at("2007-10-10"), ports=p, dispatcher=d)
    wf.record_review(duty, Legality.LAWFUL, "", actor="fa", now=at("2007-10-17"), ports=p, dispatcher=d)
    wf.deliberate(duty, True, "", actor="office", now=at("2007-10-19"), ports=p, dispatcher=d)
    d = world.fresh_dispatcher()
    on, effective, now = dt.date(2007, 10, 22), dt.date(2007, 11, 22), at("2007-10-22")
    with pytest.raises(IllegalTransition, match="法规草案不能由部门发布"):
        wf.publish(duty, "深知〔2007〕1号", on, effective, actor="xu", now=now, ports=p, dispatcher=d)
    assert d.advanced == []
    outcome = wf.forward(duty, "报市人大常委会", actor="xu", now=now, ports=p, dispatcher=d)
    assert outcome.state is State.FORWARDED and outcome.state.terminal
    assert world.duty(duty).events[-1].reason == "报市人大常委会"
    assert d.advanced == [(duty, now)]


# --- extension, reassignment, withdrawal ---------------------------------------------------------------------


def test_an_extension_is_recorded_with_its_approver_and_moves_the_deadline_and_reminders(
    world: World,
) -> None:
    _bring(world, "started")
    before = world.reminders()
    assert extend_by("office")(world).state is State.DRAFTING
    duty = world.duty()
    assert (duty.deadline, duty.last_working_day) == (dt.date(2008, 3, 31), dt.date(2008, 3, 31))
    [extension] = duty.extensions
    assert (extension.old_deadline, extension.approver, extension.reason) == (
        (dt.date(2007, 12, 31), "office", "需补充调研")
    )
    assert duty.events[-1].actor == "office" and "需补充调研" in duty.events[-1].reason
    after = world.reminders()
    assert {after[k] for k in before if before[k] == "pending"} == {"cancelled"}  # the old milestones' series
    assert any(":2008-03-31:" in k and s == "pending" for k, s in after.items())


def test_a_reassigned_duty_belongs_to_its_new_lead_department(world: World) -> None:
    _bring(world, "started")
    world.add_person("wu", "吴承办", "renshi", "officer")
    assert reassign_by("office", "市人事局")(world).state is State.DRAFTING
    duty = world.duty()
    assert duty.spec.lead == "renshi"
    assert (duty.events[-1].actor, duty.events[-1].reason) == ("office", "caizheng → renshi：职能调整")
    _refused(world, Forbidden, upload_by("zhang"))
    assert upload_by("wu")(world).state is State.DRAFTING


def test_a_duty_reassigned_to_its_only_consultee_has_nobody_left_to_consult(world: World) -> None:
    _bring(world, "started")
    reassign_by("office", "maogong")(world)
    assert world.duty().spec.consultees == ()
    _refused(world, IllegalTransition, open_by("admin"), match="没有征求意见单位")


def test_reassigning_to_a_consulted_department_drops_its_unanswered_request(world: World) -> None:
    _bring(world, "consulting")
    reassign_by("office", "maogong", "2007-10-08")(world)
    duty = world.duty()
    assert duty.requests == [] and duty.spec.consultees == ()
    assert wf.close_due_consultations(at("2007-10-15"), ports=world.ports, dispatcher=world.dispatcher) == []


def test_withdrawing_ends_the_duty_and_cancels_its_pending_reminders(world: World) -> None:
    _bring(world, "consulting")
    assert "pending" in world.reminders().values()
    assert withdraw_by("office")(world).state is State.WITHDRAWN
    last = world.duty().events[-1]
    assert (last.action, last.actor, last.reason, last.to_state) == (
        ("withdraw", "office", "与他项合并", State.WITHDRAWN)
    )
    assert "pending" not in world.reminders().values()
    _refused(world, IllegalTransition, reply_by("li", when="2007-10-31"))


# --- concurrency ---------------------------------------------------------------------------------------------


def test_a_stale_copy_of_a_duty_gets_a_conflict_and_writes_nothing(world: World) -> None:
    with world.ports.uow() as first:
        mine = first.duties.get(SAMPLE)
    start_by("zhang")(world)
    mine.withdraw("office", at("2007-09-12"), "重复")
    before = world.snapshot()
    with world.ports.uow() as late, pytest.raises(ConcurrencyConflict):
        late.duties.save(mine)
    assert world.snapshot() == before and world.state() is State.DRAFTING


def test_a_duty_saved_but_not_committed_is_not_seen_by_another_unit_of_work(world: World) -> None:
    with world.ports.uow() as uow:
        duty = uow.duties.get(SAMPLE)
        duty.start("zhang", at("2007-09-11"))
        uow.duties.save(duty)
    assert world.state() is State.NOT_STARTED and world.duty().version == 1


class _PausingDuties(MemoryDuties):
    """Duties that let another action run right after the first read, as a second process would."""

    meanwhile: list[Callable[[], object]]

    @classmethod
    def around(cls, duties: MemoryDuties, meanwhile: list[Callable[[], object]]) -> _PausingDuties:
        """Take over the fake's own repository as it was built, its conflict checks included."""
        pausing = cls.__new__(cls)
        pausing.__dict__.update(vars(duties))
        pausing.meanwhile = meanwhile
        return pausing

    def get(self, duty_id: str) -> Duty:
        duty = super().get(duty_id)
        while self.meanwhile:
            self.meanwhile.pop()()
        return duty


class _PausingUnitOfWork(InMemoryUnitOfWork):
    def __init__(self, database: MemoryDatabase, meanwhile: list[Callable[[], object]]) -> None:
        super().__init__(database)
        self.meanwhile = meanwhile

    def __enter__(self) -> Self:
        super().__enter__()
        self.duties = _PausingDuties.around(self.duties, self.meanwhile)
        return self


def test_of_two_actions_that_read_the_duty_at_once_the_later_save_gets_a_conflict(world: World) -> None:
    meanwhile: list[Callable[[], object]] = [lambda: withdraw_by("office")(world)]
    ports = dataclasses.replace(world.ports, uow=lambda: _PausingUnitOfWork(world.database, meanwhile))
    with pytest.raises(ConcurrencyConflict):
        wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=ports, dispatcher=world.dispatcher)
    duty = world.duty()
    assert duty.state is State.WITHDRAWN and [e.action for e in duty.events] == ["ingest", "withdraw"]
    assert world.dispatcher.advanced == [] and world.reminders() == {}


# --- notices and people --------------------------------------------------------------------------------------


def test_ingesting_the_seed_adds_every_duty_not_started_with_its_ingest_event(
    world: World, seed: Catalogue
) -> None:
    with world.ports.uow() as uow:
        duties = uow.duties.list(seed.notice.id)
        notice = uow.notices.get(seed.notice.id)
    assert sorted(d.id for d in duties) == sorted(s.id for s in seed.duties) and len(duties) == 22
    assert {d.state for d in duties} == {State.NOT_STARTED}
    assert {(e.action, e.actor, e.at) for d in duties for e in d.events} == {
        ("ingest", "admin", world.ingested_at)
    }
    assert notice is not None and notice.coordinator == seed.coordinator
    assert all(world.reminders(d.id) == {} for d in duties)  # nothing is reminded before a duty starts


def test_ingesting_into_an_empty_database_reports_every_duty_added_in_order(
    world: World, seed: Catalogue
) -> None:
    ports = dataclasses.replace(world.ports, uow=MemoryDatabase().unit_of_work)
    add_user("admin", "管理员", "maogong", ("admin",), now=at("2007-09-01"), ports=ports)
    report = ingest_notice(seed, actor="admin", now=world.ingested_at, ports=ports)
    assert report.added == tuple(s.id for s in seed.duties) and report.notice_id == "sfb2007-129"
    assert (report.reassigned, report.amended, report.withdrawn, report.started) == ((), (), (), ())


def _edited(seed: Catalogue) -> tuple[Catalogue, str, str]:
    """The seed with SAMPLE moved to 市人事局 and retitled, its first duty removed and a duty added."""
    duties = list(seed.duties)
    moved = next(i for i, x in enumerate(duties) if x.id == SAMPLE)
    duties[moved] = dataclasses.replace(
        duties[moved], lead="renshi", title="深圳市服务外包人才培训资金管理办法"
    )
    removed = duties.pop(0)
    added = dataclasses.replace(duties[-1], id="sfb2007-129-13-00-4-gongshang", location="十三-4")
    return dataclasses.replace(seed, duties=(*duties, added)), removed.id, added.id


def test_reingesting_an_edited_catalogue_reconciles_and_never_overwrites(
    world: World, seed: Catalogue
) -> None:
    _bring(world, "started")
    edited, removed, added = _edited(seed)
    report = ingest_notice(edited, actor="admin", now=at("2007-10-01"), ports=world.ports)
    assert (report.reassigned, report.amended) == ((SAMPLE,), (SAMPLE,))
    assert (report.withdrawn, report.added, report.started) == ((removed,), (added,), (added,))
    assert world.state(removed) is State.WITHDRAWN and world.state(added) is State.DRAFTING
    duty = world.duty()
    assert [e.action for e in duty.events] == ["ingest", "start", "reassign", "amend"]
    assert duty.spec.lead == "renshi" and duty.spec.title == "深圳市服务外包人才培训资金管理办法"
    assert "pending" in world.reminders(added).values()  # started, so planned in the same transaction


def _unversioned(database: MemoryDatabase) -> dict[str, Duty]:
    """The committed duties without their version, which a save bumps even when nothing changed."""
    return {k: dataclasses.replace(d, version=0) for k, d in database.duties.items()}


def test_reingesting_the_same_catalogue_changes_no_duty_and_no_reminder(
    world: World, seed: Catalogue
) -> None:
    _bring(world, "started")
    edited, _, _ = _edited(seed)
    ingest_notice(edited, actor="admin", now=at("2007-10-01"), ports=world.ports)
    duties, reminders = _unversioned(world.database), copy.deepcopy(world.database.reminders)
    again = ingest_notice(edited, actor="admin", now=at("2007-10-02"), ports=world.ports)
    assert (again.added, again.reassigned, again.amended, again.withdrawn, again.started) == ((),) * 5
    assert _unversioned(world.database) == duties and world.database.reminders == reminders


def test_a_reingest_leaves_a_finished_duty_alone(world: World, seed: Catalogue) -> None:
    withdraw_by("office")(world)
    duties = tuple(dataclasses.replace(d, title="改了标题") if d.id == SAMPLE else d for d in seed.duties)
    report = ingest_notice(
        dataclasses.replace(seed, duties=duties), actor="admin", now=at("2007-11-01"), ports=world.ports
    )
    assert SAMPLE not in report.amended + report.withdrawn
    duty = world.duty()
    assert (
        duty.state is State.WITHDRAWN
        and duty.spec.title != "改了标题"
        and duty.events[-1].action == "withdraw"
    )


@pytest.mark.parametrize(
    ("actor", "error"), [("zhang", Forbidden), ("li", Forbidden), ("nobody", UnknownUser)]
)
def test_only_a_coordinator_or_an_admin_may_ingest(
    world: World, seed: Catalogue, actor: str, error: type[Exception]
) -> None:
    edited, _, _ = _edited(seed)
    _refused(world, error, lambda w: ingest_notice(edited, actor=actor, now=at("2007-10-01"), ports=w.ports))


def test_a_coordinator_may_ingest(world: World, seed: Catalogue) -> None:
    edited, removed, _ = _edited(seed)
    assert ingest_notice(edited, actor="office", now=at("2007-10-01"), ports=world.ports).withdrawn == (
        removed,
    )


def test_an_account_is_kept_with_the_registry_key_of_the_department_named(world: World) -> None:
    roles = ("officer", "consultee")
    user = add_user(
        "chen", "陈承办", "市财政局", roles, now=at("2007-09-02"), ports=world.ports, email="c@x.cn"
    )
    assert (user.department, user.roles, user.email) == (
        ("caizheng", frozenset({UserRole.OFFICER, UserRole.CONSULTEE}), "c@x.cn")
    )
    with world.ports.uow() as uow:
        assert uow.users.get("chen") == user


@pytest.mark.parametrize(
    ("user_id", "department", "roles", "error"),
    [
        ("Chen Wei", "caizheng", ("officer",), InvalidInput),
        ("chen", "火星局", ("officer",), UnknownDepartment),
        ("chen", "caizheng", ("mayor",), ValueError),
        ("chen", "caizheng", (), InvalidInput),
    ],
    ids=["bad-login", "unknown-department", "unknown-role", "no-role"],
)
def test_an_account_that_cannot_be_used_is_refused_and_nothing_is_kept(
    world: World, user_id: str, department: str, roles: tuple[str, ...], error: type[Exception]
) -> None:
    _refused(
        world,
        error,
        lambda w: add_user(user_id, "陈", department, roles, now=at("2007-09-02"), ports=w.ports),
    )


def test_an_account_added_again_is_refused_and_updating_it_changes_only_what_is_named(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(UserExists):
        add_user(
            "zhang", "张承办", "caizheng", ("officer", "consultee"), now=at("2007-09-05"), ports=world.ports
        )
    assert world.snapshot() == before
    update_user("zhang", roles=("officer", "consultee"), now=at("2007-09-05"), ports=world.ports)
    with world.ports.uow() as uow:
        people = [u.id for u in uow.users.list()]
        zhang = uow.users.get("zhang")
    assert people.count("zhang") == 1 and zhang.roles == {UserRole.OFFICER, UserRole.CONSULTEE}
    assert (zhang.name, zhang.department) == ("张承办", "caizheng")


def test_system_is_machine_work_and_never_a_person(world: World, seed: Catalogue) -> None:
    with pytest.raises(NotPermitted, match="system"):
        ingest_notice(seed, actor="system", now=world.ingested_at, ports=world.ports)
    _refused(world, NotPermitted, start_by("system"))
