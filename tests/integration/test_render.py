"""The layout of every document type: GB/T 9704 as our own checks see it, and as ../shared's checker sees it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Emu, Mm

from engine.adapters.drafting.render import Renderer
from engine.domain.drafting.compose import compose, compose_comparison
from engine.domain.drafting.content import CharStyle, Content, Style
from engine.domain.drafting.text import DraftText, articles_from_paragraphs
from engine.domain.drafting.versions import DocumentKind
from engine.errors import TemplateError
from tests.integration.test_compose import HISTORY
from tests.support.documents import drafting, reopen, templates

TEMPLATES = templates()
KINDS = [k for k in DocumentKind if k not in (DocumentKind.ATTACHMENT, DocumentKind.COMPARISON)]
# What each style must carry (GB/T 9704, domain.md §3): East Asian font family and size in points.
EXPECTED = {
    Style.TITLE: ("小标宋", 22),
    Style.SUBTITLE: ("楷体", 16),
    Style.CHAPTER: ("黑体", 16),
    Style.HEADING1: ("黑体", 16),
    Style.HEADING2: ("楷体", 16),
    Style.BODY: ("仿宋", 16),
    Style.RECIPIENT: ("仿宋", 16),
    Style.SIGNATURE: ("仿宋", 16),
    Style.TABLE_TEXT: ("仿宋", 14),
    Style.TABLE_HEADER: ("仿宋", 14),
    Style.COLOPHON: ("仿宋", 14),
    Style.LETTERHEAD: ("小标宋", None),
    Style.DOC_NUMBER: ("仿宋", 16),
}


def content(kind: DocumentKind) -> Content:
    if kind is DocumentKind.COMPARISON:
        old = ("第一条　甲。", "第二条　乙。")
        new = ("第一条　甲。", "第二条　乙，修改后。")
        texts = [DraftText(t, articles_from_paragraphs(t)) for t in (old, new)]
        return compose_comparison("深圳市某办法", *texts, TEMPLATES.wording)
    variant = "maogong" if kind is DocumentKind.CONSULTATION_LETTER else ""
    return compose(kind, drafting(history=HISTORY), TEMPLATES.wording, variant=variant)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[DocumentKind, Path]:
    folder = tmp_path_factory.mktemp("rendered")
    return {
        k: TEMPLATES.renderer.write(content(k), folder / f"{k.value}.docx")
        for k in [*KINDS, DocumentKind.COMPARISON]
    }


def _style_font(style: docx.styles.style.BaseStyle) -> tuple[str | None, float | None]:
    for s in (style, style.base_style):
        if s is None:
            continue
        rpr = s.element.rPr
        fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
        if fonts is not None and fonts.get(qn("w:eastAsia")):
            return fonts.get(qn("w:eastAsia")), (style.font.size or s.font.size).pt if (
                style.font.size or s.font.size
            ) else None
    return None, None


@pytest.mark.parametrize("kind", [*KINDS, DocumentKind.COMPARISON])
def test_every_document_is_a4_with_the_margins_and_22_lines_of_28_characters(
    rendered: dict[DocumentKind, Path], kind: DocumentKind
) -> None:
    document = docx.Document(str(rendered[kind]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    assert round(Emu(section.page_width - section.left_margin - section.right_margin).mm) == 156
    assert round(Emu(section.page_height - section.top_margin - section.bottom_margin).mm) == 225
    grid = section._sectPr.find(qn("w:docGrid"))
    pitch_pt = int(grid.get(qn("w:linePitch"))) / 20
    assert int(225 / (pitch_pt / 72 * 25.4)) == 22
    body = document.styles["Normal"]
    assert body.paragraph_format.line_spacing.pt == pitch_pt
    condensed = int(body.element.rPr.find(qn("w:spacing")).get(qn("w:val"))) / 20
    per_char = body.font.size.pt + condensed
    assert int(Mm(156).pt / per_char) == 28


@pytest.mark.parametrize("kind", [*KINDS, DocumentKind.COMPARISON])
def test_page_numbers_are_dashed_odd_right_even_left(
    rendered: dict[DocumentKind, Path], kind: DocumentKind
) -> None:
    document = docx.Document(str(rendered[kind]))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        paragraph = footer.paragraphs[0]
        assert paragraph.alignment == align
        assert "PAGE" in paragraph._p.xml and paragraph.text.count("—") == 2
        assert {r.font.size.pt for r in paragraph.runs} == {14}
        assert {r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in paragraph.runs} == {"宋体"}


@pytest.mark.parametrize("kind", [*KINDS, DocumentKind.COMPARISON])
def test_the_shared_gbt9704_checker_passes(
    rendered: dict[DocumentKind, Path], kind: DocumentKind, shared: Path
) -> None:
    run = subprocess.run(
        [sys.executable, str(shared / "tools" / "gbt9704_check.py"), str(rendered[kind])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_tables_are_portrait_fit_the_text_block_and_repeat_their_header(
    rendered: dict[DocumentKind, Path],
) -> None:
    for kind in (DocumentKind.ADOPTION_TABLE, DocumentKind.COMPARISON):
        document = docx.Document(str(rendered[kind]))
        assert document.sections[0].page_height > document.sections[0].page_width
        table = document.tables[0]
        widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(widths) == 8845  # 156 mm in twips
        header = table.rows[0]._tr.trPr
        assert header.find(qn("w:tblHeader")) is not None
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    font, size = _style_font(paragraph.style)
                    assert size in (14, 12) and font is not None and "仿宋" in font


def test_doc_numbers_and_dates_are_written_the_gbt9704_way(rendered: dict[DocumentKind, Path]) -> None:
    text = "\n".join(p.text for p in docx.Document(str(rendered[DocumentKind.PUBLISHED])).paragraphs)
    assert "深财〔2007〕35号" in text and "2007年12月28日" in text and "2007年12月28日印发" in text
    letter = "\n".join(
        p.text for p in docx.Document(str(rendered[DocumentKind.CONSULTATION_LETTER])).paragraphs
    )
    assert "2007年10月12日前" in letter and "2007年9月28日" in letter


def test_the_letterhead_is_red_and_centred(rendered: dict[DocumentKind, Path]) -> None:
    document = docx.Document(str(rendered[DocumentKind.PUBLISHED]))
    mark = document.paragraphs[0]
    assert mark.text == "深圳市财政局文件" and mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert str(mark.runs[0].font.color.rgb) == "FF0000"
    assert document.paragraphs[1].text == "深财〔2007〕35号"


@pytest.mark.parametrize("template", sorted(TEMPLATES.directory.glob("*.docx")), ids=lambda p: p.name)
def test_every_style_the_composer_emits_exists_in_every_template_with_its_gbt9704_properties(
    template: Path,
) -> None:
    styles = {s.name: s for s in docx.Document(str(template)).styles}
    emitted: set[str] = set()
    for kind in [*KINDS, DocumentKind.COMPARISON]:
        emitted |= content(kind).styles()
    assert emitted <= set(styles)
    for style, (family, size) in EXPECTED.items():
        assert styles[style.value].type == WD_STYLE_TYPE.PARAGRAPH
        font, pt = _style_font(styles[style.value])
        assert font is not None and family in font, (style, font)
        assert size is None or pt == size, (style, pt)
    assert styles[CharStyle.LEAD.value].type == WD_STYLE_TYPE.CHARACTER
    assert "黑体" in (_style_font(styles[CharStyle.LEAD.value])[0] or "")
    assert styles[CharStyle.PLACEHOLDER.value].type == WD_STYLE_TYPE.CHARACTER


def test_the_same_content_renders_to_the_same_bytes() -> None:
    draft = content(DocumentKind.DRAFT)
    assert TEMPLATES.renderer.render(draft) == Renderer(TEMPLATES.directory).render(draft)


def test_the_text_survives_a_round_trip_through_word() -> None:
    draft = content(DocumentKind.DRAFT)
    reopened = reopen(TEMPLATES.renderer.render(draft))
    assert [p.text for p in reopened.paragraphs] == draft.text.splitlines()


def _copy_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES.directory, folder)
    return folder


def test_a_template_without_a_style_banfa_needs_is_refused(tmp_path: Path) -> None:
    folder = _copy_templates(tmp_path)
    document = docx.Document(str(folder / "banfa.docx"))
    document.styles[Style.CHAPTER.value].element.getparent().remove(
        document.styles[Style.CHAPTER.value].element
    )
    document.save(str(folder / "banfa.docx"))
    with pytest.raises(TemplateError, match="Banfa Chapter"):
        Renderer(folder)


def test_an_office_can_give_a_department_its_own_letterhead(tmp_path: Path) -> None:
    folder = _copy_templates(tmp_path)
    own = docx.Document(str(folder / "letterhead.docx"))
    own.paragraphs[0].runs[0].text = "{mark}（专用版头）"
    own.save(str(folder / "letterhead-caizheng.docx"))
    published = reopen(Renderer(folder).render(content(DocumentKind.PUBLISHED)))
    assert published.paragraphs[0].text == "深圳市财政局文件（专用版头）"


@pytest.mark.slow
def test_libreoffice_renders_the_draft_to_pdf_pages_with_its_text(
    rendered: dict[DocumentKind, Path], tmp_path: Path
) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        pytest.skip("LibreOffice or pdftotext is not installed")
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(rendered[DocumentKind.DRAFT]),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "draft.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 1 <= pages <= 4
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    assert "深圳市服务外包人才培训资助资金使用和监管办法" in flat
    assert "第七条本办法自2008年1月1日起施行，有效期5年。" in flat
    assert "—1—" in flat
