"""Reading an uploaded draft: what is read, how Word's numbering and revisions come out, and what is refused."""

from __future__ import annotations

import contextlib
import io
from functools import cache

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.drafting.reading import _read_capped, _Refused, read_draft
from engine.domain.drafting.text import Article
from engine.errors import UploadRejected
from tests.support.docx_fixtures import (
    level,
    made_by_python_docx,
    numbering,
    ole_file,
    p,
    part,
    patched,
    r,
    with_body,
    with_declared_sizes,
    with_styles,
    with_zeros,
    zip_of,
)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ARTICLES = numbering({1: level(0, "chineseCounting", "第%1条")}, {1: 1})


def refusal(data: bytes, filename: str = "草稿.docx", **kwargs: int) -> str:
    with pytest.raises(UploadRejected) as caught:
        read_draft(data, filename, **kwargs)
    assert caught.value.filename == filename
    return caught.value.reason


# What is read


def test_a_python_docx_draft_gives_its_articles_under_their_chapter() -> None:
    data = made_by_python_docx(
        "第一章　总则", "第一条　为了规范管理，制定本办法。", "第二条　本办法自发布之日起施行。"
    )
    draft = read_draft(data, "草稿.docx")
    assert draft.paragraphs == (
        "第一章　总则",
        "第一条　为了规范管理，制定本办法。",
        "第二条　本办法自发布之日起施行。",
    )
    assert draft.articles == (
        Article(1, "为了规范管理，制定本办法。", "第一章　总则"),
        Article(2, "本办法自发布之日起施行。", "第一章　总则"),
    )
    assert draft.warnings == ()


def test_empty_paragraphs_are_dropped_and_the_rest_are_stripped() -> None:
    draft = read_draft(made_by_python_docx("  标题 ", "", "\u3000正文"), "草稿.docx")
    assert draft.paragraphs == ("标题", "正文")


def test_table_cells_are_read_row_by_row_in_document_order() -> None:
    document = docx.Document()
    document.add_paragraph("表前")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "甲", (0, 1): "乙", (1, 0): "丙", (1, 1): "丁"}.items():
        table.cell(row, col).text = text
    document.add_paragraph("表后")
    buffer = io.BytesIO()
    document.save(buffer)
    assert read_draft(buffer.getvalue(), "表.docx").paragraphs == ("表前", "甲", "乙", "丙", "丁", "表后")


def test_tabs_and_breaks_inside_a_paragraph_are_kept() -> None:
    body = "<w:p><w:r><w:t>一</w:t><w:tab/><w:t>二</w:t><w:br/><w:t>三</w:t><w:cr/><w:t>四</w:t></w:r></w:p>"
    assert read_draft(with_body(body), "草稿.docx").paragraphs == ("一\t二\n三\n四",)


ALTERNATIVES = f'<mc:AlternateContent><mc:Choice Requires="w14">{r("办法")}</mc:Choice><mc:Fallback>{r("办法")}</mc:Fallback></mc:AlternateContent>'
RUBY = "<w:r><w:ruby><w:rubyPr/><w:rt><w:r><w:t>bànfǎ</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>办法</w:t></w:r></w:rubyBase></w:ruby></w:r>"


@pytest.mark.parametrize("run", [ALTERNATIVES, RUBY])
def test_an_alternative_rendering_or_a_phonetic_guide_is_read_once(run: str) -> None:
    assert read_draft(with_body(f"<w:p>{run}</w:p>"), "草稿.docx").paragraphs == ("办法",)


def test_deeply_nested_content_is_read_without_exhausting_the_stack() -> None:
    depth = 5_000
    body = "<w:sdt><w:sdtContent>" * depth + p("深处") + "</w:sdtContent></w:sdt>" * depth
    assert read_draft(with_body(body), "草稿.docx").paragraphs == ("深处",)


# Tracked changes, text boxes


