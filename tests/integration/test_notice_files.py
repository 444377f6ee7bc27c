"""Notice files: plain text, a Word .docx or a PDF's text layer, told apart by their first bytes.

The files are real, made here: the .docx by python-docx, the PDFs by reportlab with its built-in CID font
STSong-Light (no font file needed) and, where LibreOffice is installed, by LibreOffice from the .docx.
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
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

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
    """LibreOffice draws “quotes” in a Western font after the Chinese around them; they still land in place.

    A table cell that wraps is read line by line across the row, as printed, so only the paragraphs and the
    header row are compared exactly.
    """
    source = notice_docx(tmp_path / "通知.docx")
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    text = read_notice(tmp_path / "通知.pdf")
    squeezed_text = squeezed(text)
    assert squeezed_text.startswith(squeezed(TITLE + NUMBER + OPENING + "".join(TABLE[0])))
    assert squeezed_text.endswith(squeezed(CLOSING))
    assert "序号\t工作任务\t牵头单位\t配合单位\t完成时限" in text.split("\n")  # columns far apart: TAB
