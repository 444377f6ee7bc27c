"""Take the text out of a notice file, whatever it came as: plain text, a Word .docx, or a PDF's text layer.

The kind is told by the first bytes, never by the name: a notice forwarded by e-mail or saved from a portal
often carries a wrong extension, or none.

- `PK\\x03\\x04`, a ZIP with a word/ folder: a .docx. The body in document order, one paragraph per line and
  one line per table row, its cells joined by TAB; headers, footers, footnotes and comments are left out.
- `%PDF-`: the text layer, one line per line of print (a wrapped paragraph stays split; the parser joins
  lines), and a table as a .docx's: one line per row, its cells joined by TAB, a wrapped cell joined back.
  Page numbers standing alone are dropped. A scan, with no text layer, is refused.
- D0 CF 11 E0, an OLE2 compound file: an old binary .doc (or .wps), refused with the advice to save it as
  .docx or text.
- anything else: text, decoded as before (engine.domain.intake.decoding).

python-docx and pdfplumber (over pdfminer.six) are imported inside the functions that use them: `banfa` starts for every verb,
and only intake reads a notice.
"""

from __future__ import annotations

import io
import re
import statistics
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
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
    from pdfplumber.page import Page
    from pdfplumber.table import Table as PlumberTable

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
# A gap wider than CELL_GAP may part two cells of a table drawn without lines: a narrow 序号 column leaves
# little more than an em between its header and the next.
COLUMN_GAP = 1.5
CELL_GAP = 0.8
WORD_GAP = 0.15
# A table drawn without ruling lines, in units of font size: a line further than TABLE_BREAK below the one
# above it is no longer part of the table; one no further than ROW_SLACK beyond the closest pair of lines in
# the table continues the row above (a wrapped cell) rather than starting a new one.
TABLE_BREAK = 3.5
ROW_SLACK = 0.25
PAGE_NUMBER = re.compile(r"[-—–－\s]*\d{1,3}[-—–－\s]*|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?")

_Box = tuple[float, float, float, float]  # x0, top, x1, bottom: pdfplumber's bounding box, in points


@dataclass(frozen=True, slots=True)
class _Glyph:
    """One character as printed: its text and its box on the page, in points from the top left corner."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True, slots=True)
class _Segment:
    """A run of one printed line with no gap as wide as CELL_GAP in it, and the gap before it (font sizes)."""

    text: str
    x0: float
    x1: float
    gap: float


@dataclass(frozen=True, slots=True)
class _Line:
    """One printed line: where it stands (the usual top of its glyphs), their usual size, and its runs."""

    top: float
    size: float
    segments: tuple[_Segment, ...]

    @property
    def text(self) -> str:
        return _glued(self.segments, "\t")


def _glued(segments: Iterable[_Segment], wide_gap: str) -> str:
    """Join runs of one line: `wide_gap` where the gap is as wide as COLUMN_GAP, else as in a run (_joined)."""
    text = ""
    for segment in segments:
        if text and segment.gap >= COLUMN_GAP:
            text += wide_gap
        elif text and not (_wide(text[-1]) or _wide(segment.text[0])):
            text += " "
        text += segment.text
    return text


def _pdf_text(data: bytes, source: str) -> str:
    """Return a PDF's text layer, one line per printed line or table row, without page numbers standing alone.

    Lines are rebuilt from where each character stands rather than from the order the file draws them in:
    LibreOffice and Word draw “quotes” from a Western font after the Chinese text around them, so a reader
    that follows the drawing order puts them at the start of the line or on lines of their own.

    A table is read as a .docx table is, one line per row with its cells joined by TAB and a wrapped cell's
    lines joined: read line by line, a cell that wraps would mix with its neighbours' second lines. A table
    drawn with ruling lines is found by pdfplumber; one drawn without is told by its columns (_loose_table).
    """
    import pdfplumber

    lines: list[str] = []
    pages = unmapped = 0
    with _refused_as(source, "PDF 文件已损坏或不完整，无法读取"):
        try:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                for page in pdf.pages:
                    page_lines, unmapped_here = _page_lines(page)
                    page.close()  # pdfplumber keeps each page's objects until told
                    lines += page_lines
                    pages, unmapped = pages + 1, unmapped + unmapped_here
        except Exception as exc:
            if _encrypted(exc):  # a password to open it; one that only forbids copying is ignored
                raise UnreadableNoticeFile(source, "PDF 已加密，请先解除密码保护再导入") from exc
            raise
    return _checked_text(lines, source, pages=pages, unmapped=unmapped)


def _encrypted(exc: BaseException) -> bool:
    """Tell pdfminer's refusal of an encrypted file, which pdfplumber hands on wrapped in its own exception."""
    from pdfminer.pdfdocument import PDFEncryptionError

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, PDFEncryptionError):
            return True
        wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = wrapped or seen.__cause__ or seen.__context__
    return False


