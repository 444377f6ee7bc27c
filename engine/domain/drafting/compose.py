"""Compose a duty's documents as plain content (pure: no python-docx, no file, no clock).

The wording lives in Jinja2 text templates (documents/templates/text/, which people may edit); each renders
to a simple markup, one block a line, that this module turns into `Content`:

    @title 标题              @subtitle （征求意见稿）      @recipient 主送机关：
    @chapter 总则            (numbered: 第一章　总则)       @article 条文 (numbered: 第一条　条文)
    @h1 一、标题             @h2 （一）标题                  @p 正文
    @signature 署名          @date 2007-12-29               @letterhead document|letter
    @body                    (the draft's chapters and articles: the newest uploaded text, else the skeleton)
    @table adoption|comparison      @colophon

Text in 【】 is a placeholder for the drafter and is marked as such. Articles and chapters are numbered in
order with Chinese numerals.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.domain.departments import Department, Role
from engine.domain.drafting.content import Colophon, Content, Letterhead, Paragraph, Style, Table
from engine.domain.drafting.decisions import ReplyKind
from engine.domain.drafting.history import History
from engine.domain.drafting.markup import Expansions, parse_markup
from engine.domain.drafting.policy import Policy, Wording
from engine.domain.drafting.text import DraftText
from engine.domain.drafting.versions import DocumentKind
from engine.domain.intake.specs import DutySpec, NoticeInfo, Track


@dataclass(frozen=True)
class Parties:
    """The departments a duty's documents name."""

    lead: Department
    co: tuple[Department, ...] = ()
    consultees: tuple[Department, ...] = ()
    reviewer: Department | None = None
    coordinator_office: str | None = None


@dataclass(frozen=True)
class Drafting:
    """Everything compose needs about one duty. `reply_due` is computed by the caller in working days."""

    duty: DutySpec
    notice: NoticeInfo
    parties: Parties
    today: dt.date
    reply_due: dt.date
    history: History = field(default_factory=History)
    policy: Policy = field(default_factory=Policy)


TEMPLATES: dict[DocumentKind, str] = {k: k.value for k in DocumentKind if k is not DocumentKind.ATTACHMENT}
SKELETON = "draft-body"
_NOUNS = ("条例", "细则", "规定", "措施", "办法")


def noun(title: str) -> str:
    """Name the kind of text for 本办法 / 本规定 / 本条例: from the end of the title, ignoring （修订）（草案）."""
    stem = re.sub(r"（[^）]*）$", "", title)
    return next((n for n in _NOUNS if stem.endswith(n)), "办法")


def subject(title: str, place: str | None) -> str:
    """What the text is about: the title without its place, its kind and qualifiers such as 具体, 实施."""
    stem = re.sub(r"（[^）]*）$", "", title)
    if place and stem.startswith(place):
        stem = stem[len(place) :]
    stem = stem.removesuffix(noun(title))
    return re.sub(r"(?:的)?(?:具体|实施|操作|有关|相关)*(?:的)?$", "", stem) or stem


def _basis(drafting: Drafting) -> str:
    """Cite the notice and every referenced document with a 文号, with the article where the duty cites one."""
    notice = drafting.notice
    cited = [f"《{notice.title}》" + (f"（{notice.number}）" if notice.number else "")]
    for ref in notice.references:
        if not ref.number:
            continue
        articles = [
            b.split("》", 1)[1] for b in drafting.duty.basis if ref.short and b.startswith(f"《{ref.short}》")
        ]
        cited.append(f"《{ref.cited_title}》（{ref.number}）{'、'.join(articles)}")
    return "和".join(cited)


def context(drafting: Drafting, *, variant: str = "") -> dict[str, Any]:
    """Build the template context: plain values the wording may use."""
    duty, parties = drafting.duty, drafting.parties
    title = duty.title or duty.document or ""
    place = re.match(r"^(.{2,8}?[市省])", title)
    consultee = next((d for d in parties.consultees if d.key == variant), None)
    effective = drafting.history.publication.effective if drafting.history.publication else None
    return {
        "duty": duty,
        "notice": drafting.notice,
        "title": title,
        "noun": noun(title),
        "subject": subject(title, place.group(1) if place else None),
        "basis": _basis(drafting),
        "lead": parties.lead,
        "co": parties.co,
        "co_names": "、".join(d.name for d in parties.co),
        "consultees": parties.consultees,
        "consultee": consultee,
        "reviewer": parties.reviewer,
        "coordinator_office": parties.coordinator_office,
        "history": drafting.history,
        "policy": drafting.policy,
        "today": drafting.today,
        "reply_due": drafting.reply_due,
        "effective": effective or _proposed_effective(duty, drafting.today),
        "contact": _contact(parties.lead),
        "replies": drafting.history.replies,
    }


def _proposed_effective(duty: DutySpec, today: dt.date) -> dt.date:
    """Propose the day after the deadline (2007-12-31 → 2008-01-01); a 规章 takes effect 30 days after."""
    base = duty.deadline or today
    return base + dt.timedelta(days=30 if duty.track is Track.RULE else 1)


def _contact(lead: Department) -> dict[str, str]:
    """The lead's 承办人, as far as the registry knows them; the wording marks what is missing."""
    person = lead.contact(Role.OFFICER)
    return {"name": person.name if person else "", "email": person.email if person else ""}


