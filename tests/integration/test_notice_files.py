"""Notice files: plain text, a Word .docx or a PDF's text layer, told apart by their first bytes.

The files are real, made here: the .docx by python-docx, the PDFs by reportlab with its built-in CID font
STSong-Light (no font file needed) and, where LibreOffice is installed, by LibreOffice from the .docx. CI
has no LibreOffice: the reportlab tables, ruled and not, are the ones it reads.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.shared import Cm
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from engine.adapters.rules import read_notice
from engine.errors import UndecodableNotice

TITLE = "深圳市人民政府办公厅关于全市服务外包工作部门分工的通知"
NUMBER = "深府办〔2007〕129号"
OPENING = "为落实《共建协议》和“十一五”服务外包产业发展目标，现就全市服务外包工作分工如下："
CLOSING = "请市各有关部门在今年年内完成本通知中有关实施办法的制定工作。"
TABLE = [
    ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
    ["1", "制定服务外包发展战略", "市贸工局", "市财政局", "2007年12月底前"],
    ["2", "建设服务外包示范区", "市高新办", "市规划局、市国土房产局", "2008年6月底前"],
]
PDF_LINES = [
    TITLE,
    NUMBER,
    "一、市贸工局",
    "（一）开展深圳市服务外包发展战略研究。",
    "（二）负责全市服务外包企业的统计、分析工作。",
    "二、市财政局",
    "会同贸工等部门研究和制定服务外包人才培训资助资金的使用和监管办法。",
]
# An annex of duties whose cells wrap: a 工作任务 of 40 characters, a 牵头单位 in a narrow column.
DUTIES = [
    ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
    ["1", "制定工程建设项目审批管理办法，明确审批流程、办理时限、申报材料和监督检查等具体要求", "市规划和自然资源局",
     "市住房城乡建设局", "2019年5月底前"],
    ["2", "推进企业开办全程网上办理", "市市场监管局", "市政务服务数据管理局", ""],
    ["3", "修订政府采购内部控制实施细则", "市财政局", "市审计局", "2019年9月30日前"],
]  # fmt: skip
DUTY_WIDTHS = [1.2, 5.0, 2.2, 3.0, 2.4]  # cm
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def squeezed(text: str) -> str:
    return "".join(text.split())


def notice_docx(path: Path) -> Path:
    """A notice as an officer's Word file: title, 文号, paragraphs, a table with a blank row, a closing line."""
    document = docx.Document()
    for line in (TITLE, NUMBER, OPENING):
        document.add_paragraph(line)
    table = document.add_table(rows=len(TABLE) + 1, cols=len(TABLE[0]))
    for r, row in enumerate(TABLE):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(1, 1).add_paragraph("（第二段）")  # a cell of two paragraphs reads as one
    document.add_paragraph(CLOSING)
    document.save(str(path))
    return path


def cjk_pdf(path: Path, lines: list[str], *, encrypt: str | None = None) -> Path:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    page.setFont("STSong-Light", 14)
    for i, line in enumerate(lines):
        page.drawString(72, 760 - 24 * i, line)
    page.drawCentredString(A4[0] / 2, 40, "— 1 —")
    page.save()
    return path


def duty_docx(path: Path, style: str | None) -> Path:
    """A notice whose annex is a table of duties with wrapping cells, in a Word table style or none."""
    document = docx.Document()
    for line in (TITLE, NUMBER, OPENING):
        document.add_paragraph(line)
    table = document.add_table(rows=len(DUTIES), cols=len(DUTIES[0]))
    if style:
        table.style = style
    table.autofit = False
    for r, row in enumerate(DUTIES):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
            table.cell(r, c).width = Cm(DUTY_WIDTHS[c])
    document.add_paragraph(CLOSING)
    document.save(str(path))
    return path


def soffice_pdf(source: Path, workdir: Path) -> Path:
    """Convert a .docx to PDF as a user does, with LibreOffice, in a profile of the test's own."""
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{workdir}/profile", "--convert-to", "pdf",
         "--outdir", str(workdir), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return source.with_suffix(".pdf")