def test_tracked_changes_are_read_as_accepted_with_a_warning() -> None:
    body = (
        f'<w:p>{r("第一条　本办法")}<w:ins w:id="1" w:author="甲">{r("自发布之日起")}</w:ins>'
        f'<w:del w:id="2" w:author="甲"><w:r><w:tab/><w:delText>自印发之日起</w:delText><w:br/></w:r></w:del>{r("施行。")}</w:p>'
    )
    draft = read_draft(with_body(body), "草稿.docx")
    assert draft.paragraphs == ("第一条　本办法自发布之日起施行。",)
    assert any("接受全部修订" in warning for warning in draft.warnings)


def test_moved_text_is_read_at_its_destination_only() -> None:
    body = (
        f'<w:p><w:moveFrom w:id="1" w:author="甲">{r("旧位置")}</w:moveFrom>{r("甲")}</w:p>'
        f'<w:p>{r("乙")}<w:moveTo w:id="2" w:author="甲">{r("旧位置")}</w:moveTo></w:p>'
    )
    draft = read_draft(with_body(body), "草稿.docx")
    assert draft.paragraphs == ("甲", "乙旧位置")
    assert draft.warnings


def test_text_boxes_are_left_unread_with_a_warning() -> None:
    box = f"<w:r><w:pict><w:txbxContent>{p('框内文字')}</w:txbxContent></w:pict></w:r>"
    draft = read_draft(with_body(f"<w:p>{r('正文')}{box}</w:p>"), "草稿.docx")
    assert draft.paragraphs == ("正文",)
    assert draft.warnings == ("文稿中的文本框内容未读取，如其中有正文，请移入正文段落",)


# Word's automatic numbering


def numbered(
    *paragraphs: str, numbering_xml: str = ARTICLES, styles_xml: str | None = None
) -> tuple[str, ...]:
    parts = {"word/numbering.xml": numbering_xml} | ({"word/styles.xml": styles_xml} if styles_xml else {})
    return read_draft(with_body("".join(paragraphs), parts), "草稿.docx").paragraphs


def test_auto_numbered_articles_get_their_labels_and_become_articles() -> None:
    data = with_body(
        p("为了规范管理，制定本办法。", num=(1, 0)) + p("本办法自发布之日起施行。", num=(1, 0)),
        {"word/numbering.xml": ARTICLES},
    )
    draft = read_draft(data, "草稿.docx")
    assert draft.paragraphs == (
        "第一条\u3000为了规范管理，制定本办法。",
        "第二条\u3000本办法自发布之日起施行。",
    )
    assert [article.label for article in draft.articles] == ["第一条", "第二条"]


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("chineseCounting", "%1、", ["一、甲", "二、乙"]),
        ("chineseCounting", "（%1）", ["（一）甲", "（二）乙"]),
        ("chineseCounting", "第%1章", ["第一章\u3000甲", "第二章\u3000乙"]),
        ("chineseCountingThousand", "第%1条", ["第一条\u3000甲", "第二条\u3000乙"]),
        ("decimal", "%1", ["1\u3000甲", "2\u3000乙"]),
        ("decimal", "%1.", ["1.甲", "2.乙"]),
        ("upperRoman", "%1.", ["I.甲", "II.乙"]),
        ("lowerLetter", "(%1)", ["(a)甲", "(b)乙"]),
        ("decimalEnclosedCircle", "%1", ["①\u3000甲", "②\u3000乙"]),
    ],
)
def test_each_supported_format_is_written_as_word_shows_it(fmt: str, text: str, expected: list[str]) -> None:
    xml = numbering({1: level(0, fmt, text)}, {1: 1})
    assert numbered(p("甲", num=(1, 0)), p("乙", num=(1, 0)), numbering_xml=xml) == tuple(expected)


