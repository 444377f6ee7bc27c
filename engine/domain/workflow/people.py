"""The people of the procedure: users, their department and roles (domain.md §5).

Pure. An officer (承办人) drives the duties of his own department; a consultee (联络员) answers for his department;
a reviewer works in the legal office; a coordinator in the coordinating office (统筹协调); a leader (分管领导)
reads his department's duties and is copied on late ones; an admin may do anything. Who may do what to a duty
is engine.domain.workflow.access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class UserRole(StrEnum):
    OFFICER = "officer"
    CONSULTEE = "consultee"
    REVIEWER = "reviewer"
    COORDINATOR = "coordinator"
    LEADER = "leader"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "officer": "承办人",
            "consultee": "征求意见单位联系人",
            "reviewer": "审核人员",
            "coordinator": "统筹协调人员",
            "leader": "分管领导",
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
