"""Read a division-of-labour notice: title, 文号, issuer, dates, sections, items, departments named.

`parse` turns text into a `Notice` (engine.domain.intake.decoding turns a file's bytes into text). It is pure:
the caller reads the file. It accepts any string and either returns a Notice or raises a NoticeParseError; it
never fails in any other way.

The structure it reads: an optional header of web metadata (发布机构: …, 文 号: …), a title (possibly over two
lines: issuer, then 关于…的通知), a date line and a 文号, a preamble, sections 一、 二、 … whose headings are either
departments (heading style: 一、市贸工局) or topics (tag style), items （一） or 1. under them (deeper levels fold
into their item), a closing paragraph, and a signature with a date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from engine.domain.departments import Registry, is_department, split_list
from engine.domain.intake.specs import Reference
from engine.domain.textform import (
    CN_DATE,
    CN_NUMERAL,
    ascii_digits,
    cn_numeral,
    find_doc_number,
    format_doc_number,
    normalize_brackets,
    parse_cn_date,
    parse_cn_numeral,
    strip_pad,
)
from engine.errors import EmptyNotice, NotANotice


@dataclass(frozen=True)
class Item:
    """One numbered item; `number` is 0 when a section's text stands without items of its own."""

    section: int
    number: int
    text: str
    label: str = ""
    annex: int = 0

    @property
    def location(self) -> str:
        """The readable place: 一(三), 六 for a section's own text, 第五条, 附件(2) for an annex's row 2."""
        head = cn_numeral(self.section) if self.section else ""
        if self.number:
            place = self.label if self.label.startswith("第") else f"{head}({self.label})"
        else:
            place = head or self.label
        return (f"附件{self.annex if self.annex > 1 else ''}" if self.annex else "") + (place or "正文")


@dataclass(frozen=True)
class Section:
    """A section 一、…: `departments` are the names its heading lists, as written (empty for a topic)."""

    number: int
    heading: str
    departments: tuple[str, ...]
    items: tuple[Item, ...]
    annex: int = 0  # 0 for the notice's own text, 1 for 附件1 (or a lone 附件), …

    @property
    def names_other_departments(self) -> bool:
        """True for a heading such as 其他部门, whose items name their departments inline."""
        return (
            not self.departments
            and re.fullmatch(r"(?:其他|其它|有关|相关)(?:部门|单位)", self.heading) is not None
        )


@dataclass(frozen=True)
class Notice:
    """A parsed notice. Dates may be None when the text does not give them."""

    title: str
    number: str | None
    issuer: str | None
    date: dt.date | None
    published: dt.date | None
    preamble: str
    sections: tuple[Section, ...]
    closing: str
    departments: tuple[str, ...]
    references: tuple[Reference, ...] = ()

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @property
    def jurisdiction(self) -> str | None:
        """The place the issuer governs, for titles: 深圳市人民政府办公厅 → 深圳市; 国务院办公厅 → None."""
        m = re.match(
            r"([\u4e00-\u9fff]{2,8}?[省市县区])(?:人民政府|政府|委员会|办公厅)", self.issuer or self.title
        )
        return m.group(1) if m else None


# --- lines ----------------------------------------------------------------------------------------------------

_META = re.compile(
    r"^(索引号|信息分类|主题分类|发布机构|发文机关|发布日期|公布日期|发文日期|成文日期|信息名称|标\s*题|文\s*号|发文字号|关\s*键\s*词)"
    r"\s*[:：]\s*(.*)$"
)
_SECTION = re.compile(rf"^({CN_NUMERAL})[、，.．]\s*(.*)$")
_ITEM = re.compile(rf"^（({CN_NUMERAL})）\s*(.*)$")
_SUBITEM = re.compile(r"^(?:(\d{1,2})[.．、](?!\d)|（(\d{1,2})）)\s*(.*)$")
_ARTICLE = re.compile(rf"^(第({CN_NUMERAL})条)\s*(.*)$")
# A title set with a space between its characters: 几 个 问 题 的 通 知
_LETTER_SPACED = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff](?: |$))")
_URL = re.compile(r"^(?:https?://|www\.)\S*$")
# Punctuation doubled by a careless copy (〔〔2007〕〕, 。。): one of each. Brackets that nest, （）《》, stay.
_DOUBLED = re.compile(r"([，。；：、！？〔〕【】])\1+")
# The heading of an annex on its own line: 附件, 附件1, 附件：（a line 附件：…名称 in the text lists annexes instead)
_ANNEX = re.compile(r"^附\s*件\s*(\d{0,2})\s*$")
_DATE_LINE = re.compile(rf"^[（(]?{CN_DATE}[）)]?$")
_DOC_KINDS = "通知|意见|方案|决定|规定|办法|通报|函|批复|答复|计划|安排|要点|纪要|分工|公告|通告|命令|令"
_TITLE = re.compile(rf"(?:{_DOC_KINDS})(?:[)）》])?$")
_ISSUER_LINE = re.compile(
    r"^[\u4e00-\u9fff]{2,30}(?:办公厅|办公室|人民政府|政府|委员会|局|厅|部|委|署|院|办)$"
)
_SIGNATURE_END = re.compile(r"^(?:附件[:：]|抄送[:：]|（此件|\(此件|主题词)")
# Items run together on one line in copies from web pages: break before （二） when a sentence has just ended.
_INLINE_ITEM = re.compile(rf"(?<=[。；])\s*(?=（{CN_NUMERAL}）)")