def test_numbering_counts_from_the_level_start_and_honours_a_start_override() -> None:
    xml = numbering(
        {1: level(0, "chineseCounting", "第%1条", start=3)},
        {1: 1, 2: 1},
        {2: '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="10"/></w:lvlOverride>'},
    )
    assert numbered(p("甲", num=(1, 0)), p("乙", num=(2, 0)), p("丙", num=(2, 0)), numbering_xml=xml) == (
        "第三条\u3000甲",
        "第十条\u3000乙",
        "第十一条\u3000丙",
    )


def test_each_list_keeps_its_own_counter() -> None:
    xml = numbering(
        {1: level(0, "chineseCounting", "第%1章"), 2: level(0, "chineseCounting", "第%1条")}, {1: 1, 2: 2}
    )
    paragraphs = numbered(
        p("总则", num=(1, 0)),
        p("甲", num=(2, 0)),
        p("附则", num=(1, 0)),
        p("乙", num=(2, 0)),
        numbering_xml=xml,
    )
    assert paragraphs == ("第一章\u3000总则", "第一条\u3000甲", "第二章\u3000附则", "第二条\u3000乙")
    draft = read_draft(
        with_body(p("总则", num=(1, 0)) + p("甲", num=(2, 0)), {"word/numbering.xml": xml}), "草稿.docx"
    )
    assert draft.articles == (Article(1, "甲", "第一章　总则"),)


def test_a_deeper_level_restarts_when_a_shallower_level_advances() -> None:
    xml = numbering({1: level(0, "chineseCounting", "%1、") + level(1, "chineseCounting", "（%2）")}, {1: 1})
    paragraphs = [
        p("甲", num=(1, 0)),
        p("子", num=(1, 1)),
        p("丑", num=(1, 1)),
        p("乙", num=(1, 0)),
        p("寅", num=(1, 1)),
    ]
    assert numbered(*paragraphs, numbering_xml=xml) == (
        "一、甲",
        "（一）子",
        "（二）丑",
        "二、乙",
        "（一）寅",
    )


def test_a_level_text_may_show_the_numbers_of_shallower_levels() -> None:
    xml = numbering({1: level(0, "decimal", "%1.") + level(1, "decimal", "%1.%2")}, {1: 1})
    assert numbered(p("甲", num=(1, 0)), p("子", num=(1, 1)), p("丑", num=(1, 1)), numbering_xml=xml) == (
        "1.甲",
        "1.1\u3000子",
        "1.2\u3000丑",
    )


def test_numbering_is_inherited_from_the_paragraph_style_and_its_base() -> None:
    styles = with_styles(
        '<w:style w:type="paragraph" w:styleId="Tiao"><w:name w:val="Tiao"/><w:basedOn w:val="Normal"/>'
        '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>',
        '<w:style w:type="paragraph" w:styleId="TiaoBold"><w:name w:val="TiaoBold"/><w:basedOn w:val="Tiao"/></w:style>',
    )
    assert numbered(p("甲", style="Tiao"), p("乙", style="TiaoBold"), p("丙"), styles_xml=styles) == (
        "第一条\u3000甲",
        "第二条\u3000乙",
        "丙",
    )


def test_a_list_defined_through_a_numbering_style_is_followed_to_its_levels() -> None:
    styles = with_styles(
        '<w:style w:type="numbering" w:styleId="Tiaokuan"><w:name w:val="Tiaokuan"/>'
        '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>'
    )
    xml = numbering(
        {
            1: '<w:styleLink w:val="Tiaokuan"/>' + level(0, "chineseCounting", "第%1条"),
            2: '<w:numStyleLink w:val="Tiaokuan"/>',
        },
        {1: 1, 2: 2},
    )
    assert numbered(p("甲", num=(2, 0)), p("乙", num=(2, 0)), numbering_xml=xml, styles_xml=styles) == (
        "第一条\u3000甲",
        "第二条\u3000乙",
    )


def test_a_paragraph_can_switch_off_the_numbering_of_its_style() -> None:
    styles = with_styles(
        '<w:style w:type="paragraph" w:styleId="Tiao"><w:name w:val="Tiao"/>'
        '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>'
    )
    plain = '<w:p><w:pPr><w:pStyle w:val="Tiao"/><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>乙</w:t></w:r></w:p>'
    assert numbered(p("甲", style="Tiao"), plain, styles_xml=styles) == ("第一条\u3000甲", "乙")


