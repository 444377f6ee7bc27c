"""The values intake hands on: a duty as the catalogue holds it, the notice's metadata, its coordinating office,
the track a text follows, the ids they are keyed by. Kept apart from the parser, so that reading a catalogue or
a database row does not load the reading of notices.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.domain.intake.duties import Intake

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # the ASCII ids of notices and duties


class Track(StrEnum):
    """The procedure a drafted text follows; a department cannot enact a 法规, only draft one for the legislature."""

    NORMATIVE = "规范性文件"
    RULE = "规章"
    LEGISLATIVE = "法规草案"

    @classmethod
    def for_kind(cls, kind: str | None) -> Track:
        return {"法规": cls.LEGISLATIVE, "规章": cls.RULE}.get(kind or "", cls.NORMATIVE)


@dataclass(frozen=True)
class Reference:
    """A document the notice cites by name, with its 文号 and the short name it is called by afterwards.

    From 出台了《印发关于加快深圳市服务外包发展的若干规定的通知》（深府〔2006〕267号）（以下简称《若干规定》）.
    """

    title: str
    number: str | None = None
    short: str | None = None

    @property
    def cited_title(self) -> str:
        """The title to cite: a 印发……的通知 is cited by what it issued (关于加快……的若干规定)."""
        m = re.fullmatch(r"(?:[\u4e00-\u9fff]*?关于)?印发(.+)的通知", self.title)
        return m.group(1) if m else self.title


@dataclass(frozen=True)
class DutySpec:
    """One duty as the catalogue holds it. Department fields hold registry keys; `*_as_written` keep the text."""

    id: str
    ref: str
    location: str
    lead_as_written: str | None
    lead: str | None
    co_departments_as_written: tuple[str, ...]
    co_departments: tuple[str, ...]
    co_open: bool
    text: str
    document: str | None
    title: str | None
    kind: str | None
    track: Track
    basis: tuple[str, ...]
    deadline: dt.date | None
    last_working_day: dt.date | None
    recurring: str | None
    drafting: bool
    consultees: tuple[str, ...] = ()
    officer: str = ""
    # A duty addressed to a class nobody in a registry owns (各地区, 地方各级人民政府): kept apart, with the
    # addressee as written, and not ingested until a person sets its lead.
    generic: bool = False
    addressee: str | None = None
    # The sentence the duty was read from, with whatever named its lead (a tag, a closing clause) when the
    # clause alone does not; a note on a deadline a person must confirm (a relative limit).
    evidence: str = ""
    deadline_note: str | None = None


@dataclass(frozen=True)
class Coordinator:
    """The office that watches every duty (a department key and the office's name), and the legal office
    that reviews the duties' drafts (a department key)."""

    department: str | None
    office: str | None
    reviewer: str | None = None


@dataclass(frozen=True)
class NoticeInfo:
    """The notice metadata a catalogue carries."""

    id: str
    title: str
    number: str | None
    issuer: str | None
    date: dt.date | None
    published: dt.date | None
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """A notice's reviewed list of drafting duties, as `rules/notices/<slug>.toml` holds it."""

    notice: NoticeInfo
    deadline: dt.date | None
    last_working_day: dt.date | None
    coordinator: Coordinator
    duties: tuple[DutySpec, ...]
    source: str | None = None
    registry: str | None = None  # the registry the notice was read with, when it is not the default one

    @property
    def ingestible(self) -> tuple[DutySpec, ...]:
        """The duties a department answers for: a generic duty waits until a person sets its lead."""
        return tuple(d for d in self.duties if d.lead is not None)

    @classmethod
    def from_intake(cls, intake: Intake, source: str | None = None, registry: str | None = None) -> Catalogue:
        n = intake.notice
        return cls(
            notice=NoticeInfo(
                intake.notice_id, n.title, n.number, n.issuer, n.date, n.published, n.references
            ),
            deadline=intake.deadline.date if intake.deadline else None,
            last_working_day=intake.deadline.last_working_day if intake.deadline else None,
            coordinator=intake.coordinator,
            duties=intake.drafting,
            source=source,
            registry=registry,
        )
