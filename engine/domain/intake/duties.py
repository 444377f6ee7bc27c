"""Turn a parsed notice into its duties: who drafts what, with whom, on what basis, by when (domain.md §1).

Every clause of every item becomes a `DutySpec` with `drafting` true or false; a clause yields one spec per
document it names and, under 分别, one per department. `extract` is pure: the registry and the calendar are
arguments, and problems a person should look at come back as warnings instead of exceptions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from engine.domain.departments import Department, Registry, Role
from engine.domain.intake.assignment import SPREADING, Assignment, Tag, clause_assignment, find_tags
from engine.domain.intake.deadlines import Deadline, find_deadline
from engine.domain.intake.ids import department_key, notice_slug
from engine.domain.intake.normative import Document, cited_articles, document_title, examine
from engine.domain.intake.notice import Item, Notice, Section
from engine.domain.intake.specs import Coordinator, DutySpec, Track
from engine.domain.workdays import WorkCalendar
from engine.errors import DuplicateDuties


@dataclass(frozen=True)
class Rejected:
    """A clause with a drafting verb that intake did not take as a drafting duty, and why (--explain)."""

    location: str
    text: str
    reason: str


@dataclass(frozen=True)
class Intake:
    """What intake makes of a notice."""

    notice: Notice
    notice_id: str
    deadline: Deadline | None
    coordinator: Coordinator
    duties: tuple[DutySpec, ...]
    warnings: tuple[str, ...] = field(default=())
    rejected: tuple[Rejected, ...] = field(default=())
    registry: str | None = None  # the id of the registry the notice was read with

    @property
    def drafting(self) -> tuple[DutySpec, ...]:
        return tuple(d for d in self.duties if d.drafting)


@dataclass(frozen=True)
class _Tagged:
    """A stretch of an item that a responsibility tag answers for and that asks for no rule of its own."""

    section: Section
    item: Item
    tag: Tag
    index: int  # the tag's place among the item's tags, from 1
    text: str  # the stretch, up to the tag


@dataclass(frozen=True)
class _Context:
    notice: Notice
    notice_id: str
    registry: Registry
    calendar: WorkCalendar
    deadline: Deadline | None
    coordinator: Coordinator
    warnings: list[str]
    rejected: list[Rejected] = field(default_factory=list)
    # Items a responsibility tag answers for that ask for no rule: a closing clause may spread a duty to them.
    tagged: list[_Tagged] = field(default_factory=list)


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
    if notice.closing:
        closing = Item(0, 0, notice.closing, "结语")
        # The closing's sentences are not items: only a drafting duty it gives (generic or spread) is kept.
        duties += [d for d in _item_duties(ctx, Section(0, "", (), (closing,)), closing) if d.drafting]
    duties = _spread(ctx, duties)
    duties = _unique(duties, ctx.notice_id)
    years = [d for spec in duties for d in (spec.deadline,) if d] + ([anchor] if anchor else [])
    if years:
        for year in calendar.fallback_years(min(years), max(years)):
            warnings.append(
                f"{year} 年的法定节假日安排未知，按周末推算工作日；请在 rules/calendar/{year}.toml 中补充"
            )
    return Intake(
        notice,
        ctx.notice_id,
        deadline,
        ctx.coordinator,
        tuple(duties),
        tuple(dict.fromkeys(warnings)),
        tuple(ctx.rejected),
    )


def _unique(duties: list[DutySpec], notice_id: str) -> list[DutySpec]:
    """Give every duty its own id, or stop when the text itself repeats.

    Numbering that starts again (a second list 一、二、 after the first) makes ids meet: a later duty then takes
    a suffix (-2, -3). The same duty twice, same place and same words, means the notice was pasted twice into one
    file, which is not one notice: DuplicateDuties.
    """
    seen: dict[str, DutySpec] = {}
    pasted: list[str] = []
    out: list[DutySpec] = []
    for duty in duties:
        first = seen.get(duty.id)
        if first is not None and (first.location, first.text) == (duty.location, duty.text):
            pasted.append(duty.id)
            continue
        if first is not None:
            n = 2
            while f"{duty.id}-{n}" in seen:
                n += 1
            duty = replace(duty, id=f"{duty.id}-{n}")
        seen[duty.id] = duty
        out.append(duty)
    if pasted:
        raise DuplicateDuties(notice_id, pasted)
    return out


def _notice_deadline(notice: Notice, anchor: dt.date | None, calendar: WorkCalendar) -> Deadline | None:
    """Find the notice-wide deadline: a closing sentence about finishing the work, not about reporting on it."""
    if anchor is None:
        return None
    for sentence in re.split(r"[。；]", notice.closing + "。" + notice.preamble):
        if examine(sentence)[0]:
            continue  # a sentence that gives a duty of its own (各区人民政府要于……前制定……): its deadline is its own
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


_SENTENCE_END = re.compile(r"[。；;]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _clauses(text: str, tags: list[Tag]) -> list[tuple[str, Tag | None, bool]]:
    """Split an item into clauses, each with the tag that follows its stretch and whether it closes it."""
    out: list[tuple[str, Tag | None, bool]] = []
    for piece, tag in _segments(text, tags):
        clauses = [c.strip() for c in _SENTENCE_END.split(piece) if _HAN.search(c)]
        out += [(clause, tag, i == len(clauses) - 1) for i, clause in enumerate(clauses)]
    return out


def _item_duties(ctx: _Context, section: Section, item: Item) -> list[DutySpec]:
    tags = find_tags(item.text, ctx.registry)
    clauses = _clauses(item.text, tags)
    specs: list[DutySpec] = []
    previous: Assignment | None = None
    drafted: set[int] = (
        set()
    )  # the tags (by start) whose stretch asks for a rule, or for another kind of text
    for ordinal, (clause, tag, last) in enumerate(clauses, 1):
        own = clause_assignment(clause, ctx.registry)
        if tag is not None and own is not None and (own.leads or own.addressee) and not last:
            tag = None  # a sentence with its own subject, not the one the tag closes: the tag is another's
        who = _responsible(clause, own, tag, section, previous)
        previous = who if who.leads or who.addressee else previous
        location = item.location + (f"-{ordinal}" if len(clauses) > 1 else "")
        rejected = len(ctx.rejected)
        found = _clause_specs(ctx, section, item, ordinal, location, clause, tag, who)
        if tag is not None and (any(s.drafting for s in found) or (last and len(ctx.rejected) > rejected)):
            drafted.add(tag.start)  # 可以制定……指引: it asks for something, not for a 配套办法
        specs += found
    start = 0
    for index, tag in enumerate(tags, 1):
        if tag.start not in drafted and tag.assignment.leads:
            ctx.tagged.append(
                _Tagged(section, item, tag, index, item.text[start : tag.start].strip("。；， "))
            )
        start = tag.end
    return specs


def _responsible(
    clause: str, own: Assignment | None, tag: Tag | None, section: Section, previous: Assignment | None
) -> Assignment:
    if own and (own.leads or own.addressee):
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
        # the sentence before named who (市财政局要……。抓紧制定……; 各地区要……。要结合实际制定……)
        return Assignment(
            previous.leads, separately=previous.separately, addressee=previous.addressee
        ).merged_with(extra)
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
    found, rejection = examine(clause)
    if rejection is not None and not found:
        ctx.rejected.append(Rejected(location, clause, rejection.reason))
    documents: list[Document | None] = list(found) or [None]
    leads: tuple[str | None, ...] = tuple(dict.fromkeys(who.leads if who.separately else who.leads[:1])) or (
        None,
    )
    deadline = _clause_deadline(ctx, clause, tag, drafting=documents[0] is not None)
    evidence = clause + (f"（{tag.text}）" if tag is not None and not _names_own_lead(clause, who) else "")
    if found and who.addressee and not who.leads:
        return [
            _generic(ctx, section, item, f"{ordinal}", location, clause, who.addressee, doc, deadline)
            for doc in found[:1]
        ]
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
                    evidence,
                )
            )
    return specs


def _names_own_lead(clause: str, who: Assignment) -> bool:
    return bool(who.leads) and who.leads[0] in clause


def _generic(
    ctx: _Context,
    section: Section,
    item: Item,
    ordinal: str,
    location: str,
    clause: str,
    addressee: str,
    document: Document,
    deadline: Deadline | None,
) -> DutySpec:
    """A duty addressed to a class (各地区, 各责任单位): kept apart, until a person names its lead."""
    who = Assignment((), addressee=addressee)
    spec = _spec(ctx, section, item, ordinal, location, clause, None, who, document, deadline, clause)
    return replace(
        spec,
        id=spec.id.removesuffix("-none") + "-generic",
        ref=f"{spec.ref} {addressee}",
        generic=True,
        addressee=addressee,
    )


def _spread(ctx: _Context, duties: list[DutySpec]) -> list[DutySpec]:
    """Spread a closing clause such as 各责任单位要于……前出台配套办法 over the tagged items that ask for no rule.

    Each such item gets one drafting duty, led by its tag's lead, with its co-departments, its subject as the
    title and the clause's deadline. Without tagged items the clause stays one generic duty.
    """
    out: list[DutySpec] = []
    spread: list[tuple[str, DutySpec]] = []  # (the id prefix of its item, the duty)
    for duty in duties:
        if not (duty.generic and duty.addressee and SPREADING.match(duty.addressee) and ctx.tagged):
            out.append(duty)
            continue
        for tagged, lead in [(t, lead) for t in ctx.tagged for lead in _spread_leads(t.tag.assignment)]:
            who, item = tagged.tag.assignment, tagged.item
            subject = re.split(r"[。；，]", tagged.text, maxsplit=1)[0]
            several = sum(t.item is item for t in ctx.tagged) > 1
            document = Document(duty.document or "配套办法", duty.kind or "办法", "制定")
            spec = _spec(
                ctx,
                tagged.section,
                item,
                f"s{tagged.index}" if several else "s",
                item.location + (f"-{tagged.index}" if several else ""),
                tagged.text,
                lead,
                who,
                document,
                None,
                f"{tagged.text}（{tagged.tag.text}）…… {duty.text}",
            )
            title = f"关于{subject}的{duty.document or '配套办法'}"
            place = ctx.notice.jurisdiction
            spread.append(
                (
                    f"{ctx.notice_id}-{_place_id(tagged.section, item)}-",
                    replace(
                        spec,
                        title=(place or "") + title if place and not title.startswith(place) else title,
                        deadline=duty.deadline,
                        last_working_day=duty.last_working_day,
                        recurring=duty.recurring,
                        deadline_note=duty.deadline_note,
                    ),
                )
            )
    for prefix, made in spread:  # each after the last duty of its item
        at = max((i for i, d in enumerate(out) if d.id.startswith(prefix)), default=len(out) - 1)
        out.insert(at + 1, made)
    return out


def _spread_leads(who: Assignment) -> tuple[str, ...]:
    """Who drafts under a spread clause: the tag's lead, or each department under 按职责分工负责."""
    return who.leads if who.separately else who.leads[:1]