def duty_pdf(path: Path, *, ruled: bool) -> Path:
    """A notice drawn by reportlab: paragraphs, then the duties as a table whose cells wrap, then a closing."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=12, leading=18, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=10.5, leading=14, wordWrap="CJK")
    rows = [[Paragraph(text, cell) for text in row] for row in DUTIES]
    table = Table(rows, colWidths=[width * 28.35 for width in DUTY_WIDTHS])
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]
    if ruled:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    table.setStyle(TableStyle(style))
    story = [Paragraph(line, body) for line in (TITLE, NUMBER, OPENING)]
    story += [table, Paragraph(CLOSING, body)]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def duty_rows() -> list[str]:
    return ["\t".join(row) for row in DUTIES]


def truncated(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_a_docx_gives_its_paragraphs_and_table_rows_in_document_order(tmp_path: Path) -> None:
    text = read_notice(notice_docx(tmp_path / "通知.docx"))
    assert text.split("\n") == [
        TITLE,
        NUMBER,
        OPENING,
        "序号\t工作任务\t牵头单位\t配合单位\t完成时限",
        "1\t制定服务外包发展战略（第二段）\t市贸工局\t市财政局\t2007年12月底前",
        "2\t建设服务外包示范区\t市高新办\t市规划局、市国土房产局\t2008年6月底前",
        CLOSING,
    ]


def test_a_cell_spanning_columns_is_read_once(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph(TITLE)
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "附件：分工表"
    for c, text in enumerate(["1", "制定实施方案", "市贸工局"]):
        table.cell(1, c).text = text
    document.save(str(tmp_path / "merged.docx"))
    assert read_notice(tmp_path / "merged.docx").split("\n")[1:] == [
        "附件：分工表",
        "1\t制定实施方案\t市贸工局",
    ]


def test_the_kind_is_told_by_the_bytes_not_the_name(tmp_path: Path) -> None:
    as_text = notice_docx(tmp_path / "通知.docx").rename(tmp_path / "通知.txt")
    as_word = cjk_pdf(tmp_path / "scan.docx", PDF_LINES)
    assert read_notice(as_text).startswith(f"{TITLE}\n{NUMBER}\n")
    assert squeezed(read_notice(as_word)) == squeezed("".join(PDF_LINES))


def test_a_pdf_gives_back_its_chinese_lines_without_the_page_number(tmp_path: Path) -> None:
    text = read_notice(cjk_pdf(tmp_path / "通知.pdf", PDF_LINES))
    assert squeezed(text) == squeezed("".join(PDF_LINES))
    assert text.split("\n") == PDF_LINES  # one printed line per line, no space between Chinese characters


@pytest.mark.parametrize("ruled", [True, False], ids=["grid", "no-lines"])
def test_a_pdf_table_gives_one_line_per_row_as_a_docx_table_does(tmp_path: Path, ruled: bool) -> None:
    """A cell that wraps is joined back, not read across the row line by line with its neighbours'."""
    text = read_notice(duty_pdf(tmp_path / "通知.pdf", ruled=ruled))
    lines = text.split("\n")
    start = lines.index(duty_rows()[0])
    assert lines[start : start + len(DUTIES)] == duty_rows()
    assert squeezed("".join(lines[:start])) == squeezed(
        TITLE + NUMBER + OPENING
    )  # the text around it, in order
    assert squeezed("".join(lines[start + len(DUTIES) :])) == squeezed(CLOSING)


def test_a_ruled_table_repeats_a_cell_merged_down_and_gives_one_merged_across_once(tmp_path: Path) -> None:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=10.5, leading=14, wordWrap="CJK")
    rows = [
        ["附件：分工表", "", ""],
        ["1", "制定实施方案", "市贸工局"],
        ["2", "开展统计分析", ""],
    ]
    table = Table([[Paragraph(text, cell) for text in row] for row in rows], colWidths=[40, 200, 100])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("SPAN", (0, 0), (2, 0)),
                ("SPAN", (2, 1), (2, 2)),
            ]
        )
    )
    SimpleDocTemplate(str(tmp_path / "merged.pdf"), pagesize=A4).build([Paragraph(TITLE, cell), table])
    assert read_notice(tmp_path / "merged.pdf").split("\n") == [
        TITLE,
        "附件：分工表",
        "1\t制定实施方案\t市贸工局",
        "2\t开展统计分析\t市贸工局",
    ]