def test_python_docx_list_number_paragraphs_are_numbered_from_the_template() -> None:
    assert read_draft(made_by_python_docx("甲", "乙", style="List Number"), "草稿.docx").paragraphs == (
        "1.甲",
        "2.乙",
    )


def test_bullets_add_no_label() -> None:
    xml = numbering({1: level(0, "bullet", "\uf0b7")}, {1: 1})
    assert numbered(p("甲", num=(1, 0)), numbering_xml=xml) == ("甲",)


def test_a_numbering_format_that_cannot_be_rendered_is_refused_by_name() -> None:
    xml = numbering({1: level(0, "ideographTraditional", "%1、")}, {1: 1})
    data = with_body(p("甲", num=(1, 0)), {"word/numbering.xml": xml})
    assert "ideographTraditional" in refusal(data)


def test_a_number_beyond_what_can_be_written_is_refused() -> None:
    xml = numbering({1: level(0, "chineseCounting", "第%1条", start=1000)}, {1: 1})
    assert "范围" in refusal(with_body(p("甲", num=(1, 0)), {"word/numbering.xml": xml}))


# What is refused: not a .docx


def test_an_empty_upload_is_refused() -> None:
    assert "文件为空" in refusal(b"")


def test_an_upload_over_the_size_cap_is_refused() -> None:
    data = made_by_python_docx("第一条　甲")
    assert read_draft(data, "草稿.docx", max_bytes=len(data)).paragraphs
    assert refusal(data, max_bytes=len(data) - 1).startswith("文件过大")


def test_an_encrypted_document_is_refused_with_how_to_remove_the_password() -> None:
    assert refusal(ole_file("EncryptionInfo", "EncryptedPackage")) == "文件已加密，请取消密码保护后重新上传"


def test_an_old_binary_doc_is_refused_with_how_to_convert_it() -> None:
    assert refusal(ole_file("WordDocument", "1Table")) == "这是旧版 Word（.doc）文件，请另存为 .docx 后上传"


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "第一条　甲".encode(), ole_file("Workbook")]
)
def test_a_file_that_is_not_word_is_refused_as_such(data: bytes) -> None:
    assert "不是 Word（.docx）文件" in refusal(data)


