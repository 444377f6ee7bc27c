"""Lay content out as a GB/T 9704 Word file; the only module that imports python-docx.

The templates carry everything constant: styles, page setup and document grid, the odd and even footers with
their PAGE fields, the 版头. They are loaded once (python-docx reads the style table, so a person may rename
nothing we rely on without being told); each document then only needs its body, built as WordprocessingML
and zipped with the template's other parts, byte for byte the same for the same content.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH

from engine.adapters.atomic import write_atomic
from engine.domain.drafting.content import (
    Block,
    CharStyle,
    Colophon,
    Content,
    Letterhead,
    Paragraph,
    Style,
    Table,
)
from engine.domain.textform import format_date
from engine.errors import TemplateError

TEXT_BLOCK_TWIPS = 8845  # 156 mm
_ZIP_DATE = (2007, 1, 1, 0, 0, 0)
_BODY = re.compile(r"^(?P<head>.*?<w:body>)(?P<body>.*?)(?P<sect><w:sectPr\b.*</w:sectPr>)\s*</w:body>", re.S)
_PARAGRAPH = re.compile(r"<w:p\b.*?</w:p>|<w:p\b[^>]*/>", re.S)


@dataclass(frozen=True)
class DocxTemplate:
    """A template's constant parts, its document head and section properties, and its style ids by name."""

    path: Path
    parts: tuple[tuple[str, bytes], ...]
    head: str
    body: str
    sect: str
    style_ids: dict[str, str]
    centred: frozenset[str]  # ids of paragraph styles whose template alignment is centre

    @classmethod
    def load(cls, path: Path) -> DocxTemplate:
        try:
            with zipfile.ZipFile(path) as package:
                parts = tuple((n, package.read(n)) for n in package.namelist() if n != "word/document.xml")
                document = package.read("word/document.xml").decode("utf-8")
            styles = docx.Document(str(path)).styles
        except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
            raise TemplateError(str(path), f"无法读取：{exc}") from exc
        m = _BODY.match(document)
        if m is None:
            raise TemplateError(str(path), "word/document.xml 中没有 w:body 和 w:sectPr")
        ids = _style_ids(path, styles)
        centred = frozenset(ids[s.name] for s in styles if s.name in ids and _is_centred(s))
        return cls(path, parts, m.group("head"), m.group("body"), m.group("sect"), ids, centred)


def _style_ids(path: Path, styles: docx.styles.styles.Styles) -> dict[str, str]:
    """Map every style Banfa uses to its id, and refuse a template that lacks one or has the wrong type."""
    wanted = [(s.value, WD_STYLE_TYPE.PARAGRAPH) for s in Style] + [
        (c.value, WD_STYLE_TYPE.CHARACTER) for c in CharStyle
    ]
    found = {s.name: s for s in styles}
    missing = [name for name, kind in wanted if name not in found or found[name].type != kind]
    if missing:
        raise TemplateError(str(path), f"缺少样式：{'、'.join(missing)}")
    return {name: found[name].style_id for name, _ in wanted}


def _is_centred(style: docx.styles.style.BaseStyle) -> bool:
    fmt = getattr(style, "paragraph_format", None)
    return fmt is not None and fmt.alignment == WD_ALIGN_PARAGRAPH.CENTER