def _iso_date(text: str) -> dt.date | None:
    m = re.search(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", ascii_digits(text))
    if m is None:
        return parse_cn_date(text)
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    for raw in text.split("\n"):
        line = _LETTER_SPACED.sub("", _DOUBLED.sub(r"\1", normalize_brackets(strip_pad(raw))))
        if line and not _URL.match(line):
            parts = [line] if "\t" in line else _INLINE_ITEM.split(line)
            lines.extend(part for part in (strip_pad(p) for p in parts) if part)
    return _tables(lines)


# A table of duties, as a .docx's table or a copied one reaches the parser: cells split by TAB. Its header names
# the columns; each row becomes a numbered item whose responsibility tag carries the row's lead, co-departments
# and time limit, so that a row is read like any tagged item.
_COLUMNS = {
    "task": re.compile(r"^(?:重点|主要|具体)?(?:工作)?(?:任务|内容|事项|措施)(?:内容|名称)?$"),
    "lead": re.compile(r"^(?:牵头|责任|主办|负责)(?:单位|部门)$"),
    "co": re.compile(r"^(?:配合|协办|参与|协作)(?:单位|部门)$"),
    "time": re.compile(r"^(?:完成)?(?:时限|时间|期限)(?:要求)?$|^时间要求$"),
}


def _tables(lines: list[str]) -> list[str]:
    out: list[str] = []
    columns: dict[str, int] | None = None
    number = 0
    for line in lines:
        cells = [strip_pad(c) for c in line.split("\t")] if "\t" in line else None
        if cells is not None:
            header = {
                name: i for i, cell in enumerate(cells) for name, rx in _COLUMNS.items() if rx.match(cell)
            }
            if "task" in header and "lead" in header:
                columns, number = header, 0
                continue
        if columns is None or cells is None:
            columns = None
            out.append(re.sub(r"\t+", "", line))
            continue

        def cell(name: str, row: list[str] = cells, where: dict[str, int] = columns) -> str:
            i = where.get(name)
            return row[i] if i is not None and i < len(row) else ""

        task = cell("task").rstrip("。；;")
        if not task:
            continue
        number += 1
        roles = [f"牵头单位：{cell('lead')}"] + [
            f"{label}：{value}"
            for label, value in (("配合单位", cell("co")), ("完成时限", cell("time")))
            if value
        ]
        out.append(f"（{cn_numeral(number)}）{task}。（{'；'.join(roles)}）")
    return out


# --- the parse ------------------------------------------------------------------------------------------------

# A responsibility tag closing a sentence: （国家发展改革委会同有关部门负责）, （商务部牵头，海关总署参与）.
RESPONSIBILITY_TAG = re.compile(r"（([^（）]{0,80}?(?:负责|牵头|参与|配合|落实|承担|完成)[^（）]{0,160})）")


def parse(text: str, *, registry: Registry | None = None, source: str = "<text>") -> Notice:
    """Parse a notice's text; raise EmptyNotice or NotANotice when it is not one.

    The body is the text between the title block and the signature. Numbered (一、（一）, 1., （1）, 第一条)
    it splits into sections and items; without numbering it is one item. Annexes after the signature (a lone
    附件 line) are read the same way, so that a table of duties attached to a short notice is read too.
    """
    if not text.strip():
        raise EmptyNotice(source)
    lines = _lines(text)
    meta = _meta(lines)
    body = [line for line in lines if not _META.match(line)]
    annex_at = next((i for i, line in enumerate(body) if i and _ANNEX.match(line)), len(body))
    main, annexes = body[:annex_at], body[annex_at:]
    first = next((i for i, line in enumerate(main) if _is_numbered(line)), None)
    title, title_end = _title(main[:first] if first is not None else main[:40], meta)
    if title is None:
        raise NotANotice(source, "没有找到公文标题（……关于……的通知）")
    if first is not None and first < title_end:
        first = next((i for i, line in enumerate(main) if i >= title_end and _is_numbered(line)), None)
    if first is not None and _ends_text(main, title_end, first):
        first = None  # the numbering stands after the signature: the body itself is not numbered
    if first is None:
        head, sections, closing, tail = _unnumbered(main, title_end)
    else:
        head = main[:first]
        sections, closing, tail = _sections(main[first:], registry)
        tail = tail + _signature_lines(main[first:])
    sections += _annex_sections(annexes, registry)
    number = _number(meta.get("文号") or meta.get("发文字号") or "\n".join(head))
    dates = [d for d in map(_date_line, head[title_end:] + tail) if d]
    written = _iso_date(meta["成文日期"]) if "成文日期" in meta else (dates[0] if dates else None)
    published = _iso_date(meta.get("发布日期") or meta.get("公布日期") or meta.get("发文日期") or "")
    issuer = meta.get("发布机构") or meta.get("发文机关") or _issuer_of(title, tail)
    preamble = "".join(line for line in head[title_end:] if not _is_number_or_date(line))
    return Notice(
        title=title,
        number=number,
        issuer=issuer,
        date=written,
        published=published,
        preamble=preamble,
        sections=sections,
        closing=closing,
        departments=_departments_named(sections, preamble + closing, registry),
        references=find_references(preamble + closing + "".join(i.text for s in sections for i in s.items)),
    )


def header(text: str) -> tuple[str | None, str | None]:
    """Read only the issuer and the 文号 from a notice's first lines, to choose the registry to read it with."""
    lines = _lines(text[:6000])
    meta = _meta(lines)
    body = [line for line in lines if not _META.match(line)][:40]
    first = next((i for i, line in enumerate(body) if _is_numbered(line)), len(body))
    title, _ = _title(body[:first], meta)
    number = _number(meta.get("文号") or meta.get("发文字号") or "\n".join(body[:first]))
    issuer = meta.get("发布机构") or meta.get("发文机关") or (_issuer_of(title, []) if title else None)
    return issuer, number


def _is_numbered(line: str) -> bool:
    return any(rx.match(line) for rx in (_SECTION, _ITEM, _SUBITEM, _ARTICLE))


def _ends_text(lines: list[str], start: int, stop: int) -> bool:
    """Tell whether the text ends (a signature, 附件：, （此件公开发布）) between two lines."""
    return any(
        _SIGNATURE_END.match(lines[i])
        or (_ISSUER_LINE.match(lines[i]) and i + 1 < len(lines) and _DATE_LINE.match(lines[i + 1]))
        for i in range(start, stop)
    )


def _signature_lines(lines: list[str]) -> list[str]:
    """The issuer and date lines that stand after a 附件： list or other end of the text, for the signature."""
    end = next((i for i, line in enumerate(lines) if _SIGNATURE_END.match(line)), len(lines))
    return [line for line in lines[end:] if _ISSUER_LINE.match(line) or _DATE_LINE.match(line)]


def _unnumbered(lines: list[str], title_end: int) -> tuple[list[str], tuple[Section, ...], str, list[str]]:
    """Read a body without numbered items as one item: head lines, the one section, no closing, signature."""
    head = list(lines[:title_end])
    rest = lines[title_end:]
    while rest and (_is_number_or_date(rest[0]) or _ISSUER_LINE.match(rest[0])):
        head.append(rest.pop(0))
    while rest and re.search(r"[:：]$", rest[0]) and len(rest[0]) <= 160:
        head.append(
            rest.pop(0)
        )  # the addressees (各省、自治区、直辖市人民政府……：), a preamble ending 如下：
    end = next((i for i, line in enumerate(rest) if _SIGNATURE_END.match(line)), len(rest))
    text, tail = _split_signature(rest[:end])
    tail += _signature_lines(rest)
    closing: list[str] = []
    while len(text) > 1 and _COLLECTIVE.search(text[-1]):
        closing.insert(
            0, text.pop()
        )  # 请各有关部门于年底前完成上述办法的制定工作: the closing, as in a numbered text
    item = Item(0, 0, "".join(text))
    sections = (Section(0, "", (), (item,)),) if item.text else ()
    return head, sections, "".join(closing), tail


def _annex_sections(lines: list[str], registry: Registry | None) -> tuple[Section, ...]:
    """Read the annexes after the signature; only numbered items or a table of duties make sections."""
    found: list[Section] = []
    starts = [i for i, line in enumerate(lines) if _ANNEX.match(line)]
    for n, (a, b) in enumerate(zip(starts, [*starts[1:], len(lines)], strict=False), 1):
        part = lines[a + 1 : b]
        first = next((i for i, line in enumerate(part) if _is_numbered(line)), None)
        if first is None:
            continue
        sections, closing, _ = _sections(part[first:], registry)
        if closing:
            sections += (Section(0, "", (), (Item(0, 0, closing),)),)
        found += [
            Section(
                s.number,
                s.heading,
                s.departments,
                tuple(Item(i.section, i.number, i.text, i.label, n) for i in s.items),
                n,
            )
            for s in sections
        ]
    return tuple(found)


_REFERENCE = re.compile(
    r"《([^《》]{2,80})》(?:[（(]([^（）()]{2,20}?〔\d{4}〕\d+号)[）)])?(?:[（(]以下简称《([^《》]{1,20})》[）)])?"
)


def find_references(text: str) -> tuple[Reference, ...]:
    """Find the documents a text cites with a 文号 or a short name, each once, in order."""
    found: dict[str, Reference] = {}
    for m in _REFERENCE.finditer(text):
        if (m.group(2) or m.group(3)) and m.group(1) not in found:
            found[m.group(1)] = Reference(m.group(1), m.group(2), m.group(3))
    return tuple(found.values())


def _meta(lines: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in lines:
        m = _META.match(line)
        if m and m.group(2).strip():
            meta.setdefault(re.sub(r"\s", "", m.group(1)).replace("信息名称", "标题"), m.group(2).strip())
    return meta


def _title(head: list[str], meta: dict[str, str]) -> tuple[str | None, int]:
    """Find the title in the lines before the first item; return it and the index just after it.

    A title is a short line without sentence punctuation that ends in a document kind (……的通知); one that
    says 关于, 印发 or 转发 is preferred. An issuer on the line above (深圳市人民政府办公厅 / 关于……) joins it.
    """
    candidates = [
        i
        for i, line in enumerate(head)
        if _TITLE.search(line) and not re.search("[，。；：]", line) and len(line) <= 80
    ]
    preferred = [i for i in candidates if re.search("关于|印发|转发", head[i])]
    if not (preferred or candidates):
        return (meta["标题"], 0) if "标题" in meta else (None, 0)
    i = (preferred or candidates)[0]
    line = head[i]
    if i > 0 and _ISSUER_LINE.match(head[i - 1]) and not line.startswith(head[i - 1]):
        return head[i - 1] + line, i + 1
    if "关于" not in line:
        # A title wrapped over lines: 国务院关于在……先行区 / 暂时调整实施《……管理法 / 实施条例》有关规定的决定
        for k in range(i - 1, max(i - 4, -1), -1):
            if re.search("[，。；：:]", head[k]) or _is_number_or_date(head[k]) or len(head[k]) > 40:
                break
            if "关于" in head[k]:
                return "".join(head[k : i + 1]), i + 1
    return line, i + 1


def _number(text: str) -> str | None:
    found = find_doc_number(text)
    return format_doc_number(*found) if found else None


def _date_line(line: str) -> dt.date | None:
    return parse_cn_date(line) if _DATE_LINE.match(line) else None


def _is_number_or_date(line: str) -> bool:
    number = find_doc_number(line)
    return _DATE_LINE.match(line) is not None or (number is not None and len(line) <= 24)


def _issuer_of(title: str, tail: list[str]) -> str | None:
    before = title.split("关于", 1)[0] if "关于" in title else ""
    if before:
        return before
    signatures = [line for line in tail if _ISSUER_LINE.match(line)]
    return signatures[-1] if signatures else None


class _SectionBuilder:
    """Accumulate one section's heading and items while lines stream in."""

    def __init__(self, number: int, heading: str, registry: Registry | None) -> None:
        self.number, self.heading = number, heading.rstrip("：:")
        self.departments = heading_departments(self.heading, registry)
        self.items: list[tuple[int, str, list[str]]] = []  # (number, label, paragraphs)
        self.own: list[str] = []  # text standing under the heading, outside any item
        self.nested = False  # items are （一） items: 1. and （1） fold into them
        self.articles = False  # items are articles 第一条: （一） folds into them

    def add_item(self, number: int, label: str, text: str, nested: bool) -> None:
        self.nested = self.nested or nested
        self.items.append((number, label, [text] if text else []))

    def add_text(self, text: str) -> None:
        (self.items[-1][2] if self.items else self.own).append(text)

    def build(self) -> Section:
        items = [Item(self.number, 0, "".join(self.own))] if self.own else []
        items += [Item(self.number, n, "".join(paras), label) for n, label, paras in self.items]
        return Section(self.number, self.heading, self.departments, tuple(i for i in items if i.text))


def _sections(lines: list[str], registry: Registry | None) -> tuple[tuple[Section, ...], str, list[str]]:
    """Split the numbered part into sections; return them, the closing text and the signature lines."""
    builders: list[_SectionBuilder] = []
    current = _SectionBuilder(0, "", registry)
    closing: list[str] = []
    for line in lines:
        if _SIGNATURE_END.match(line):
            break
        section, item, sub = _SECTION.match(line), _ITEM.match(line), _SUBITEM.match(line)
        article = _ARTICLE.match(line)
        if closing and (section or item or article) and not _split_signature(closing)[1]:
            # What looked like the closing was a paragraph between items: numbering goes on after it.
            for paragraph in closing:
                current.add_text(paragraph)
            closing = []
        if closing or (not (section or item or sub or article) and _ends_section(current, line)):
            closing.append(line)
        elif section:
            number = parse_cn_numeral(section.group(1))
            builders.append(current := _SectionBuilder(number, section.group(2), registry))
        elif item and not current.articles:
            current.add_item(parse_cn_numeral(item.group(1)), item.group(1), item.group(2), nested=True)
        elif article:
            current.add_item(
                parse_cn_numeral(article.group(2)), article.group(1), article.group(3), nested=True
            )
            current.articles = True  # （一） under 第三条 is part of the article
        elif sub and not current.nested:
            label = sub.group(1) or sub.group(2)
            current.add_item(int(label), label, sub.group(3), nested=False)
        else:
            current.add_text(sub.group(3) if sub else line)
    if current not in builders:
        builders.insert(0, current)
    body, tail = _split_signature(closing)
    return tuple(b.build() for b in builders if b.items or b.own), "".join(body), tail


def _ends_section(current: _SectionBuilder, line: str) -> bool:
    """Tell whether a plain line after numbered text starts the closing rather than continuing an item.

    A signature line ends the numbered part, and so does an unnumbered paragraph that turns to every
    department at once (各有关单位要……, 请市各有关部门……, 本通知……), as closings do.
    """
    if _ISSUER_LINE.match(line) or _DATE_LINE.match(line):
        return True
    has_text = bool(current.items or current.own)
    return has_text and _COLLECTIVE.search(line) is not None


_COLLECTIVE = re.compile(r"各(?:有关)?(?:部门|单位|区|地区|责任单位|地方)|本(?:通知|方案|分工)")


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    cut = len(lines)
    while cut and (_ISSUER_LINE.match(lines[cut - 1]) or _DATE_LINE.match(lines[cut - 1])):
        cut -= 1
    return lines[:cut], lines[cut:]


def heading_departments(heading: str, registry: Registry | None) -> tuple[str, ...]:
    """Return the departments a section heading lists, as written, or () when the heading is a topic."""
    tokens = [t for t in (strip_pad(t) for t in split_list(heading, registry)) if t]
    if not tokens or len(heading) > 60:
        return ()
    if all(is_department(t, registry) for t in tokens):
        return tuple(tokens)
    return ()


def _departments_named(
    sections: tuple[Section, ...], other: str, registry: Registry | None
) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for section in sections:
        seen.update(dict.fromkeys(section.departments))
        for item in section.items:
            for tag in RESPONSIBILITY_TAG.findall(item.text):
                seen.update(
                    dict.fromkeys(
                        t for t in split_list(_strip_roles(tag), registry) if is_department(t, registry)
                    )
                )
            if registry:
                seen.update(dict.fromkeys(item.text[a:b] for a, b, _ in registry.scan(item.text)))
    if registry:
        seen.update(dict.fromkeys(other[a:b] for a, b, _ in registry.scan(other)))
    return tuple(seen)


def _strip_roles(tag: str) -> str:
    return re.sub(
        r"按职责分工负责|分别负责|牵头|负责|参与|配合|会同|有关部门|等部门|等单位|[，；;:：]", "、", tag
    )
