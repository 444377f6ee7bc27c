"""Turn the wording templates' markup into content blocks, numbering chapters and articles on the way.

One directive a line (see engine.domain.drafting.compose). Text in 【】 becomes a placeholder run. Unknown
directives are an error in the template, reported with the line, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from engine.domain.drafting.content import (
    Block,
    CharStyle,
    Colophon,
    Letterhead,
    Paragraph,
    Run,
    Style,
    Table,
)
from engine.domain.textform import cn_numeral, format_date
from engine.errors import TemplateError

_PLACEHOLDER = re.compile(r"(【[^】]*】)")
_SIMPLE = {
    "title": Style.TITLE,
    "subtitle": Style.SUBTITLE,
    "recipient": Style.RECIPIENT,
    "h1": Style.HEADING1,
    "h2": Style.HEADING2,
    "p": Style.BODY,
    "signature": Style.SIGNATURE,
}


def runs(text: str) -> tuple[Run, ...]:
    """Split text into runs, the 【placeholders】 in their own character style."""
    return tuple(
        Run(part, CharStyle.PLACEHOLDER if _PLACEHOLDER.fullmatch(part) else None)
        for part in _PLACEHOLDER.split(text)
        if part
    )


@dataclass
class Expansions:
    """What directives that are not plain text expand to, supplied by compose for one document."""

    body: Callable[[], str] = lambda: ""
    tables: Mapping[str, Table] = field(default_factory=dict)
    letterhead: Callable[[bool], Letterhead] | None = None
    colophon: Callable[[], Colophon] | None = None


@dataclass
class _Numbering:
    chapters: int = 0
    articles: int = 0


def parse_markup(markup: str, expansions: Expansions, template: str = "<markup>") -> list[Block]:
    """Build the blocks a markup text describes."""
    blocks: list[Block] = []
    numbering = _Numbering()
    for line in markup.splitlines():
        if line.strip():
            blocks += _directive(line.strip(), expansions, numbering, template)
    return blocks


def _directive(line: str, ex: Expansions, numbering: _Numbering, template: str) -> list[Block]:
    name, _, text = line.partition(" ")
    name, text = name.removeprefix("@"), text.strip()
    if not line.startswith("@"):
        raise TemplateError(template, f"每行须以 @ 指令开头：{line[:30]}")
    if name in _SIMPLE:
        return [Paragraph(_SIMPLE[name], runs(text))]
    if name == "chapter":
        numbering.chapters += 1
        return [Paragraph(Style.CHAPTER, (Run(f"第{cn_numeral(numbering.chapters)}章　"), *runs(text)))]
    if name == "article":
        numbering.articles += 1
        lead = Run(f"第{cn_numeral(numbering.articles)}条", CharStyle.LEAD)
        return [Paragraph(Style.BODY, (lead, Run("　"), *runs(text)))]
    return _expansion(name, text, ex, numbering, template)


def _expansion(name: str, text: str, ex: Expansions, numbering: _Numbering, template: str) -> list[Block]:
    if name == "date":
        return [Paragraph(Style.SIGNATURE, runs(_date(text)))]
    if name == "body":
        return [
            b
            for line in ex.body().splitlines()
            if line.strip()
            for b in _directive(line.strip(), ex, numbering, template)
        ]
    if name == "table" and text in ex.tables:
        return [ex.tables[text]]
    if name == "letterhead" and ex.letterhead and text in ("document", "letter"):
        return [ex.letterhead(text == "document")]
    if name == "colophon" and ex.colophon:
        return [ex.colophon()]
    raise TemplateError(template, f"未知指令或参数：@{name} {text}".rstrip())


def _date(text: str) -> str:
    try:
        return format_date(dt.date.fromisoformat(text))
    except ValueError:
        return text  # a placeholder such as 【成文日期】
