"""Who may do what: users, their department and roles, and the permission check every action passes.

Pure. Roles (domain.md §5): an officer (承办人) drives the duties of his own department; a consultee answers for
his department; a reviewer (legal office) records legality opinions; the coordinator (统筹协调) watches every duty,
records 集体审议, grants extensions, reassigns and withdraws; an admin may do anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from engine.errors import NotPermitted


class UserRole(StrEnum):
    OFFICER = "officer"
    CONSULTEE = "consultee"
    REVIEWER = "reviewer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "officer": "承办人",
            "consultee": "征求意见单位联系人",
            "reviewer": "审核人员",
            "coordinator": "统筹协调人员",
            "admin": "系统管理员",
        }[self.value]


USER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
SYSTEM = "system"  # the scheduler's own actions (closing a window at its end)


@dataclass(frozen=True)
class User:
    """An account: an ASCII login, a name, a department key and roles."""

    id: str
    name: str
    department: str
    roles: frozenset[UserRole]
    email: str = ""

    def has(self, role: UserRole) -> bool:
        return role in self.roles or UserRole.ADMIN in self.roles


# Which role may take each action; `own` means the user must belong to the duty's lead department.
LEAD_ACTIONS = frozenset(
    {
        "start",
        "upload",
        "open_consultation",
        "close_consultation",
        "decide",
        "submit",
        "publish",
        "file",
        "forward",
    }
)
COORDINATOR_ACTIONS = frozenset({"deliberate", "extend", "reassign", "withdraw", "start", "ingest"})


def authorize(user: User, action: str, *, lead: str | None = None, consultees: tuple[str, ...] = ()) -> None:
    """Raise Forbidden unless the user's role (and department) allows the action on this duty."""
    if UserRole.ADMIN in user.roles:
        return
    if action in COORDINATOR_ACTIONS and user.has(UserRole.COORDINATOR):
        return
    if action in LEAD_ACTIONS:
        if not user.has(UserRole.OFFICER):
            raise NotPermitted(user.id, action, "需要承办人角色")
        if lead is not None and user.department != lead:
            raise NotPermitted(user.id, action, "只有牵头部门的承办人可以办理")
        return
    if action == "reply":
        if not user.has(UserRole.CONSULTEE):
            raise NotPermitted(user.id, action, "需要征求意见单位联系人角色")
        if user.department not in consultees:
            raise NotPermitted(user.id, action, "该部门不在本任务的征求意见范围内")
        return
    if action == "review" and user.has(UserRole.REVIEWER):
        return
    raise NotPermitted(user.id, action, "角色不允许")