def _clause_deadline(ctx: _Context, clause: str, tag: Tag | None, *, drafting: bool) -> Deadline | None:
    anchor = ctx.notice.date or ctx.notice.published
    if anchor is None:
        return ctx.deadline if drafting else None
    for text in (clause, tag.text if tag else ""):
        found = find_deadline(text, written=anchor, calendar=ctx.calendar)
        if found:
            return found
    return ctx.deadline if drafting else None


def _place_id(section: Section, item: Item) -> str:
    if item.label == "结语":
        return "end"
    place = f"{section.number:02d}-{item.number:02d}"
    return f"a{item.annex}-{place}" if item.annex else place


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
    evidence: str = "",
) -> DutySpec:
    # Only a drafting duty's unknown departments are worth a warning: the others never reach a catalogue.
    warn = document is not None
    lead_dept = _resolve(ctx, lead, location, warn) if lead else None
    co_written = tuple(n for n in who.co if n != lead)
    co_keys = tuple(dict.fromkeys(k for k in (_key_or_warn(ctx, n, location, warn) for n in co_written) if k))
    lead_key = lead_dept.key if lead_dept else (department_key(lead, ctx.registry) if lead else None)
    if document is not None and lead is None and not who.addressee:
        ctx.warnings.append(f"{location}：起草任务没有找到承办部门")
    kind = document.kind if document else None
    note = None
    if deadline is not None and deadline.relative and document is not None:
        anchor = ctx.notice.date or ctx.notice.published
        note = f"相对期限“{deadline.text}”按成文日期 {anchor} 推算为 {deadline.date}，请核实"
        ctx.warnings.append(f"{location}：{note}")
    return DutySpec(
        id=f"{ctx.notice_id}-{_place_id(section, item)}-{ordinal}-{lead_key or 'none'}",
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
        consultees=_consultees(ctx, lead_dept, co_keys) if warn else (),
        officer=_officer(lead_dept),
        evidence=evidence or clause,
        deadline_note=note,
    )


def _resolve(ctx: _Context, name: str, location: str, warn: bool = True) -> Department | None:
    dept = ctx.registry.resolve(name)
    if dept is None and warn:
        ctx.warnings.append(f"{location}：部门名录中没有“{name}”，已按原文保留")
    return dept


def _key_or_warn(ctx: _Context, name: str, location: str, warn: bool = True) -> str | None:
    dept = _resolve(ctx, name, location, warn)
    return dept.key if dept else None


def _consultees(ctx: _Context, lead: Department | None, co: tuple[str, ...]) -> tuple[str, ...]:
    office = (ctx.coordinator.department,) if ctx.coordinator.department else ()
    return tuple(k for k in dict.fromkeys((*co, *office)) if not lead or k != lead.key)


def _officer(lead: Department | None) -> str:
    contact = lead.contact(Role.OFFICER) if lead else None
    return contact.email if contact else ""
