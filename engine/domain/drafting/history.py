"""What has happened to a duty, as the documents need it: the inputs compose draws on besides the catalogue.

Plain values, built by the workflow from its records (or empty, for `banfa draft` without a database). Each
document that depends on a history (起草说明's 起草过程, 意见采纳情况表, 审核意见书, 发布稿) shows a clearly
marked placeholder where the history has nothing yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.domain.drafting.decisions import Decision, Legality, ReplyKind
from engine.domain.drafting.text import DraftText


@dataclass(frozen=True)
class Step:
    """One dated step of the drafting process, worded for the 起草说明: 向市财政局等3个单位征求意见."""

    on: dt.date
    text: str


@dataclass(frozen=True)
class Opinion:
    """One opinion on one clause, and what the drafter decided."""

    department: str
    clause: str
    text: str
    decision: Decision | None = None
    reason: str = ""


@dataclass(frozen=True)
class Reply:
    """A consulted department's answer; `opinions` is empty unless it is OPINIONS."""

    department: str
    kind: ReplyKind
    opinions: tuple[Opinion, ...] = ()


@dataclass(frozen=True)
class Review:
    """A recorded legality review."""

    outcome: Legality
    opinion: str
    reviewer: str
    on: dt.date
    number: str | None = None


@dataclass(frozen=True)
class Publication:
    """How the final text went out: its 文号 and dates, and who is copied (抄送)."""

    number: str
    published: dt.date
    effective: dt.date
    copied: tuple[str, ...] = ()


@dataclass(frozen=True)
class History:
    """Everything the documents draw on besides the catalogue. `text` is the newest uploaded draft, if any."""

    steps: tuple[Step, ...] = ()
    replies: tuple[Reply, ...] = ()
    review: Review | None = None
    publication: Publication | None = None
    text: DraftText | None = None

    @property
    def opinions(self) -> tuple[Opinion, ...]:
        return tuple(o for r in self.replies for o in r.opinions)


EMPTY = History()