def test_a_pdf_with_no_text_layer_is_refused_as_a_scan(tmp_path: Path) -> None:
    page = canvas.Canvas(str(tmp_path / "scan.pdf"), pagesize=A4)
    page.rect(72, 72, 400, 600, fill=1)
    page.save()
    with pytest.raises(UndecodableNotice, match="文字层"):
        read_notice(tmp_path / "scan.pdf")


def test_a_pdf_that_needs_a_password_is_refused_as_encrypted(tmp_path: Path) -> None:
    with pytest.raises(UndecodableNotice, match="加密"):
        read_notice(cjk_pdf(tmp_path / "locked.pdf", PDF_LINES, encrypt="secret"))


def old_doc(path: Path) -> Path:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))  # the OLE2 header of a .doc
    return path


def zip_not_word(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return path


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("truncated.docx", lambda path: truncated(notice_docx(path)), "Word"),
        ("old.doc", old_doc, ".docx"),
        ("truncated.pdf", lambda path: truncated(cjk_pdf(path, PDF_LINES)), "PDF"),
        ("book.xlsx", zip_not_word, "ZIP"),
    ],
    ids=["truncated-docx", "doc", "truncated-pdf", "zip-not-word"],
)
def test_a_file_that_cannot_be_read_is_refused_in_chinese_naming_it(
    tmp_path: Path, name: str, make: Callable[[Path], Path], says: str
) -> None:
    path = make(tmp_path / name)
    with pytest.raises(UndecodableNotice) as refused:
        read_notice(path)
    message = str(refused.value)
    assert str(path) in message and says in message
    assert len(CJK.findall(message)) >= 10, message


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_plain_text_still_reads_in_its_encoding(tmp_path: Path, encoding: str) -> None:
    text = "\n".join([TITLE, NUMBER, OPENING, CLOSING]) + "\n"
    (tmp_path / "通知.txt").write_bytes(text.encode(encoding))
    assert read_notice(tmp_path / "通知.txt") == text


def test_a_docx_may_be_larger_than_a_text_notice_may(tmp_path: Path) -> None:
    """Seals and scanned attachments make a .docx large: the 8 MiB limit holds for text only."""
    path = notice_docx(tmp_path / "通知.docx")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/seal.bin", bytes(9 * 1024 * 1024))
    assert read_notice(path).startswith(TITLE)
    (tmp_path / "big.txt").write_bytes(b"a" * (9 * 1024 * 1024))
    with pytest.raises(UndecodableNotice, match="过大"):
        read_notice(tmp_path / "big.txt")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_pdf_saved_by_libreoffice_reads_like_its_docx(tmp_path: Path) -> None:
    """LibreOffice draws “quotes” in a Western font after the Chinese around them; they still land in place."""
    text = read_notice(soffice_pdf(notice_docx(tmp_path / "通知.docx"), tmp_path))
    squeezed_text = squeezed(text)
    assert squeezed_text.startswith(squeezed(TITLE + NUMBER + OPENING + "".join(TABLE[0])))
    assert squeezed_text.endswith(squeezed(CLOSING))
    assert "序号\t工作任务\t牵头单位\t配合单位\t完成时限" in text.split("\n")  # columns far apart: TAB


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("style", ["Table Grid", None], ids=["grid", "no-lines"])
def test_a_duty_table_saved_as_pdf_by_libreoffice_gives_the_rows_of_its_docx(
    tmp_path: Path, style: str | None
) -> None:
    """Each row one line, cells by TAB, a wrapped cell (a 40-character task, 市规划和自然资源局) joined back."""
    source = duty_docx(tmp_path / "通知.docx", style)
    from_docx = read_notice(source).split("\n")
    from_pdf = read_notice(soffice_pdf(source, tmp_path)).split("\n")
    assert from_docx == [TITLE, NUMBER, OPENING, *duty_rows(), CLOSING]
    start = from_pdf.index(duty_rows()[0])
    rows = from_pdf[start : start + len(DUTIES)]
    assert ["\t".join(squeezed(cell) for cell in row.split("\t")) for row in rows] == duty_rows()
    assert squeezed("".join(from_pdf[:start])) == squeezed(TITLE + NUMBER + OPENING)  # a paragraph wraps
    assert from_pdf[start + len(DUTIES) :] == [CLOSING]
