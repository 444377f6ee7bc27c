"""Turn a parsed notice into its duties: who drafts what, with whom, on what basis, by when (domain.md §1).

Every clause of every item becomes a `DutySpec` with `drafting` true or false; a clause yields one spec per
document it names and, under 分别, one per department. `extract` is pure: the registry and the calendar are
arguments, and problems a person should look at come back as warnings instead of exceptions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from engine.domain.departments import Department, Registry, Role
from engine.domain.intake.assignment import Assignment, Tag, clause_assignment, find_tags
from engine.domain.intake.deadlines import Deadline, find_deadline
from engine.domain.intake.ids import department_key, notice_slug
from engine.domain.intake.normative import Document, cited_articles, document_title, drafting_documents
from engine.domain.intake.notice import Item, Notice, Section
from engine.domain.intake.specs import Coordinator, DutySpec, Track
from engine.domain.workdays import WorkCalendar


@dataclass(frozen=True)
class Intake:
    """What intake makes of a notice."""

    notice: Notice
    notice_id: str
    deadline: Deadline | None
    coordinator: Coordinator
    duties: tuple[DutySpec, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def drafting(self) -> tuple[DutySpec, ...]:
        return tuple(d for d in self.duties if d.drafting)


@dataclass(frozen=True)
class _Context:
    notice: Notice
    notice_id: str
    registry: Registry
    calendar: WorkCalendar
    deadline: Deadline | None
    coordinator: Coordinator
    warnings: list[str]


def extract(notice: Notice, *, registry: Registry, calendar: WorkCalendar) -> Intake:
    """Find every duty in a notice and resolve departments and deadlines; never raises on content."""
    warnings: list[str] = []
    anchor = notice.date or notice.published
    if anchor is None:
        warnings.append("通知没有成文日期，相对期限（如“三个月内”）无法换算")
    deadline = _notice_deadline(notice, anchor, calendar)
    ctx = _Context(
        notice,
        notice_slug(notice),
        registry,
        calendar,
        deadline,
        find_coordinator(notice, registry),
        warnings,
    )
    duties = [
        spec
        for section in notice.sections
        for item in section.items
        for spec in _item_duties(ctx, section, item)
    ]
    years = [d for spec in duties for d in (spec.deadline,) if d] + ([anchor] if anchor else [])
    if years:
        for year in calendar.fallback_years(min(years), max(years)):
            warnings.append(
                f"{year} 年的法定节假日安排未知，按周末推算工作日；请在 rules/calendar/{year}.toml 中补充"
            )
    return Intake(
        notice, ctx.notice_id, deadline, ctx.coordinator, tuple(duties), tuple(dict.fromkeys(warnings))
    )


def _notice_deadline(notice: Notice, anchor: dt.date | None, calendar: WorkCalendar) -> Deadline | None:
    """Find the notice-wide deadline: a closing sentence about finishing the work, not about reporting on it."""
    if anchor is None:
        return None
    for sentence in re.split(r"[。；]", notice.closing + "。" + notice.preamble):
        parts = re.split(r"[，,]", sentence)
        for i, part in enumerate(parts):
            if re.search(r"报送|报告|汇报|上报|进展", part):
                continue
            if re.search(r"完成|出台|制定|制订|印发|发布", "".join(parts[i : i + 2])):
                found = find_deadline(part, written=anchor, calendar=calendar)
                if found is not None:
                    return found
    return None


def find_coordinator(notice: Notice, registry: Registry) -> Coordinator:
    """Find the coordinating office: the department that 承担……办公室的日常工作, else the issuer."""
    for section in notice.sections:
        for item in section.items:
            m = re.search(r"承担(.{2,30}?(?:办公室|联席会议))的?(?:日常|具体)?工作", item.text)
            if m and section.departments:
                dept = registry.resolve(section.departments[0])
                office = m.group(1)
                place = notice.jurisdiction
                if place and not office.startswith(place):
                    office = place + office
                return Coordinator(dept.key if dept else None, office, find_reviewer(notice, registry))
    issuer = registry.resolve(notice.issuer) if notice.issuer else None
    return Coordinator(issuer.key if issuer else None, notice.issuer, find_reviewer(notice, registry))


def find_reviewer(notice: Notice, registry: Registry) -> str | None:
    """Find the legal office that reviews drafts: 法制办 until the 2018 reform folded it into 司法局."""
    year = (notice.date or notice.published or dt.date.max).year
    names = ("市法制办", "市司法局") if year < 2019 else ("市司法局", "市法制办")
    found = next((d for d in map(registry.resolve, names) if d is not None), None)
    return found.key if found else None


def _segments(text: str, tags: list[Tag]) -> list[tuple[str, Tag | None]]:
    """Cut an item's text at its tags; each piece is answered for by the tag that follows it."""
    pieces: list[tuple[str, Tag | None]] = []
    start = 0
    for tag in tags:
        pieces.append((text[start : tag.start], tag))
        start = tag.end
    pieces.append((text[start:], None))
    return pieces


def _clauses(text: str, tags: list[Tag]) -> list[tuple[str, Tag | None]]:
    return [
        (clause.strip(), tag)
        for piece, tag in _segments(text, tags)
        for clause in re.split(r"[。；;]", piece)
        if re.search(r"[\u4e00-\u9fff]", clause)
    ]


