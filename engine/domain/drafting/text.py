"""The text of a draft as Banfa reads it back: paragraphs, and the articles (第X条) among them.

Pure. `articles_from_paragraphs` turns paragraphs, with any Word auto-numbering already resolved to its labels,
into articles grouped under their chapters; the comparison table (修改对照表) aligns two drafts by these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.domain.textform import CN_NUMERAL, cn_numeral, parse_cn_numeral

_ARTICLE = re.compile(rf"^第({CN_NUMERAL})条[\s\u3000]*(.*)$", re.S)
_CHAPTER = re.compile(rf"^第({CN_NUMERAL})章[\s\u3000]*(.*)$")


@dataclass(frozen=True)
class Article:
    """One article: its number (第一条 → 1), its text after the label, and the chapter it stands in."""

    number: int
    text: str
    chapter: str | None = None

    @property
    def label(self) -> str:
        return f"第{cn_numeral(self.number)}条"


@dataclass(frozen=True)
class DraftText:
    """What a .docx draft says: its paragraphs in order and the articles among them."""

    paragraphs: tuple[str, ...]
    articles: tuple[Article, ...]
    warnings: tuple[str, ...] = ()


_STAGE_MARK = re.compile(r"[（(](?:征求意见稿|送审稿|草案|修订稿|修改稿|讨论稿|代拟稿)[）)]$")


def draft_title(text: DraftText) -> str | None:
    """The title of a draft: its first paragraph that is not a 版头, a （征求意见稿） line or an article."""
    for paragraph in text.paragraphs[:4]:
        if (
            not paragraph.startswith(("（", "("))
            and not paragraph.endswith("文件")
            and "条" not in paragraph[:6]
        ):
            return paragraph
    return None


def plain_title(title: str) -> str:
    """A title as titles are compared: without white space, and without a stage mark such as （征求意见稿）."""
    return _STAGE_MARK.sub("", "".join(title.split()))


def articles_from_paragraphs(paragraphs: tuple[str, ...] | list[str]) -> tuple[Article, ...]:
    """Group paragraphs into articles: a 第X条 paragraph opens one; the paragraphs after it (款) join it."""
    articles: list[Article] = []
    chapter: str | None = None
    for raw in paragraphs:
        text = raw.strip()
        if (m := _CHAPTER.match(text)) is not None:
            chapter = f"第{m.group(1)}章　{m.group(2).strip()}".rstrip()
        elif (m := _ARTICLE.match(text)) is not None:
            articles.append(Article(parse_cn_numeral(m.group(1)), m.group(2).strip(), chapter))
        elif articles and text and not _looks_like_heading(text):
            last = articles[-1]
            articles[-1] = Article(last.number, f"{last.text}\n{text}", last.chapter)
    return tuple(articles)


def _looks_like_heading(text: str) -> bool:
    return bool(re.match(rf"^(?:{CN_NUMERAL}、|第{CN_NUMERAL}节)", text))
