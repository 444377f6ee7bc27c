"""Who may do what to a duty, and who may see what of it: one pure function for each (domain.md §5).

`allowed_actions(duty, user, scope)` is every action the user may take on the duty now: their role and
department allow it (`refusal`), the duty's state allows it, and no machine work of the stage is pending that
the action would cut short (`blocked`). `authorize` says why an action is refused, as the two different errors
a caller must tell apart: NotPermitted (who you are) and MachineWorkPending (not yet); the aggregate then
refuses what its state or conditions do not allow (IllegalTransition).

Roles act within their own departments:
- the lead department's officer (承办人) drafts, consults, decides, submits, publishes, files, and may record a
  consulted department's reply received on paper (`reply_for`);
- a consulted department's contact (联络员) replies for that department, while its request is open;
- the notice's legal office (as its catalogue records it) reviews;
- the notice's coordinating office starts, deliberates, extends, reassigns and withdraws;
- an administrator may do everything; the identity `system` is machine work's, never a person's.

Reading follows acting: the lead department sees its duties whole; a consulted department sees the duty, its
own requests and replies, and the drafts that were sent to it; the legal office sees a duty from its
submission on; the coordinating office and administrators see everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.domain.drafting.versions import DocumentKind, DocumentVersion
from engine.domain.intake.specs import Track
from engine.domain.ports.views import DutyRow
from engine.domain.workflow.machine import pending, pending_work
from engine.domain.workflow.model import IN_PLACE, TRANSITIONS, Duty, State
from engine.domain.workflow.people import SYSTEM, User, UserRole
from engine.errors import MachineWorkPending, NotPermitted

# Every action a person may take on a duty, in the order of the procedure.
ACTIONS = (
    "start",
    "upload",
    "open_consultation",
    "reply",
    "reply_for",
    "close_consultation",
    "decide",
    "submit",
    "review",
    "deliberate",
    "publish",
    "forward",
    "file",
    "extend",
    "reassign",
    "withdraw",
)
LEAD = frozenset(
    {"start", "upload", "open_consultation", "reply_for", "close_consultation", "decide", "submit"}
    | {"publish", "forward", "file"}
)
COORDINATING = frozenset({"start", "deliberate", "extend", "reassign", "withdraw"})
# The events an action records, when they are not named as the action is.
_EVENTS = {
    "review": ("review_lawful", "review_returned"),
    "deliberate": ("approve", "return"),
    "reply_for": ("reply",),
}
_LABELS = {
    "start": "启动起草",
    "upload": "上传修改稿",
    "open_consultation": "征求意见",
    "reply": "答复意见",
    "reply_for": "代录纸质答复",
    "close_consultation": "结束征求意见",
    "decide": "处理意见",
    "submit": "报送审核",
    "review": "合法性审核",
    "deliberate": "集体审议",
    "publish": "发布",
    "forward": "报送立法程序",
    "file": "备案",
    "extend": "延期",
    "reassign": "调整牵头部门",
    "withdraw": "撤回",
    "ingest": "导入任务清单",
    "read": "查看",
    # the events the audit trail records under other names than the actions
    "amend": "任务清单变更",
    "review_lawful": "审核通过（合法）",
    "review_returned": "审核退回修改",
    "approve": "集体审议通过",
    "return": "集体审议退回",
}


def label(action: str) -> str:
    """The action (or the event it records) as the people who take it name it."""
    return _LABELS.get(action, action)


@dataclass(frozen=True)
class Standing:
    """Where a duty stands, as far as who may act on it is concerned: built from the aggregate, or from the
    read model's row for the lists, so that both answer alike."""

    duty_id: str
    state: State
    lead: str | None
    consultees: tuple[str, ...]
    track: Track
    pending: bool  # the stage's documents are still to be made
    unanswered: tuple[str, ...]  # departments whose request in the open round is still unanswered
    asked: tuple[str, ...] = ()  # every department a request was ever sent to
    submitted: bool = False  # submitted for review at least once

    @classmethod
    def of(cls, duty: Duty) -> Standing:
        unanswered = tuple(r.consultee for r in duty.current_requests() if r.reply is None)
        return cls(
            duty.id,
            duty.state,
            duty.spec.lead,
            duty.spec.consultees,
            duty.spec.track,
            pending(duty),
            unanswered if duty.state is State.CONSULTING else (),
            tuple(sorted({r.consultee for r in duty.requests})),
            any(e.action == "submit" for e in duty.events),
        )

    @classmethod
    def of_row(cls, row: DutyRow) -> Standing:
        """The standing of a duty as the read model lists it."""
        pending = pending_work(row.state, row.stage_version, row.machine_done)
        return cls(
            row.id,
            row.state,
            row.lead,
            row.consultees,
            row.track,
            pending,
            row.unanswered,
            row.asked,
            row.submitted,
        )


def standing(duty: Duty | Standing) -> Standing:
    return duty if isinstance(duty, Standing) else Standing.of(duty)


@dataclass(frozen=True)
class Scope:
    """What a duty's notice says about who watches it and who reviews it: department keys, or None."""

    coordinator: str | None = None  # the coordinating office (统筹协调)
    reviewer: str | None = None  # the legal office (合法性审核)