class Renderer:
    """Render content with one template directory: banfa.docx, letterhead.docx, letterhead-<key>.docx."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.base = DocxTemplate.load(directory / "banfa.docx")
        self._letterheads: dict[str, DocxTemplate] = {}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            for name, data in self.base.parts:
                _write(package, name, data)
        self.package = buffer.getvalue()

    def letterhead(self, department_key: str) -> DocxTemplate:
        """The department's own 版头 when the office has made one, else the common template."""
        if department_key not in self._letterheads:
            own = self.directory / f"letterhead-{department_key}.docx"
            path = own if own.is_file() else self.directory / "letterhead.docx"
            self._letterheads[department_key] = DocxTemplate.load(path)
        return self._letterheads[department_key]

    def render(self, content: Content) -> bytes:
        """Return the .docx bytes for the content; the same content always gives the same bytes.

        The template's other parts are compressed once into `package`; each document appends only its own
        word/document.xml to a copy of it, which is most of why rendering is fast.
        """
        body = "".join(self._block(b) for b in content.blocks)
        document = f"{self.base.head}{body}{self.base.sect}</w:body></w:document>"
        buffer = io.BytesIO(self.package)
        with zipfile.ZipFile(buffer, "a") as package:
            _write(package, "word/document.xml", document.encode("utf-8"))
        return buffer.getvalue()

    def write(self, content: Content, path: Path) -> Path:
        """Render to a file atomically: a temporary file in the same folder, then a rename."""
        write_atomic(path, self.render(content))
        return path

    def _block(self, block: Block) -> str:
        if isinstance(block, Paragraph):
            return self._paragraph(block)
        if isinstance(block, Table):
            return self._table(block)
        if isinstance(block, Letterhead):
            return self._letterhead(block)
        return self._colophon(block)

    def _paragraph(self, p: Paragraph, extra_ppr: str = "") -> str:
        runs = "".join(
            self._run(r.text, self.base.style_ids[r.style.value] if r.style else None) for r in p.runs
        )
        return f"<w:p>{self._ppr(self.base.style_ids[p.style.value], extra_ppr)}{runs}</w:p>"

    def _ppr(self, style_id: str, extra: str = "") -> str:
        """Paragraph properties: the style, and its centring repeated directly, for readers that skip styles."""
        jc = '<w:jc w:val="center"/>' if style_id in self.base.centred else ""
        return f'<w:pPr><w:pStyle w:val="{style_id}"/>{extra}{jc}</w:pPr>'

    @staticmethod
    def _run(text: str, style_id: str | None = None, rpr: str = "") -> str:
        props = (f'<w:rStyle w:val="{style_id}"/>' if style_id else "") + rpr
        parts = text.split("\t")
        inner = "<w:tab/>".join(f'<w:t xml:space="preserve">{escape(t)}</w:t>' for t in parts)
        return f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}{inner}</w:r>"

    def _table(self, table: Table) -> str:
        total = sum(table.widths_mm)
        widths = [round(TEXT_BLOCK_TWIPS * w / total) for w in table.widths_mm]
        widths[-1] += TEXT_BLOCK_TWIPS - sum(widths)
        borders = "".join(
            f'<w:{e} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for e in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        props = (
            f'<w:tblPr><w:tblW w:w="{TEXT_BLOCK_TWIPS}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
            '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
            "</w:tblPr>"
        )
        grid = "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>"
        header = self._row(table.columns, widths, Style.TABLE_HEADER, header=True)
        rows = "".join(self._row(r, widths, Style.TABLE_TEXT, header=False) for r in table.rows)
        return f"<w:tbl>{props}{grid}{header}{rows}</w:tbl><w:p/>"

    def _row(self, cells: tuple[str, ...], widths: list[int], style: Style, *, header: bool) -> str:
        trpr = (
            "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if header else "<w:trPr><w:cantSplit/></w:trPr>"
        )
        style_id = self.base.style_ids[style.value]
        out = []
        for text, width in zip(cells, widths, strict=True):
            paragraphs = "".join(
                f"<w:p>{self._ppr(style_id)}{self._run(line)}</w:p>" for line in (text.split("\n") or [""])
            )
            out.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                f"{paragraphs}</w:tc>"
            )
        return f"<w:tr>{trpr}{''.join(out)}</w:tr>"

    def _letterhead(self, head: Letterhead) -> str:
        mark = head.issuer + ("文件" if head.document else "")
        size = min(42, int(420 / max(len(mark), 1)))  # fit the mark across the 156 mm block
        paragraphs = _PARAGRAPH.findall(self.letterhead(head.department_key).body)
        out = []
        for xml in paragraphs:
            if "{number}" in xml and not head.number:
                continue
            xml = xml.replace("{mark}", escape(mark)).replace("{number}", escape(head.number or ""))
            if escape(mark) in xml:
                xml = xml.replace("<w:rPr>", f'<w:rPr><w:sz w:val="{size * 2}"/>', 1)
            out.append(xml)
        return "".join(out)

    def _colophon(self, colophon: Colophon) -> str:
        style_id = self.base.style_ids[Style.COLOPHON.value]
        thick = '<w:{0} w:val="single" w:sz="8" w:space="1" w:color="000000"/>'
        thin = '<w:{0} w:val="single" w:sz="4" w:space="1" w:color="000000"/>'
        tab = f'<w:tabs><w:tab w:val="right" w:pos="{TEXT_BLOCK_TWIPS - 560}"/></w:tabs>'
        lines = []
        if colophon.copied:
            copied = f"抄送：{'，'.join(colophon.copied)}。"
            lines.append((copied, thick.format("top") + thin.format("bottom")))
        day = format_date(colophon.printed) if colophon.printed else "【印发日期】"
        printed = f"{colophon.printer}\t{day}印发"
        lines.append((printed, ("" if colophon.copied else thick.format("top")) + thick.format("bottom")))
        return "<w:p/>" + "".join(
            f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/><w:pBdr>{borders}</w:pBdr>{tab}</w:pPr>{self._run(text)}</w:p>'
            for text, borders in lines
        )


def _write(package: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    package.writestr(info, data)


@cache
def renderer(directory: Path) -> Renderer:
    """One renderer per template directory per process: templates are parsed once."""
    return Renderer(directory)
