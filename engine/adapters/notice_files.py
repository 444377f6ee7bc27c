"""Take the text out of a notice file, whatever it came as: plain text, a Word .docx, or a PDF's text layer.

The kind is told by the first bytes, never by the name: a notice forwarded by e-mail or saved from a portal
often carries a wrong extension, or none.

- `PK\\x03\\x04`, a ZIP with a word/ folder: a .docx. The body in document order, one paragraph per line and
  one line per table row, its cells joined by TAB; headers, footers, footnotes and comments are left out.
- `%PDF-`: the text layer, one line per line of print (a wrapped paragraph stays split; the parser joins
  lines). Page numbers standing alone are dropped. A scan, with no text layer, is refused.
- D0 CF 11 E0, an OLE2 compound file: an old binary .doc (or .wps), refused with the advice to save it as
  .docx or text.
- anything else: text, decoded as before (engine.domain.intake.decoding).

python-docx and pdfminer.six are imported inside the functions that use them: `banfa` starts for every verb,
and only intake reads a notice.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.domain.intake.decoding import decode
from engine.errors import EmptyNotice, EngineError, UndecodableNotice, UnreadableNoticeFile

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table
    from pdfminer.layout import LTPage

MAX_TEXT_BYTES = 8 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # a .docx or PDF carries images: seals, scanned attachments
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # what a .docx may inflate to; more is a ZIP bomb, not a notice
MIN_PDF_TEXT = 20  # fewer non-space characters than this in a whole PDF: a scan, however many pages

ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def notice_text(path: Path) -> str:
    """Read a notice file and return its text, whether it is plain text, a .docx or a PDF.

    Raises EmptyNotice for a file with no text, UndecodableNotice for text in no known encoding and
    UnreadableNoticeFile (a kind of UndecodableNotice) for a .docx or PDF that cannot be read, a scan, or an
    old .doc. OSError from the file system passes through.
    """
    source = str(path)
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise UndecodableNotice(source, f"文件过大（{size} 字节），不像是通知")
    data = path.read_bytes()
    if data.startswith(OLE2_MAGIC):
        raise UnreadableNoticeFile(
            source, "这是旧版 Word 文档（.doc），请在 Word 或 WPS 中另存为 .docx 或纯文本后再导入"
        )
    if data.startswith(ZIP_MAGIC):
        text = _docx_text(data, source)
    elif PDF_MAGIC in data[:1024]:  # the standard lets a few bytes of junk come before the header
        text = _pdf_text(data, source)
    elif size > MAX_TEXT_BYTES:
        raise UndecodableNotice(source, f"文件过大（{size} 字节），不像是通知文本")
    else:
        return decode(data, source)
    if not text.strip():
        raise EmptyNotice(source)
    return text.replace("\r\n", "\n").replace("\r", "\n")


@contextmanager
def _refused_as(source: str, reason: str) -> Iterator[None]:
    """Turn whatever a foreign parser raises on a damaged file into UnreadableNoticeFile with `reason`.

    python-docx and pdfminer meet damaged input with a wide range of builtins (KeyError, TypeError, zlib and
    struct errors, ...), so no narrow list keeps a traceback from the person who handed the file in.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # their complaints about a damaged file are the error below
            yield
    except EngineError:
        raise
    except Exception as exc:
        raise UnreadableNoticeFile(source, reason) from exc


# -- Word .docx -----------------------------------------------------------------------------------------------