def refusal(duty: Duty | Standing, user: User, action: str, scope: Scope) -> str | None:
    """Why the user's role or department may not take `action` on the duty, in Chinese; None when they may."""
    duty = standing(duty)
    if user.id == SYSTEM:
        return "system 是系统自动处理的身份，不能用于人的操作"
    if UserRole.ADMIN in user.roles:
        return None
    coordinating = user.has(UserRole.COORDINATOR) and scope.coordinator is not None
    if action in COORDINATING and coordinating and user.department == scope.coordinator:
        return None
    if action in LEAD:
        if not user.has(UserRole.OFFICER):
            return "需要承办人角色"
        return None if user.department == duty.lead else "只有牵头部门的承办人可以办理"
    if action in COORDINATING:
        if not user.has(UserRole.COORDINATOR):
            return "需要统筹协调人员角色"
        return "本通知未指定统筹协调单位" if scope.coordinator is None else "只有本通知的统筹协调单位可以办理"
    if action == "reply":
        if not user.has(UserRole.CONSULTEE):
            return "需要征求意见单位联系人角色"
        return None if user.department in duty.consultees else "该部门不在本任务的征求意见范围内"
    if action == "review":
        if not user.has(UserRole.REVIEWER):
            return "需要审核人员角色"
        if scope.reviewer is None:
            return "本通知未指定合法性审核机构"
        return None if user.department == scope.reviewer else "只有本通知的合法性审核机构可以审核"
    return "角色不允许"


def state_allows(duty: Duty | Standing, action: str) -> bool:
    """Whether the duty's state (and track) lets the action be taken at all, whoever takes it."""
    duty = standing(duty)
    state = duty.state
    if action == "withdraw":
        return not state.terminal
    if action == "publish" and duty.track is Track.LEGISLATIVE:
        return False
    if action == "forward" and duty.track is not Track.LEGISLATIVE:
        return False
    if action in ("reply", "reply_for") and not duty.unanswered:
        return False
    events = _EVENTS.get(action, (action,))
    return any((state, e) in TRANSITIONS or state in IN_PLACE.get(e, frozenset()) for e in events)


def blocked(duty: Duty | Standing, action: str) -> bool:
    """Whether the action would cut short the stage's machine work: it ends the stage, or it uploads a draft
    while the stage's own draft is still being made."""
    duty = standing(duty)
    if not duty.pending:
        return False
    if action == "upload":
        return True
    return any((duty.state, e) in TRANSITIONS for e in _EVENTS.get(action, (action,)))


def allowed_actions(duty: Duty | Standing, user: User, scope: Scope) -> frozenset[str]:
    """Every action the user may take on the duty now."""
    duty = standing(duty)
    found = set()
    for action in ACTIONS:
        if refusal(duty, user, action, scope) or not state_allows(duty, action) or blocked(duty, action):
            continue
        if action == "reply" and user.department not in duty.unanswered:
            continue
        found.add(action)
    return frozenset(found)


def authorize(duty: Duty | Standing, user: User, action: str, scope: Scope) -> None:
    """Raise NotPermitted when the user's role or department may not take the action, MachineWorkPending
    when it would cut the stage's machine work short; the aggregate checks the state when it is applied."""
    why = refusal(duty, user, action, scope)
    if why is not None:
        raise NotPermitted(user.id, label(action), why)
    if blocked(duty, action):
        raise MachineWorkPending(standing(duty).duty_id, label(action))


def may_ingest(user: User, coordinator: str | None) -> str | None:
    """Why the user may not bring a notice's catalogue in (None when they may): administrators, and the
    coordinating office the catalogue names."""
    if user.id == SYSTEM:
        return "system 是系统自动处理的身份，不能用于人的操作"
    if UserRole.ADMIN in user.roles:
        return None
    if user.has(UserRole.COORDINATOR) and coordinator is not None and user.department == coordinator:
        return None
    return "只有系统管理员或本通知的统筹协调单位可以导入任务清单"


# --- reading ----------------------------------------------------------------------------------------------


def reads_whole(duty: Duty | Standing, user: User, scope: Scope) -> bool:
    """Whether the user sees everything of the duty: every document, every reply."""
    duty = standing(duty)
    if user.id == SYSTEM:
        return False
    if UserRole.ADMIN in user.roles or user.department == duty.lead:
        return True
    if user.has(UserRole.COORDINATOR) and user.department == scope.coordinator:
        return True
    return user.has(UserRole.REVIEWER) and user.department == scope.reviewer and duty.submitted


def consulted(duty: Duty | Standing, user: User) -> bool:
    """Whether the user's department has been asked for its opinion on the duty."""
    return user.department in standing(duty).asked


def can_read(duty: Duty | Standing, user: User, scope: Scope) -> bool:
    """Whether the user may open the duty at all (its facts and timeline)."""
    return reads_whole(duty, user, scope) or consulted(duty, user)


def readable_replies(duty: Duty | Standing, user: User, scope: Scope) -> frozenset[str]:
    """The consulted departments whose requests, replies and opinions the user may see."""
    if reads_whole(duty, user, scope):
        return frozenset(standing(duty).asked)
    return frozenset({user.department}) if consulted(duty, user) else frozenset()


def can_read_document(duty: Duty, version: DocumentVersion, user: User, scope: Scope) -> bool:
    """Whether the user may download the version: all of them for a whole reader; for a consulted department,
    the letters and attachments of its own, and the drafts and explanations as they stood when it was
    consulted."""
    if reads_whole(duty, user, scope):
        return True
    if not consulted(duty, user) or version.duty_id != duty.id:
        return False
    if version.kind in (DocumentKind.CONSULTATION_LETTER, DocumentKind.ATTACHMENT):
        return version.variant == user.department
    if version.kind in (DocumentKind.DRAFT, DocumentKind.EXPLANATION):
        sent = _consulted_at(duty, user.department)
        return sent is not None and version.created <= sent
    return False


def _consulted_at(duty: Duty, department: str) -> dt.datetime | None:
    """The latest moment a round that asked the department was opened."""
    rounds = {r.round for r in duty.requests if r.consultee == department}
    opened = [e.at for e in duty.events if e.action == "open_consultation"]
    moments = [opened[n - 1] for n in rounds if 0 < n <= len(opened)]
    return max(moments, default=None)