def test_a_zip_without_a_word_document_is_refused_as_not_word() -> None:
    assert "不是 Word（.docx）文件" in refusal(
        zip_of({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<x/>"})
    )
    assert "不是 Word（.docx）文件" in refusal(
        patched(made_by_python_docx("甲"), {"[Content_Types].xml": None})
    )


def test_a_truncated_package_is_refused_as_damaged() -> None:
    data = made_by_python_docx("第一条　甲")
    assert "文件已损坏" in refusal(data[: len(data) // 2])


def test_an_entry_longer_than_its_header_says_is_refused_as_damaged() -> None:
    data = made_by_python_docx("第一条　甲")
    assert "文件已损坏" in refusal(with_declared_sizes(data, "word/document.xml", size=100))


# What is refused: unsafe packages


@pytest.mark.parametrize(
    "name", ["../evil", "word/../../evil.xml", "/etc/passwd", "word\\evil.xml", "C:/evil.xml"]
)
def test_an_entry_with_an_unsafe_path_is_refused(name: str) -> None:
    assert "不安全的路径" in refusal(patched(made_by_python_docx("甲"), {name: "x"}))


def test_a_package_with_too_many_entries_is_refused() -> None:
    data = patched(made_by_python_docx("甲"), {f"word/media/{i}.txt": "" for i in range(2_000)})
    assert "上限为 2000 个" in refusal(data)


def test_a_highly_compressed_entry_is_refused_from_its_header() -> None:
    # An entry Banfa never reads: only the header check can catch it.
    data = with_zeros(made_by_python_docx("甲"), "word/media/zeros.bin", megabytes=50)
    assert "压缩比超过 100:1" in refusal(data, max_bytes=len(data))


def test_a_small_entry_may_compress_at_any_ratio() -> None:
    data = with_zeros(made_by_python_docx("甲"), "word/media/zeros.bin", megabytes=1)
    assert read_draft(data, "草稿.docx").paragraphs == ("甲",)


def test_a_package_declaring_over_200_mb_uncompressed_is_refused() -> None:
    data = patched(made_by_python_docx("甲"), {"word/media/big.bin": b"x"})
    assert "总大小超过 200.0 MB" in refusal(
        with_declared_sizes(data, "word/media/big.bin", compressed=3 << 20, size=250 << 20)
    )


def test_reading_stops_at_the_cap_whatever_the_headers_claimed() -> None:
    assert _read_capped(io.BytesIO(bytes(200_000)), 200_000) == bytes(200_000)
    with pytest.raises(_Refused):
        _read_capped(io.BytesIO(bytes(200_001)), 200_000)


def test_a_macro_project_is_refused() -> None:
    data = patched(made_by_python_docx("甲"), {"word/vbaProject.bin": b"\x00"})
    assert refusal(data) == "文件含有宏（启用宏的文档），出于安全原因不予接受，请另存为普通 .docx"


def test_a_macro_enabled_content_type_is_refused() -> None:
    data = made_by_python_docx("甲")
    types = part(data, "[Content_Types].xml").replace(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    assert "含有宏" in refusal(patched(data, {"[Content_Types].xml": types}))


def test_invalid_xml_is_refused_as_damaged() -> None:
    data = patched(made_by_python_docx("甲"), {"word/document.xml": "<w:document><w:body><w:p>"})
    assert "文件已损坏" in refusal(data)


@pytest.mark.parametrize(
    "xml",
    [
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "哈哈"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>',
        f'<!DOCTYPE w:document><w:document xmlns:w="{W_NS}"><w:body>{p("甲")}</w:body></w:document>',
    ],
)
def test_xml_with_a_dtd_is_refused_without_expanding_entities(xml: str) -> None:
    assert "XML 声明" in refusal(patched(made_by_python_docx("甲"), {"word/document.xml": xml}))


# What is refused: content that cannot be read faithfully


def test_embedded_html_or_rtf_is_refused() -> None:
    assert "altChunk" in refusal(with_body(p("甲") + '<w:altChunk r:id="rId99"/>'))


def test_a_subdocument_is_refused() -> None:
    assert "子文档" in refusal(with_body(f'<w:p><w:subDoc r:id="rId99"/>{r("甲")}</w:p>'))


def test_a_document_without_text_is_refused() -> None:
    assert refusal(made_by_python_docx("", "  ")).startswith("文稿没有可读取的文字")


# Robustness


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_give_a_draft_or_a_refusal(data: bytes) -> None:
    for candidate in (data, b"PK" + data, b"PK\x03\x04" + data):
        with contextlib.suppress(UploadRejected):
            read_draft(candidate, "x.docx")


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_corrupted_package_gives_a_draft_or_a_refusal(data: st.DataObject) -> None:
    original = small_docx()
    at = data.draw(st.integers(0, len(original) - 1))
    noise = data.draw(st.binary(min_size=1, max_size=8))
    with contextlib.suppress(UploadRejected):
        read_draft(original[:at] + noise + original[at + len(noise) :], "x.docx")


@cache
def small_docx() -> bytes:
    """A numbered draft without python-docx's large style parts, so that each corrupted copy reads quickly."""
    parts = {"word/styles.xml": None, "word/stylesWithEffects.xml": None, "word/numbering.xml": ARTICLES}
    return with_body(p("甲", num=(1, 0)) + "<w:tbl><w:tr><w:tc>" + p("乙") + "</w:tc></w:tr></w:tbl>", parts)