def _checked_text(lines: list[str], source: str, *, pages: int, unmapped: int) -> str:
    """Join a PDF's lines, refusing one that has no pages or too little text to be anything but a scan."""
    if not pages:
        raise UnreadableNoticeFile(source, "PDF 中没有页面")
    if sum(len("".join(line.split())) for line in lines) < MIN_PDF_TEXT:
        if unmapped:
            raise UnreadableNoticeFile(source, "PDF 的字体未记录文字编码，无法取出文字，请提供文字版")
        raise UnreadableNoticeFile(source, "PDF 没有文字层（像是扫描件），请提供文字版或先做文字识别（OCR）")
    return "\n".join(line for line in lines if not PAGE_NUMBER.fullmatch(line))


def _page_lines(page: Page) -> tuple[list[str], int]:
    """A page's lines and table rows, top to bottom, and how many of its characters have no known text."""
    glyphs, unmapped = _glyphs(page.chars)
    placed: list[tuple[float, str]] = []
    for table in page.find_tables():  # found by the lines that rule it
        cells = table.cells
        if len({cell[0] for cell in cells}) < 2:
            continue  # one column: a frame around the page or a boxed paragraph, read as lines
        inside = [glyph for glyph in glyphs if any(_within(glyph, cell) for cell in cells)]
        placed += _ruled_rows(table, inside)
        glyphs = [glyph for glyph in glyphs if not any(_within(glyph, cell) for cell in cells)]
    placed += _outside_lines(_printed_lines(glyphs))
    placed.sort(key=lambda item: item[0])  # stable: a row and a line at one height keep the order found
    return [text for _, text in placed], unmapped


def _glyphs(chars: list[dict[str, Any]]) -> tuple[list[_Glyph], int]:
    """The printed characters of a page (white space left out), and how many have no known text."""
    found: list[_Glyph] = []
    unmapped = 0
    for char in chars:
        text = char["text"]
        if text.startswith("(cid:"):  # a glyph whose font does not say which character it is
            unmapped += 1
        elif text.strip():
            found.append(
                _Glyph(text, char["x0"], char["x1"], char["top"], char["bottom"], char.get("size") or 1.0)
            )
    return found, unmapped


def _within(glyph: _Glyph, box: _Box) -> bool:
    """Tell a glyph whose middle lies in the box, as pdfplumber assigns characters to cells."""
    x, y = (glyph.x0 + glyph.x1) / 2, (glyph.top + glyph.bottom) / 2
    return box[0] <= x < box[2] and box[1] <= y < box[3]


# -- tables ruled with lines


def _ruled_rows(table: PlumberTable, glyphs: list[_Glyph]) -> Iterator[tuple[float, str]]:
    """Read a ruled table as a .docx table is: one line per row that has any text, its cells joined by TAB.

    pdfplumber gives a merged cell once, in its first row and column. One spanning several columns is given
    once, as a .docx's is; one spanning several rows is repeated in each, so every row stands on its own.
    """
    texts = {cell: _cell_text([glyph for glyph in glyphs if _within(glyph, cell)]) for cell in table.cells}
    for row in table.rows:
        top = row.bbox[1]
        cells: list[str] = []
        for x0, cell in zip(sorted({cell[0] for cell in table.cells}), row.cells, strict=True):
            if cell is not None:
                cells.append(texts[cell])
            else:  # covered by a merged cell: from the row above (repeated) or from the left (given once)
                above = [span for span in table.cells if span[0] == x0 and span[1] < top < span[3]]
                cells += [texts[span] for span in above[:1]]
        if any(cells):
            yield top, "\t".join(cells)


def _cell_text(glyphs: list[_Glyph]) -> str:
    """A cell's text on one line: its printed lines joined, with a space only between two Western words."""
    return _wrapped([_glued(line.segments, " ") for line in _printed_lines(glyphs)])


def _wrapped(parts: list[str]) -> str:
    """Join the lines a cell wrapped into, as they were before it wrapped."""
    text = ""
    for part in parts:
        if text and part and not (_wide(text[-1]) or _wide(part[0])):
            text += " "
        text += part
    return text.strip()


# -- lines, and tables drawn without lines


def _outside_lines(lines: list[_Line]) -> Iterator[tuple[float, str]]:
    """The lines outside ruled tables, each where it stands, a table drawn without lines read row by row."""
    start = 0
    while start < len(lines):
        end, rows = _loose_table(lines, start)
        if rows:
            yield from rows
            start = end
        else:
            yield lines[start].top, lines[start].text
            start += 1


