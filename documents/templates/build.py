"""Build Banfa's Word templates: banfa.docx (styles, page, footers) and letterhead.docx (the 版头).

Run with `.venv/bin/python documents/templates/build.py`. The templates are committed, because people edit
them in Word (fonts, spacing, an office's own letterhead); this script is how they were made and how to make
them again from scratch. GB/T 9704-2012 (domain.md §3) fixes the numbers below. python-docx has no API for the
document grid, the East Asian font slot or odd/even footers with a PAGE field, so those are set as XML.
"""

from __future__ import annotations

import sys
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

HERE = Path(__file__).resolve().parent
LINE = Twips(578)  # 28.9 pt: 22 lines in the 225 mm text block
FANGSONG, HEITI, KAITI, XBS, SONGTI = "仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体", "宋体"
LATIN = "Times New Roman"
CHAR = 320  # one character of 3号 (16 pt) in twentieths of a point
CONDENSE = -5  # twentieths of a point: 28 characters of 15.75 pt fill 441 pt of the 442.2 pt (156 mm) line

# name: (base, east-asian font, size pt, alignment, first-line indent in characters, bold)
PARAGRAPH_STYLES = {
    "Banfa Body": (FANGSONG, 16, WD_ALIGN_PARAGRAPH.JUSTIFY, 2),
    "Banfa Title": (XBS, 22, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "Banfa Subtitle": (KAITI, 16, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "Banfa Chapter": (HEITI, 16, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "Banfa Heading 1": (HEITI, 16, WD_ALIGN_PARAGRAPH.JUSTIFY, 2),
    "Banfa Heading 2": (KAITI, 16, WD_ALIGN_PARAGRAPH.JUSTIFY, 2),
    "Banfa Recipient": (FANGSONG, 16, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "Banfa Signature": (FANGSONG, 16, WD_ALIGN_PARAGRAPH.RIGHT, 0),
    "Banfa Table Text": (FANGSONG, 14, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "Banfa Table Header": (FANGSONG, 14, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "Banfa Colophon": (FANGSONG, 14, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "Banfa Letterhead": (XBS, 42, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "Banfa Doc Number": (FANGSONG, 16, WD_ALIGN_PARAGRAPH.CENTER, 0),
}
CHARACTER_STYLES = {"Banfa Lead": HEITI, "Banfa Placeholder": None}


def set_fonts(rpr_parent: object, east_asian: str, latin: str = LATIN) -> None:
    """Set all four font slots; python-docx's font.name leaves w:eastAsia alone."""
    rpr = rpr_parent.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asian), ("w:cs", latin)):
        fonts.set(qn(slot), value)


def defaults(document: docx.document.Document) -> None:
    styles = document.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    for child in list(rpr):
        rpr.remove(child)
    fonts = OxmlElement("w:rFonts")
    for slot, value in (("w:ascii", LATIN), ("w:hAnsi", LATIN), ("w:eastAsia", FANGSONG), ("w:cs", LATIN)):
        fonts.set(qn(slot), value)
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "32")
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.extend([fonts, size, lang])
    normal = document.styles["Normal"]
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    normal.font.size = Pt(16)
    set_fonts(normal.element, FANGSONG)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(CONDENSE))
    normal.element.get_or_add_rPr().append(spacing)


def paragraph_styles(document: docx.document.Document) -> None:
    for name, (font, size, align, indent) in PARAGRAPH_STYLES.items():
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
        style.quick_style = True
        fmt = style.paragraph_format
        fmt.alignment = align
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE if size >= 16 else Pt(22)
        fmt.first_line_indent = Twips(CHAR * indent) if indent else Twips(0)
        style.font.size = Pt(size)
        set_fonts(style.element, font, font if font in (XBS, SONGTI) else LATIN)
        if indent:
            ind = style.element.get_or_add_pPr().find(qn("w:ind"))
            ind.set(qn("w:firstLineChars"), str(indent * 100))
    document.styles["Banfa Title"].paragraph_format.line_spacing = Twips(700)
    document.styles["Banfa Subtitle"].paragraph_format.space_after = LINE
    document.styles["Banfa Signature"].paragraph_format.right_indent = Twips(CHAR * 4)
    document.styles["Banfa Table Header"].font.bold = True  # table cells stay 仿宋 (4号); the header is bold
    colophon = document.styles["Banfa Colophon"].paragraph_format
    colophon.left_indent = colophon.right_indent = Twips(280)
    letterhead = document.styles["Banfa Letterhead"]
    letterhead.font.color.rgb = RGBColor(0xFF, 0, 0)
    letterhead.paragraph_format.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
    letterhead.paragraph_format.space_before = Mm(8)


def character_styles(document: docx.document.Document) -> None:
    for name, font in CHARACTER_STYLES.items():
        style = document.styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
        if font:
            set_fonts(style.element, font)
            style.font.size = Pt(16)
        else:  # the placeholder: a pale highlight the drafter cannot miss, the body font kept
            shading = OxmlElement("w:shd")
            shading.set(qn("w:val"), "clear")
            shading.set(qn("w:color"), "auto")
            shading.set(qn("w:fill"), "FFF2CC")
            style.element.get_or_add_rPr().append(shading)


def page(document: docx.document.Document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(25.5)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    # A line grid only: 22 lines of 28.9 pt. The 28 characters a line come from the body font's character
    # spacing (CONDENSE below), because LibreOffice draws a 3号 character that is wider than a character-grid
    # cell across two cells, leaving 14 characters a line; Word, WPS and LibreOffice all honour the spacing.
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), "578")
    document.settings.odd_and_even_pages_header_footer = True
    footer(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    footer(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def footer(part: object, align: WD_ALIGN_PARAGRAPH) -> None:
    """Write "— PAGE —" in 4号 宋体, one character in from the edge the page number sits on."""
    paragraph = part.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.alignment = align
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = Twips(280)
    else:
        paragraph.paragraph_format.left_indent = Twips(280)
    for text, field in (("— ", None), (None, "begin"), (" PAGE ", "instr"), (None, "end"), (" —", None)):
        run = paragraph.add_run()
        run.font.size = Pt(14)
        set_fonts(run._r, SONGTI, SONGTI)
        if field in ("begin", "end"):
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), field)
            run._r.append(char)
        elif field == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text


def core(document: docx.document.Document) -> None:
    import datetime as dt

    props = document.core_properties
    props.author = props.last_modified_by = "Banfa"
    props.title = "Banfa"
    props.created = props.modified = dt.datetime(2007, 1, 1, tzinfo=dt.UTC)
    props.revision = 1


def slim(document: docx.document.Document) -> None:
    """Drop what python-docx's default template carries and Banfa never uses: 99 built-in table styles and
    Word 2010's stylesWithEffects copy. Every upload of a draft made from these templates is read back, and
    parsing 350 KB of unused styles each time was most of the reading."""
    styles = document.styles.element
    for style in list(styles.findall(qn("w:style"))):
        if style.get(qn("w:type")) == "table" and style.get(qn("w:default")) != "1":
            styles.remove(style)
    for rel_id, rel in list(document.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            document.part.drop_rel(rel_id)


def base() -> docx.document.Document:
    document = docx.Document()
    slim(document)
    defaults(document)
    paragraph_styles(document)
    character_styles(document)
    page(document)
    core(document)
    body = document.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)
    return document


def letterhead() -> docx.document.Document:
    """The 版头: {mark} is the issuer's mark, {number} the 发文字号 line (dropped when there is none)."""
    document = base()
    mark = document.add_paragraph(style="Banfa Letterhead")
    mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = mark.add_run("{mark}")
    run.font.color.rgb = RGBColor(0xFF, 0, 0)
    document.add_paragraph("{number}", style="Banfa Doc Number").alignment = WD_ALIGN_PARAGRAPH.CENTER
    rule = document.add_paragraph(style="Banfa Doc Number")
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "FF0000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    rule._p.get_or_add_pPr().append(border)
    return document


def main(out: Path = HERE) -> None:
    base().save(out / "banfa.docx")
    letterhead().save(out / "letterhead.docx")
    print(f"wrote {out / 'banfa.docx'} and {out / 'letterhead.docx'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
