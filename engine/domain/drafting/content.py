"""Document content as plain data: what compose produces and render lays out.

A `Content` is a sequence of blocks: paragraphs in named styles (made of runs, some in a character style),
tables, a letterhead (版头) and a colophon (版记). Style names are those of the Word templates; a test checks
that every style compose can emit exists in every template with the properties GB/T 9704 needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from engine.domain.drafting.versions import DocumentKind


class Style(StrEnum):
    """Paragraph styles, by their names in the template."""

    TITLE = "Banfa Title"  # 2号 小标宋, centred
    SUBTITLE = "Banfa Subtitle"  # （征求意见稿）: 3号 楷体, centred
    CHAPTER = "Banfa Chapter"  # 第一章　总则: 3号 黑体, centred
    HEADING1 = "Banfa Heading 1"  # 一、: 3号 黑体
    HEADING2 = "Banfa Heading 2"  # （一）: 3号 楷体
    BODY = "Banfa Body"  # 3号 仿宋, first line indented 2 characters
    RECIPIENT = "Banfa Recipient"  # 主送机关: 3号 仿宋, no indent
    SIGNATURE = "Banfa Signature"  # 发文机关署名 and 成文日期: 3号 仿宋, right
    TABLE_TEXT = "Banfa Table Text"  # 4号 仿宋
    TABLE_HEADER = "Banfa Table Header"  # 4号 仿宋, bold, centred
    COLOPHON = "Banfa Colophon"  # 版记: 4号 仿宋
    LETTERHEAD = "Banfa Letterhead"  # 发文机关标志: red 小标宋, centred
    DOC_NUMBER = "Banfa Doc Number"  # 发文字号: 3号 仿宋, centred


class CharStyle(StrEnum):
    """Character styles, by their names in the template."""

    LEAD = "Banfa Lead"  # 第一条, in 黑体
    PLACEHOLDER = "Banfa Placeholder"  # 【待起草：……】, highlighted for the drafter


@dataclass(frozen=True)
class Run:
    text: str
    style: CharStyle | None = None


@dataclass(frozen=True)
class Paragraph:
    style: Style
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Table:
    """A portrait table across the 156 mm text block; the header row repeats on every page."""

    columns: tuple[str, ...]
    widths_mm: tuple[float, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Letterhead:
    """The 版头: the issuer's mark (…文件 for a 文件, the name alone for a 函), the 文号, the red rule."""

    issuer: str
    department_key: str
    number: str | None = None
    document: bool = True  # True: 深圳市贸易工业局文件; False: a 函's 深圳市贸易工业局


@dataclass(frozen=True)
class Colophon:
    """The 版记 on the last page: 抄送, then 印发机关 and 印发日期 (a placeholder until published), between rules."""

    copied: tuple[str, ...]
    printer: str
    printed: dt.date | None


Block = Paragraph | Table | Letterhead | Colophon


@dataclass(frozen=True)
class Content:
    """One document's content. `variant` names the consultee of a 征求意见函."""

    kind: DocumentKind
    title: str
    blocks: tuple[Block, ...]
    variant: str = ""

    def styles(self) -> set[str]:
        """Every paragraph and character style the content uses."""
        used: set[str] = set()
        for block in self.blocks:
            if isinstance(block, Paragraph):
                used.add(block.style.value)
                used.update(r.style.value for r in block.runs if r.style)
            elif isinstance(block, Table):
                used.update((Style.TABLE_TEXT.value, Style.TABLE_HEADER.value))
            elif isinstance(block, Letterhead):
                used.update((Style.LETTERHEAD.value, Style.DOC_NUMBER.value))
            else:
                used.add(Style.COLOPHON.value)
        return used

    @property
    def text(self) -> str:
        """The document's text, paragraph by paragraph, tables row by row (for tests and previews)."""
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                lines += ["\t".join(row) for row in (block.columns, *block.rows)]
        return "\n".join(lines)