def compose(kind: DocumentKind, drafting: Drafting, wording: Wording, *, variant: str = "") -> Content:
    """Compose one document of a duty; a 征求意见函 takes the consultee's key as `variant`."""
    if kind is DocumentKind.CONSULTATION_LETTER and variant not in {
        d.key for d in drafting.parties.consultees
    }:
        raise ValueError(f"{variant!r} is not a consultee of {drafting.duty.id}")
    ctx = context(drafting, variant=variant)
    expansions = Expansions(
        body=lambda: _body_markup(drafting, wording, ctx),
        tables={"adoption": adoption_table(drafting)},
        letterhead=lambda document: _letterhead(drafting, document),
        colophon=lambda: _colophon(drafting),
    )
    blocks = parse_markup(wording.render(TEMPLATES[kind], ctx), expansions, TEMPLATES[kind])
    return Content(kind, _title_of(blocks), tuple(blocks), variant)


def compose_duty(drafting: Drafting, wording: Wording, kinds: tuple[DocumentKind, ...]) -> list[Content]:
    """Compose the documents of a duty, one 征求意见函 per consultee; a comparison needs two texts, so none."""
    out: list[Content] = []
    for kind in kinds:
        if kind is DocumentKind.CONSULTATION_LETTER:
            out += [compose(kind, drafting, wording, variant=d.key) for d in drafting.parties.consultees]
        elif kind not in (DocumentKind.COMPARISON, DocumentKind.ATTACHMENT):
            out.append(compose(kind, drafting, wording))
    return out


def _title_of(blocks: list[Any]) -> str:
    return next((b.text for b in blocks if isinstance(b, Paragraph) and b.style is Style.TITLE), "")


def _body_markup(drafting: Drafting, wording: Wording, ctx: Mapping[str, Any]) -> str:
    """The draft's chapters and articles: from the newest uploaded text when there is one, else the skeleton."""
    text = drafting.history.text
    if text is None or not text.articles:
        return wording.render(SKELETON, ctx)
    lines: list[str] = []
    chapter: str | None = None
    for article in text.articles:
        if article.chapter and article.chapter != chapter:
            chapter = article.chapter
            lines.append("@chapter " + re.sub(r"^第[^章]+章[\s\u3000]*", "", chapter))
        first, *rest = article.text.split("\n")
        lines += [f"@article {first}"] + [f"@p {line}" for line in rest]
    return "\n".join(lines)


def adoption_table(drafting: Drafting) -> Table:
    """The 意见采纳情况表: one row per opinion, and one per department that had none or did not reply."""
    rows: list[tuple[str, ...]] = []
    for reply in drafting.history.replies:
        if reply.kind is ReplyKind.OPINIONS:
            rows += [
                (o.department, o.clause, o.text, o.decision.value if o.decision else "【待处理】", o.reason)
                for o in reply.opinions
            ]
        elif reply.kind is ReplyKind.NO_OBJECTION:
            rows.append((reply.department, "—", "无意见", "—", ""))
        else:
            note = "逾期未反馈，视为无意见" if drafting.policy.silence_is_consent else "逾期未反馈"
            rows.append((reply.department, "—", note, "—", ""))
    if not rows:
        rows.append(("【尚无反馈】", "", "【征求意见结束后由系统据实填写】", "", ""))
    numbered = tuple((str(i), *row) for i, row in enumerate(rows, 1))
    return Table(
        ("序号", "提出单位", "条款", "意见建议", "处理情况", "理由"), (12, 26, 18, 46, 24, 30), numbered
    )


def _letterhead(drafting: Drafting, document: bool) -> Letterhead:
    lead, publication = drafting.parties.lead, drafting.history.publication
    number = publication.number if publication and document else None
    return Letterhead(lead.name, lead.key, number, document)


def _colophon(drafting: Drafting) -> Colophon:
    publication, parties = drafting.history.publication, drafting.parties
    copied = publication.copied if publication and publication.copied else tuple(d.name for d in parties.co)
    if parties.coordinator_office and parties.coordinator_office not in copied:
        copied = (*copied, parties.coordinator_office)
    printed = publication.published if publication else None
    return Colophon(copied, f"{parties.lead.name}办公室", printed)


def compose_comparison(title: str, old: DraftText, new: DraftText, wording: Wording) -> Content:
    """Compose a 修改对照表: the articles that changed between two versions, side by side."""
    table = comparison_table(old, new)
    ctx = {"title": title, "changed": len(table.rows)}
    blocks = parse_markup(
        wording.render(TEMPLATES[DocumentKind.COMPARISON], ctx),
        Expansions(tables={"comparison": table}),
        TEMPLATES[DocumentKind.COMPARISON],
    )
    return Content(DocumentKind.COMPARISON, _title_of(blocks), tuple(blocks))


def comparison_table(old: DraftText, new: DraftText) -> Table:
    """Align two versions article by article (difflib over the article texts) and list what changed."""
    a = [f"{x.label}　{x.text}" for x in old.articles] or list(old.paragraphs)
    b = [f"{x.label}　{x.text}" for x in new.articles] or list(new.paragraphs)
    rows: list[tuple[str, str, str]] = []
    matcher = difflib.SequenceMatcher(
        None, [_unlabelled(t) for t in a], [_unlabelled(t) for t in b], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            before = olds[k] if k < len(olds) else ""
            after = news[k] if k < len(news) else ""
            rows.append((before, after, "新增" if not before else "删除" if not after else "修改"))
    if not rows:
        rows.append(("", "", "两稿条文相同，未作修改"))
    return Table(("原条文", "修改后条文", "说明"), (66, 66, 24), tuple(rows))


def _unlabelled(text: str) -> str:
    """Compare articles by their words, not their numbers: inserting one renumbers all after it."""
    return re.sub(r"^第[^条]+条[\s\u3000]*", "", text)
