"""What people decide about a draft: the drafter on an opinion, a consulted department's reply, the legal
office's conclusion. Plain enums, which the workflow's model stores and the documents print."""

from __future__ import annotations

from enum import StrEnum


class Decision(StrEnum):
    """What the drafter did with an opinion."""

    ADOPTED = "采纳"
    PARTLY_ADOPTED = "部分采纳"
    NOT_ADOPTED = "不予采纳"


class ReplyKind(StrEnum):
    """How a consulted department answered: in writing, 无意见, or not at all by the window's end."""

    OPINIONS = "提出意见"
    NO_OBJECTION = "无意见"
    SILENT = "逾期未反馈"


class Legality(StrEnum):
    """The legal office's conclusion (国办发〔2018〕115号)."""

    LAWFUL = "合法"
    TO_AMEND = "应当予以修改"
    UNLAWFUL = "不合法"