def _docx_text(data: bytes, source: str) -> str:
    """Return the body of a .docx: paragraphs and table rows in document order, one per line."""
    import zipfile

    with _refused_as(source, "Word 文件已损坏或不完整，无法打开"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
        if not any(member.filename.startswith("word/") for member in members):
            raise UnreadableNoticeFile(source, "这是 ZIP 压缩包，不是 Word 文档（.docx）")
        if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
            raise UnreadableNoticeFile(source, "Word 文件解压后过大，不像是通知")
        from docx import Document as open_document

        lines = list(_body_lines(open_document(io.BytesIO(data))))
    return "\n".join(lines)


def _body_lines(document: Document) -> Iterator[str]:
    """Read the body's paragraphs and tables in the order they stand, looking into block content controls."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    paragraph, table, content_control = qn("w:p"), qn("w:tbl"), qn("w:sdt")

    def blocks(container: Any) -> Iterator[Any]:
        for child in container.iterchildren():
            if child.tag in (paragraph, table):
                yield child
            elif child.tag == content_control:  # a block content control, as in some official templates
                for content in child.iterchildren(qn("w:sdtContent")):
                    yield from blocks(content)

    for block in blocks(document.element.body):
        if block.tag == paragraph:
            yield Paragraph(block, document).text
        else:
            yield from _table_lines(Table(block, document))


def _table_lines(table: Table) -> Iterator[str]:
    """One line per row that has any text, its cells joined by TAB.

    A cell spanning several columns is given once; one spanning several rows repeats in each, so every row
    stands on its own (a 牵头单位 merged down a table still belongs to each task).
    """
    for row in table.rows:
        cells: list[Any] = []
        for cell in row.cells:
            if not cells or cell is not cells[-1]:  # python-docx repeats a spanning cell per grid column
                cells.append(cell)
        texts = ["".join(cell.text.split("\n")).replace("\t", " ").strip() for cell in cells]
        if any(texts):
            yield "\t".join(texts)


# -- PDF ------------------------------------------------------------------------------------------------------

# A gap between two characters on one line, in units of their font size: wider than COLUMN_GAP is a table
# column or tab stop (given as TAB, like a .docx table row); wider than WORD_GAP between two non-CJK
# characters is a space. Between CJK characters a gap is only justification or a glyph from another font.
COLUMN_GAP = 1.5
WORD_GAP = 0.15
PAGE_NUMBER = re.compile(r"[-—–－\s]*\d{1,3}[-—–－\s]*|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?")


@dataclass(frozen=True, slots=True)
class _Glyph:
    """One character as printed: its text and its box on the page, in points."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float


def _pdf_text(data: bytes, source: str) -> str:
    """Return a PDF's text layer, one line per printed line, without page numbers standing alone.

    Lines are rebuilt from where each character stands rather than from the order the file draws them in:
    LibreOffice and Word draw “quotes” from a Western font after the Chinese text around them, so a reader
    that follows the drawing order puts them at the start of the line or on lines of their own.
    """
    from pdfminer.pdfdocument import PDFEncryptionError

    lines: list[str] = []
    pages = unmapped = 0
    with _refused_as(source, "PDF 文件已损坏或不完整，无法读取"):
        try:
            for page in _pdf_pages(data):
                glyphs, unmapped_here = _glyphs(page)
                lines += _lines(glyphs)
                pages, unmapped = pages + 1, unmapped + unmapped_here
        except PDFEncryptionError as exc:  # a password to open it; one that only forbids copying is ignored
            raise UnreadableNoticeFile(source, "PDF 已加密，请先解除密码保护再导入") from exc
    return _checked_text(lines, source, pages=pages, unmapped=unmapped)


def _pdf_pages(data: bytes) -> Iterator[LTPage]:
    """Lay out each page of a PDF as the glyphs it draws, without pdfminer's grouping into lines."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    manager = PDFResourceManager()
    device = PDFPageAggregator(manager, laparams=None)
    interpreter = PDFPageInterpreter(manager, device)
    for page in PDFPage.get_pages(io.BytesIO(data)):
        interpreter.process_page(page)
        yield device.get_result()


def _checked_text(lines: list[str], source: str, *, pages: int, unmapped: int) -> str:
    """Join a PDF's lines, refusing one that has no pages or too little text to be anything but a scan."""
    if not pages:
        raise UnreadableNoticeFile(source, "PDF 中没有页面")
    if sum(len("".join(line.split())) for line in lines) < MIN_PDF_TEXT:
        if unmapped:
            raise UnreadableNoticeFile(source, "PDF 的字体未记录文字编码，无法取出文字，请提供文字版")
        raise UnreadableNoticeFile(source, "PDF 没有文字层（像是扫描件），请提供文字版或先做文字识别（OCR）")
    return "\n".join(line for line in lines if not PAGE_NUMBER.fullmatch(line))


def _glyphs(page: LTPage) -> tuple[list[_Glyph], int]:
    """The printed characters of a page (white space left out), and how many have no known text."""
    from pdfminer.layout import LTChar, LTContainer

    found: list[_Glyph] = []
    unmapped = 0

    def walk(container: Any) -> None:
        nonlocal unmapped
        for item in container:
            if isinstance(item, LTChar):
                text = item.get_text()
                if text.startswith("(cid:"):  # a glyph whose font does not say which character it is
                    unmapped += 1
                elif text.strip():
                    found.append(_Glyph(text, item.x0, item.x1, item.y0, item.y1, item.size or 1.0))
            elif isinstance(item, LTContainer):  # a form XObject, drawn as a figure
                walk(item)

    walk(page)
    return found, unmapped


def _lines(glyphs: list[_Glyph]) -> Iterator[str]:
    """Group glyphs into lines by vertical overlap, top to bottom, and read each line left to right."""
    rows: list[list[_Glyph]] = []
    top = bottom = 0.0
    for glyph in sorted(glyphs, key=lambda g: (-g.y1, g.x0)):
        overlap = min(top, glyph.y1) - max(bottom, glyph.y0)
        if rows and overlap >= 0.5 * min(top - bottom, glyph.y1 - glyph.y0):
            rows[-1].append(glyph)
            top, bottom = max(top, glyph.y1), min(bottom, glyph.y0)
        else:
            rows.append([glyph])
            top, bottom = glyph.y1, glyph.y0
    for row in rows:
        yield _joined(sorted(row, key=lambda g: g.x0))


def _joined(row: list[_Glyph]) -> str:
    """Read one line's glyphs, left to right, putting TAB or a space where the gaps call for one."""
    text = [row[0].text]
    for before, after in pairwise(row):
        gap = (after.x0 - before.x1) / max(before.size, after.size)
        if after.text == before.text and after.x0 - before.x0 < 0.3 * after.size:
            continue  # the same glyph drawn again a hair to the right: a bold faked by overprinting
        if gap >= COLUMN_GAP:
            text.append("\t")
        elif gap > WORD_GAP and not (_wide(before.text[-1]) or _wide(after.text[0])):
            text.append(" ")
        text.append(after.text)
    return "".join(text)


def _wide(char: str) -> bool:
    """Tell a CJK character or punctuation mark (full or ambiguous width), between which no space is read."""
    return unicodedata.east_asian_width(char) in ("W", "F", "A")