def _loose_table(lines: list[_Line], start: int) -> tuple[int, list[tuple[float, str]]]:
    """Read a table drawn without ruling lines that begins at lines[start], if one does.

    A line of three runs or more, far apart, may be a table's header: its runs give the columns. The lines
    below it belong to the table while each of their runs falls under one column (runs under the same one
    are one cell) and no gap between two lines is wider than a table's rows leave. A line that continues a row (a cell that wraps) is told from
    one that starts a row by standing closer to the line above than rows do; where every line stands as
    close as the next, a line with nothing under the first column continues the row above.

    Returns where the table ends and its rows, one line each with its cells joined by TAB; no rows where
    the lines do not make a table of two rows or more.
    """
    header = lines[start]
    if len(header.segments) < 3:
        return start, []
    columns = [[segment.x0, segment.x1] for segment in header.segments]
    members: list[tuple[_Line, list[int]]] = [(header, list(range(len(columns))))]
    for line in lines[start + 1 :]:
        if line.top - members[-1][0].top > TABLE_BREAK * max(line.size, header.size):
            break
        places = _places(line, columns)
        if places is None:
            break
        for segment, column in zip(line.segments, places, strict=True):
            columns[column] = [min(columns[column][0], segment.x0), max(columns[column][1], segment.x1)]
        members.append((line, places))
    if len(members) < 2:
        return start, []
    gaps = [below.top - above.top for (above, _), (below, _) in pairwise(members)]
    tight = min(gaps) + ROW_SLACK * header.size
    even = all(gap <= tight for gap in gaps)
    rows: list[list[tuple[_Line, list[int]]]] = []
    for k, (line, places) in enumerate(members):
        starts = k == 0 or (0 in places if even else gaps[k - 1] > tight)
        if starts and len(places) < 2:
            break  # a line alone under one column, where a row would start: text after the table
        if starts:
            rows.append([])
        rows[-1].append((line, places))
    if len(rows) < 2:
        return start, []
    read: list[tuple[float, str]] = []
    for row in rows:
        cells: list[list[str]] = [[] for _ in columns]
        for line, places in row:
            for column in set(places):
                runs = (
                    segment for segment, place in zip(line.segments, places, strict=True) if place == column
                )
                cells[column].append(_glued(runs, " "))
        read.append((row[0][0].top, "\t".join(_wrapped(cell) for cell in cells)))
    return start + sum(len(row) for row in rows), read


def _places(line: _Line, columns: list[list[float]]) -> list[int] | None:
    """The column each run of a line falls under, left to right, or None if the line does not fit them.

    A run falls under the one column it overlaps, or, overlapping none, the nearer of the two it stands
    between; a line with a run over two columns (a paragraph) does not fit.
    """
    places: list[int] = []
    for segment in line.segments:
        over = [i for i, (x0, x1) in enumerate(columns) if segment.x0 < x1 and x0 < segment.x1]
        if len(over) > 1:
            return None
        if over:
            place = over[0]
        else:
            left = [i for i, (_, x1) in enumerate(columns) if x1 <= segment.x0]
            right = [i for i, (x0, _) in enumerate(columns) if segment.x1 <= x0]
            reach = COLUMN_GAP * line.size  # beyond the outer columns, only a run close to them
            if not left:
                place = 0 if columns[0][0] - segment.x1 <= reach else -1
            elif not right:
                place = len(columns) - 1 if segment.x0 - columns[-1][1] <= reach else -1
            else:
                before, after = left[-1], right[0]
                place = before if segment.x0 - columns[before][1] <= columns[after][0] - segment.x1 else after
            if place < 0:
                return None
        if places and place < places[-1]:
            return None
        places.append(place)
    return places


def _printed_lines(glyphs: list[_Glyph]) -> list[_Line]:
    """Group glyphs into lines by vertical overlap, top to bottom, and read each line left to right."""
    rows: list[list[_Glyph]] = []
    top = bottom = 0.0
    for glyph in sorted(glyphs, key=lambda g: (g.top, g.x0)):
        overlap = min(bottom, glyph.bottom) - max(top, glyph.top)
        if rows and overlap >= 0.5 * min(bottom - top, glyph.bottom - glyph.top):
            rows[-1].append(glyph)
            top, bottom = min(top, glyph.top), max(bottom, glyph.bottom)
        else:
            rows.append([glyph])
            top, bottom = glyph.top, glyph.bottom
    return [_line(sorted(row, key=lambda g: g.x0)) for row in rows]


def _line(row: list[_Glyph]) -> _Line:
    """Read one line's glyphs, left to right, cut into runs where a gap may part two cells of a table."""
    runs = [[row[0]]]
    gaps = [0.0]
    for before, after in pairwise(row):
        gap = (after.x0 - before.x1) / max(before.size, after.size)
        if gap >= CELL_GAP:
            runs.append([after])
            gaps.append(gap)
        else:
            runs[-1].append(after)
    return _Line(
        top=statistics.median(glyph.top for glyph in row),
        size=statistics.median(glyph.size for glyph in row),
        segments=tuple(
            _Segment(_joined(run), run[0].x0, max(glyph.x1 for glyph in run), gap)
            for run, gap in zip(runs, gaps, strict=True)
        ),
    )


def _joined(run: list[_Glyph]) -> str:
    """Read a run's glyphs, left to right, putting a space where a gap between two Western words calls for one."""
    text = [run[0].text]
    for before, after in pairwise(run):
        if after.text == before.text and after.x0 - before.x0 < 0.3 * after.size:
            continue  # the same glyph drawn again a hair to the right: a bold faked by overprinting
        gap = (after.x0 - before.x1) / max(before.size, after.size)
        if gap > WORD_GAP and not (_wide(before.text[-1]) or _wide(after.text[0])):
            text.append(" ")
        text.append(after.text)
    return "".join(text)


def _wide(char: str) -> bool:
    """Tell a CJK character or punctuation mark (full or ambiguous width), between which no space is read."""
    return unicodedata.east_asian_width(char) in ("W", "F", "A")
