"""Consultation rounds (征求意见): requests to departments, their replies and opinions, and the decisions on them.

Pure values. A round sends one request to each consultee with a reply date in working days; a department
replies 无意见 or with opinions on clauses (each may carry attachments); at the window's end, a department that
has not replied is marked silent, which counts as 无意见 when the policy says so. Every opinion needs a decision
(采纳, 部分采纳 or 不予采纳, with a reason) before the duty goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from engine.domain.drafting.decisions import Decision, ReplyKind


@dataclass(frozen=True)
class Request:
    """One department's request in one round; `reply` is None until it answers or the window closes."""

    round: int
    consultee: str
    sent_on: dt.date
    due: dt.date
    reply: ReplyKind | None = None
    replied_at: dt.datetime | None = None
    replied_by: str | None = None
    attachments: tuple[str, ...] = ()  # files of the reply as a whole, such as a sealed 无意见 letter

    def answered(
        self, kind: ReplyKind, at: dt.datetime | None, by: str | None, attachments: tuple[str, ...] = ()
    ) -> Request:
        return replace(self, reply=kind, replied_at=at, replied_by=by, attachments=attachments)


@dataclass(frozen=True)
class Ruling:
    """The drafter's decision on one opinion."""

    decision: Decision
    reason: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class Opinion:
    """One opinion on one clause. Its id is stable: <duty>.r<round>.<consultee>.<n>."""

    id: str
    round: int
    consultee: str
    seq: int
    clause: str
    text: str
    author: str
    created_at: dt.datetime
    attachments: tuple[str, ...] = ()
    ruling: Ruling | None = None


@dataclass(frozen=True)
class OpinionInput:
    """An opinion as a department submits it, before it has an id."""

    clause: str
    text: str
    attachments: tuple[str, ...] = ()
