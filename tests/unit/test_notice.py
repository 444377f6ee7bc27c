"""The notice parser: structure, encodings, bad input, and any text at all."""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.domain.departments import Registry
from engine.domain.intake.decoding import decode
from engine.domain.intake.notice import Notice, parse
from engine.domain.textform import parse_cn_date
from engine.errors import EmptyNotice, NotANotice, NoticeParseError, UndecodableNotice

TAG_STYLE = """国务院办公厅关于印发促进外贸稳定增长重点任务分工的通知
国办函〔2019〕7号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院同意，现将有关重点任务分工通知如下：
一、完善支持政策
（一）研究制定跨境电商零售进口监管办法。（商务部会同海关总署等部门负责，2019年6月底前完成）
（二）做好政策宣传解读。（国家发展改革委负责）
二、优化营商环境
（三）修订完善外贸企业出口退税管理办法。（税务总局、财政部按职责分工负责）
各地区、各部门要高度重视，抓紧推进各项工作。
国务院办公厅
2019年3月5日
"""


def test_a_heading_style_notice_gives_its_metadata_sections_and_items(
    seed_text: str, registry: Registry
) -> None:
    notice = parse(seed_text, registry=registry)
    assert notice.title == "深圳市人民政府办公厅关于全市服务外包工作部门分工的通知"
    assert notice.number == "深府办〔2007〕129号"
    assert notice.issuer == "深圳市人民政府办公厅"
    assert (notice.date, notice.published) == (dt.date(2007, 8, 24), dt.date(2007, 9, 11))
    assert [s.number for s in notice.sections] == list(range(1, 14))
    assert notice.sections[9].departments == ("市公安局", "市外办")
    assert notice.sections[12].names_other_departments
    assert [i.location for i in notice.sections[0].items][:3] == ["一(一)", "一(二)", "一(三)"]
    assert notice.sections[5].items[0].location == "六"
    assert "今年年内" in notice.closing and "今年年内" not in notice.sections[12].items[0].text
    assert notice.jurisdiction == "深圳市"
    assert {"物流办", "市贸工局", "深圳海关", "国家外汇管理局深圳市分局", "知识产权管理部门"} <= set(
        notice.departments
    )


def test_a_tag_style_notice_has_topic_headings_and_a_signature_date() -> None:
    notice = parse(TAG_STYLE)
    assert notice.number == "国办函〔2019〕7号"
    assert notice.issuer == "国务院办公厅"
    assert notice.date == dt.date(2019, 3, 5)
    assert notice.published is None
    assert [s.departments for s in notice.sections] == [(), ()]
    assert [i.location for i in notice.items] == ["一(一)", "一(二)", "二(三)"]
    assert notice.closing.startswith("各地区、各部门要高度重视")
    assert {"商务部", "海关总署", "国家发展改革委", "税务总局", "财政部"} <= set(notice.departments)
    assert notice.jurisdiction is None


def test_a_paragraph_addressed_to_everyone_between_sections_does_not_end_the_numbering() -> None:
    text = (
        "某市人民政府办公厅关于分工的通知\n一、市财政局\n（一）制定甲办法。\n各有关部门要加强配合。\n"
        "二、市商务局\n（一）制定乙办法。\n请各有关部门于今年年内完成。\n某市人民政府办公厅\n2019年3月2日\n"
    )
    notice = parse(text)
    assert [i.location for i in notice.items] == ["一(一)", "二(一)"]
    assert notice.items[0].text == "制定甲办法。各有关部门要加强配合。"
    assert notice.closing == "请各有关部门于今年年内完成。"
    assert notice.date == dt.date(2019, 3, 2)


def test_items_run_together_on_one_line_are_split() -> None:
    text = "某市人民政府办公厅关于分工的通知\n一、市财政局\n（一）制定甲办法。（二）制定乙办法。\n"
    assert [i.text for i in parse(text).items] == ["制定甲办法。", "制定乙办法。"]


def test_arabic_sub_items_are_items_where_a_section_has_no_bracketed_ones() -> None:
    text = "某市人民政府办公厅关于分工的通知\n一、重点任务\n1. 制定甲办法。\n2. 制定乙办法。\n"
    assert [i.location for i in parse(text).items] == ["一(1)", "一(2)"]


def test_deeper_levels_fold_into_their_item() -> None:
    text = (
        "某市人民政府办公厅关于分工的通知\n一、重点任务\n（一）完善政策。\n1. 制定甲办法。\n2. 制定乙办法。\n"
    )
    assert [i.text for i in parse(text).items] == ["完善政策。制定甲办法。制定乙办法。"]


def test_dates_written_in_chinese_numerals_are_read() -> None:
    assert parse_cn_date("二〇〇七年八月二十四日") == dt.date(2007, 8, 24)
    assert parse_cn_date("（2007年8月24日）") == dt.date(2007, 8, 24)
    assert parse_cn_date("2007年2月30日") is None


def test_gbk_and_utf16_files_are_decoded(seed_text: str) -> None:
    assert decode(seed_text.encode("gbk", errors="replace")).startswith("http")
    assert decode(seed_text.encode("gb18030")) == seed_text
    assert decode(codecs.BOM_UTF16_LE + seed_text.encode("utf-16-le")) == seed_text
    assert decode(codecs.BOM_UTF8 + seed_text.encode("utf-8")) == seed_text


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64,
        b"PK\x03\x04\x14\x00\x06\x00" + b"\xff\xfe\x00\x01" * 50,
    ],
)
def test_binary_junk_is_undecodable(data: bytes) -> None:
    with pytest.raises(UndecodableNotice):
        decode(data, "junk.bin")


@pytest.mark.parametrize("data", [b"", b"   \n\t ", "\u3000\n".encode()])
def test_an_empty_file_is_reported_as_empty(data: bytes) -> None:
    with pytest.raises(EmptyNotice):
        decode(data, "empty.txt")


@pytest.mark.parametrize(
    "text",
    [
        "今天天气很好，我们去公园散步。",
        "一、苹果\n二、香蕉\n",  # numbered, but no title of an official document
    ],
)
def test_a_text_that_is_not_a_notice_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(NotANotice):
        parse(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_gives_a_notice_or_a_parse_error(text: str) -> None:
    with contextlib.suppress(NoticeParseError):
        assert isinstance(parse(text), Notice)


FRAGMENTS = [
    "一、",
    "二、",
    "（一）",
    "（二）",
    "1.",
    "市财政局",
    "市贸工局、市外办",
    "关于",
    "的通知",
    "\n",
    "会同",
    "等部门",
    "制定",
    "管理办法",
    "。",
    "；",
    "（",
    "）",
    "负责",
    "牵头",
    "分别",
    "今年年内",
    "2019年2月底前",
    "每年",
    "三个月内",
    "深府办〔2007〕129号",
    "《若干规定》第七条",
    "由",
    "配合",
    "（国家发展改革委会同有关部门负责）",
    "牵头单位：",
    "配合单位：",
    "2007年8月24日",
    "其他部门",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=40))
def test_notice_shaped_noise_gives_a_notice_or_a_parse_error(parts: list[str]) -> None:
    with contextlib.suppress(NoticeParseError):
        assert isinstance(parse("".join(parts)), Notice)
