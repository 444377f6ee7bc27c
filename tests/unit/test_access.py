"""Who may do what to a duty, and who may see what of it (engine.domain.workflow.access), by example."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from engine.domain.drafting.versions import DocumentKind, DocumentVersion, Origin
from engine.domain.workflow.access import (
    ACTIONS,
    Scope,
    allowed_actions,
    authorize,
    can_read,
    can_read_document,
    may_ingest,
    readable_replies,
    refusal,
)
from engine.domain.workflow.model import Duty, State
from engine.domain.workflow.people import User, UserRole
from engine.errors import MachineWorkPending, NotPermitted
from tests.unit.test_model import LATER, at, in_state

SCOPE = Scope(coordinator="maogong", reviewer="fazhiban")


def user(uid: str, department: str, *roles: UserRole) -> User:
    return User(uid, uid, department, frozenset(roles))


OFFICER = user("li.si", "caizheng", UserRole.OFFICER)  # the lead department's officer
OTHER_OFFICER = user("zhou.qi", "keji", UserRole.OFFICER)
CONSULTEE = user("renshi.liu", "renshi", UserRole.CONSULTEE)  # renshi and maogong are consulted
NOT_CONSULTED = user("keji.sun", "keji", UserRole.CONSULTEE)
REVIEWER = user("fzb.wang", "fazhiban", UserRole.REVIEWER)
OTHER_REVIEWER = user("sfj.zhao", "sifaju", UserRole.REVIEWER)
COORDINATOR = user("ldxz.chen", "maogong", UserRole.COORDINATOR)
OTHER_COORDINATOR = user("fgw.wu", "fagai", UserRole.COORDINATOR)
LEADER = user("cz.leader", "caizheng", UserRole.LEADER)
ADMIN = user("admin", "bangongting", UserRole.ADMIN)
SYSTEM = user("system", "", UserRole.ADMIN)


def settled(state: State) -> Duty:
    """A duty in `state` whose machine work for the stage is done."""
    duty = in_state(state)
    duty.mark_machine_done()
    return duty


# --- acting ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "who", "expected"),
    [
        (State.NOT_STARTED, OFFICER, {"start"}),
        (State.NOT_STARTED, COORDINATOR, {"start", "extend", "reassign", "withdraw"}),
        (State.DRAFTING, OFFICER, {"upload", "open_consultation"}),
        (State.CONSULTING, OFFICER, {"close_consultation", "decide", "reply_for"}),
        (State.CONSULTING, CONSULTEE, {"reply"}),
        (State.CONSULTING, NOT_CONSULTED, set()),
        (State.REVISING, OFFICER, {"upload", "decide", "submit"}),
        (State.REVIEWING, REVIEWER, {"review"}),
        (State.REVIEWING, OTHER_REVIEWER, set()),
        (State.REVIEWING, OFFICER, set()),
        (State.DELIBERATING, COORDINATOR, {"deliberate", "extend", "reassign", "withdraw"}),
        (State.DELIBERATING, OTHER_COORDINATOR, set()),
        (State.APPROVED, OFFICER, {"publish"}),
        (State.PUBLISHED, OFFICER, {"file"}),
        (State.FILED, ADMIN, set()),
        (State.DRAFTING, LEADER, set()),
    ],
    ids=lambda v: v.name if isinstance(v, State) else v.id if isinstance(v, User) else None,
)
def test_each_person_is_offered_exactly_the_actions_of_their_role_in_the_state(
    state: State, who: User, expected: set[str]
) -> None:
    assert allowed_actions(settled(state), who, SCOPE) == expected


def test_an_administrator_may_take_every_action_the_state_allows_but_replying_as_a_department() -> None:
    assert allowed_actions(settled(State.CONSULTING), ADMIN, SCOPE) == {
        "reply_for",
        "close_consultation",
        "decide",
        "extend",
        "reassign",
        "withdraw",
    }


def test_a_regulation_draft_is_forwarded_and_a_normative_document_published() -> None:
    assert "publish" in allowed_actions(settled(State.APPROVED), OFFICER, SCOPE)
    legislative = in_state(State.FORWARDED)  # driven along the 法规草案 path; one step back is 已审议通过
    approved = dataclasses.replace(legislative, state=State.APPROVED)
    approved.mark_machine_done()
    assert allowed_actions(approved, user("mg", "maogong", UserRole.OFFICER), SCOPE) == {"forward"}


def test_a_consultee_is_offered_the_reply_only_while_its_request_is_open() -> None:
    duty = settled(State.CONSULTING)  # maogong has replied (in_state); renshi has not
    assert allowed_actions(duty, user("mg.c", "maogong", UserRole.CONSULTEE), SCOPE) == set()
    assert allowed_actions(duty, CONSULTEE, SCOPE) == {"reply"}


@pytest.mark.parametrize(
    ("who", "action", "why"),
    [
        (OTHER_OFFICER, "open_consultation", "只有牵头部门的承办人"),
        (CONSULTEE, "submit", "需要承办人角色"),
        (NOT_CONSULTED, "reply", "征求意见范围"),
        (OFFICER, "reply", "需要征求意见单位联系人角色"),
        (CONSULTEE, "reply_for", "需要承办人角色"),
        (OTHER_REVIEWER, "review", "本通知的合法性审核机构"),
        (OTHER_COORDINATOR, "withdraw", "本通知的统筹协调单位"),
        (OFFICER, "deliberate", "需要统筹协调人员角色"),
        (REVIEWER, "publish", "需要承办人角色"),
        (LEADER, "start", "需要承办人角色"),
        (SYSTEM, "start", "system"),
    ],
)
def test_a_role_or_department_that_may_not_act_is_told_which_rule_refused_it(
    who: User, action: str, why: str
) -> None:
    duty = settled(State.DRAFTING)
    with pytest.raises(NotPermitted, match=why):
        authorize(duty, who, action, SCOPE)


def test_a_notice_that_names_no_legal_office_or_coordinating_office_leaves_those_acts_to_administrators() -> (
    None
):
    duty = settled(State.REVIEWING)
    assert refusal(duty, REVIEWER, "review", Scope()) == "本通知未指定合法性审核机构"
    assert refusal(duty, COORDINATOR, "withdraw", Scope()) == "本通知未指定统筹协调单位"
    assert refusal(duty, ADMIN, "review", Scope()) is None


def test_while_the_stage_documents_are_being_made_the_stage_cannot_end_and_no_draft_races_them() -> None:
    duty = in_state(State.DRAFTING)  # its 征求意见稿 is still being made
    assert allowed_actions(duty, OFFICER, SCOPE) == set()
    for action in ("open_consultation", "upload"):
        with pytest.raises(MachineWorkPending, match="系统正在生成本阶段文稿"):
            authorize(duty, OFFICER, action, SCOPE)
    assert "withdraw" in allowed_actions(duty, COORDINATOR, SCOPE)  # ending the duty loses nothing
    duty.mark_machine_done()
    assert allowed_actions(duty, OFFICER, SCOPE) == {"upload", "open_consultation"}


def test_the_role_refusal_comes_before_the_wait_for_machine_work() -> None:
    with pytest.raises(NotPermitted):
        authorize(in_state(State.DRAFTING), OTHER_OFFICER, "open_consultation", SCOPE)


def test_every_action_and_every_event_is_named_for_the_person_in_chinese() -> None:
    from engine.domain.workflow.access import label
    from engine.domain.workflow.model import IN_PLACE, TRANSITIONS

    events = {a for _, a in TRANSITIONS} | set(IN_PLACE) | {"withdraw"}
    assert [a for a in (*ACTIONS, *sorted(events)) if label(a) == a] == []


def test_ingesting_is_for_administrators_and_the_coordinating_office_of_the_notice() -> None:
    assert may_ingest(ADMIN, None) is None
    assert may_ingest(COORDINATOR, "maogong") is None
    assert may_ingest(COORDINATOR, "fagai") is not None
    assert may_ingest(OFFICER, "maogong") is not None
    assert may_ingest(SYSTEM, "maogong") is not None


# --- reading --------------------------------------------------------------------------------------------------


def version(duty: Duty, kind: DocumentKind, created: dt.datetime, variant: str = "") -> DocumentVersion:
    return DocumentVersion(
        f"{duty.id}.{kind.value}.v1", duty.id, kind, variant, 1, "0" * 64, 1, "system", created, "x.docx",
        "application/octet-stream", Origin.GENERATED,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("who", "state", "reads"),
    [
        (OFFICER, State.DRAFTING, True),
        (LEADER, State.DRAFTING, True),  # a department sees its own duties whole
        (CONSULTEE, State.DRAFTING, False),  # not yet consulted
        (CONSULTEE, State.CONSULTING, True),
        (NOT_CONSULTED, State.CONSULTING, False),
        (REVIEWER, State.REVISING, False),
        (REVIEWER, State.REVIEWING, True),
        (REVIEWER, State.RETURNED, True),  # submitted once: the legal office keeps seeing it
        (OTHER_REVIEWER, State.REVIEWING, False),
        (COORDINATOR, State.NOT_STARTED, True),
        (OTHER_COORDINATOR, State.DRAFTING, False),
        (ADMIN, State.NOT_STARTED, True),
        (SYSTEM, State.DRAFTING, False),
    ],
    ids=lambda v: v.name if isinstance(v, State) else v.id if isinstance(v, User) else None,
)
def test_who_may_open_a_duty(who: User, state: State, reads: bool) -> None:
    assert can_read(in_state(state), who, SCOPE) is reads


def test_a_consulted_department_sees_only_its_own_replies() -> None:
    duty = in_state(State.REVISING)
    assert readable_replies(duty, OFFICER, SCOPE) == {"maogong", "renshi"}
    assert readable_replies(duty, CONSULTEE, SCOPE) == {"renshi"}
    assert readable_replies(duty, NOT_CONSULTED, SCOPE) == set()


def test_a_consulted_department_downloads_its_letter_and_the_draft_sent_to_it_and_nothing_else() -> None:
    duty = in_state(State.REVISING)
    opened = next(e.at for e in duty.events if e.action == "open_consultation")
    sent = version(duty, DocumentKind.DRAFT, opened)
    later = version(duty, DocumentKind.DRAFT, opened + dt.timedelta(days=3))
    letter = version(duty, DocumentKind.CONSULTATION_LETTER, opened, "renshi")
    theirs = version(duty, DocumentKind.CONSULTATION_LETTER, opened, "maogong")
    table = version(duty, DocumentKind.ADOPTION_TABLE, LATER)
    assert [can_read_document(duty, v, CONSULTEE, SCOPE) for v in (sent, later, letter, theirs, table)] == [
        True, False, True, False, False,
    ]  # fmt: skip
    assert all(can_read_document(duty, v, OFFICER, SCOPE) for v in (sent, later, letter, theirs, table))
    assert not can_read_document(duty, sent, NOT_CONSULTED, SCOPE)


def test_the_legal_office_reads_the_documents_from_the_submission_on() -> None:
    revising, reviewing = in_state(State.REVISING), in_state(State.REVIEWING)
    draft = version(revising, DocumentKind.DRAFT, at(9, 26))
    assert not can_read_document(revising, draft, REVIEWER, SCOPE)
    assert can_read_document(reviewing, draft, REVIEWER, SCOPE)