def _item_duties(ctx: _Context, section: Section, item: Item) -> list[DutySpec]:
    clauses = _clauses(item.text, find_tags(item.text, ctx.registry))
    specs: list[DutySpec] = []
    previous: Assignment | None = None
    for ordinal, (clause, tag) in enumerate(clauses, 1):
        who = _responsible(clause, tag, section, previous, ctx.registry)
        previous = who if who.leads else previous
        location = item.location + (f"-{ordinal}" if len(clauses) > 1 else "")
        specs += _clause_specs(ctx, section, item, ordinal, location, clause, tag, who)
    return specs


def _responsible(
    clause: str, tag: Tag | None, section: Section, previous: Assignment | None, registry: Registry
) -> Assignment:
    own = clause_assignment(clause, registry)
    if own and own.leads:
        return own
    extra = own or Assignment(())
    if tag is not None:
        return tag.assignment.merged_with(extra)
    if section.departments:
        heads = section.departments
        separately = len(heads) > 1 and re.search(r"分别|各自", clause) is not None
        base = Assignment(
            heads if separately else heads[:1], () if separately else heads[1:], False, separately
        )
        return base.merged_with(extra)
    if previous is not None:
        return Assignment(previous.leads, separately=previous.separately).merged_with(extra)
    return extra


def _clause_specs(
    ctx: _Context,
    section: Section,
    item: Item,
    ordinal: int,
    location: str,
    clause: str,
    tag: Tag | None,
    who: Assignment,
) -> list[DutySpec]:
    documents: list[Document | None] = list(drafting_documents(clause)) or [None]
    leads: tuple[str | None, ...] = (who.leads if who.separately else who.leads[:1]) or (None,)
    deadline = _clause_deadline(ctx, clause, tag, drafting=documents[0] is not None)
    specs = []
    for lead in leads:
        for index, document in enumerate(documents):
            letter = "abcdefghij"[index] if len(documents) > 1 else ""
            specs.append(
                _spec(
                    ctx,
                    section,
                    item,
                    f"{ordinal}{letter}",
                    location + letter,
                    clause,
                    lead,
                    who,
                    document,
                    deadline,
                )
            )
    return specs


def _clause_deadline(ctx: _Context, clause: str, tag: Tag | None, *, drafting: bool) -> Deadline | None:
    anchor = ctx.notice.date or ctx.notice.published
    if anchor is None:
        return ctx.deadline if drafting else None
    for text in (clause, tag.text if tag else ""):
        found = find_deadline(text, written=anchor, calendar=ctx.calendar)
        if found:
            return found
    return ctx.deadline if drafting else None


def _spec(
    ctx: _Context,
    section: Section,
    item: Item,
    ordinal: str,
    location: str,
    clause: str,
    lead: str | None,
    who: Assignment,
    document: Document | None,
    deadline: Deadline | None,
) -> DutySpec:
    lead_dept = _resolve(ctx, lead, location) if lead else None
    co_written = tuple(n for n in who.co if n != lead)
    co_keys = tuple(dict.fromkeys(k for k in (_key_or_warn(ctx, n, location) for n in co_written) if k))
    lead_key = lead_dept.key if lead_dept else (department_key(lead, ctx.registry) if lead else None)
    if document is not None and lead is None:
        ctx.warnings.append(f"{location}：起草任务没有找到承办部门")
    kind = document.kind if document else None
    return DutySpec(
        id=f"{ctx.notice_id}-{section.number:02d}-{item.number:02d}-{ordinal}-{lead_key or 'none'}",
        ref=f"{ctx.notice.number or ctx.notice.title} {location} {lead_dept.display if lead_dept else lead or ''}".strip(),
        location=location,
        lead_as_written=lead,
        lead=lead_dept.key if lead_dept else None,
        co_departments_as_written=co_written,
        co_departments=co_keys,
        co_open=who.co_open,
        text=clause,
        document=document.written if document else None,
        title=document_title(document, ctx.notice.jurisdiction) if document else None,
        kind=kind,
        track=Track.for_kind(kind),
        basis=cited_articles(clause),
        deadline=deadline.date if deadline else None,
        last_working_day=deadline.last_working_day if deadline else None,
        recurring=deadline.recurring if deadline else None,
        drafting=document is not None,
        consultees=_consultees(ctx, lead_dept, co_keys),
        officer=_officer(lead_dept),
    )


def _resolve(ctx: _Context, name: str, location: str) -> Department | None:
    dept = ctx.registry.resolve(name)
    if dept is None:
        ctx.warnings.append(f"{location}：部门名录中没有“{name}”，已按原文保留")
    return dept


def _key_or_warn(ctx: _Context, name: str, location: str) -> str | None:
    dept = _resolve(ctx, name, location)
    return dept.key if dept else None


def _consultees(ctx: _Context, lead: Department | None, co: tuple[str, ...]) -> tuple[str, ...]:
    office = (ctx.coordinator.department,) if ctx.coordinator.department else ()
    return tuple(k for k in dict.fromkeys((*co, *office)) if not lead or k != lead.key)


def _officer(lead: Department | None) -> str:
    contact = lead.contact(Role.OFFICER) if lead else None
    return contact.email if contact else ""
