"""What each document says, composed from a seed duty, its notice and its history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from engine.bootstrap import load_rules
from engine.config import Settings
from engine.domain.drafting.compose import compose, compose_comparison, compose_duty
from engine.domain.drafting.content import CharStyle, Colophon, Letterhead, Paragraph, Style, Table
from engine.domain.drafting.decisions import Decision, Legality, ReplyKind
from engine.domain.drafting.history import History, Opinion, Publication, Reply, Review, Step
from engine.domain.drafting.policy import Policy
from engine.domain.drafting.text import DraftText, articles_from_paragraphs
from engine.domain.drafting.versions import DocumentKind
from engine.domain.textform import cn_numeral
from tests.support.documents import SAMPLE, drafting, templates

WORDING = templates().wording
D = dt.date


def paragraphs(kind: DocumentKind, **kw: object) -> list[Paragraph]:
    content = compose(kind, kw.pop("d", None) or drafting(), WORDING, **kw)  # type: ignore[arg-type]
    return [b for b in content.blocks if isinstance(b, Paragraph)]


def test_the_draft_for_comments_is_a_banfa_skeleton_of_this_duty() -> None:
    ps = paragraphs(DocumentKind.DRAFT)
    texts = [p.text for p in ps]
    assert texts[:2] == ["深圳市服务外包人才培训资助资金使用和监管办法", "（征求意见稿）"]
    assert [p.style for p in ps[:2]] == [Style.TITLE, Style.SUBTITLE]
    first = next(t for t in texts if t.startswith("第一条"))
    assert "《深圳市人民政府办公厅关于全市服务外包工作部门分工的通知》（深府办〔2007〕129号）" in first
    assert "《关于加快深圳市服务外包发展的若干规定》（深府〔2006〕267号）" in first
    assert first.endswith("结合本市实际，制定本办法。")
    assert any("适用于" in t for t in texts)
    assert any(t.startswith("第三条") and "深圳市财政局负责" in t and "深圳市贸易工业局" in t for t in texts)
    assert "第六条　本办法由深圳市财政局负责解释。" in texts
    assert "第七条　本办法自2008年1月1日起施行，有效期5年。" in texts


def test_chapters_and_articles_are_numbered_in_order_with_chinese_numerals() -> None:
    texts = [p.text for p in paragraphs(DocumentKind.DRAFT)]
    chapters = [t.split("　")[0] for t in texts if re.match(r"第.+章", t)]
    articles = [t.split("　")[0] for t in texts if re.match(r"第.+条　", t)]
    assert chapters == [f"第{cn_numeral(i)}章" for i in range(1, 5)]
    assert articles == [f"第{cn_numeral(i)}条" for i in range(1, len(articles) + 1)]
    assert [t for t in texts if re.match(r"第.+章", t)][-1] == "第四章　附则"


def test_the_article_label_is_a_lead_in_and_placeholders_are_marked() -> None:
    ps = paragraphs(DocumentKind.DRAFT)
    article = next(p for p in ps if p.text.startswith("第一条"))
    assert article.runs[0].style is CharStyle.LEAD
    marked = [r.text for p in ps for r in p.runs if r.style is CharStyle.PLACEHOLDER]
    assert marked and all(t.startswith("【") and t.endswith("】") for t in marked)
    assert any("待起草" in t for t in marked)


def test_a_cited_article_of_the_upper_level_rule_goes_into_the_basis() -> None:
    texts = [p.text for p in paragraphs(DocumentKind.DRAFT, d=drafting("sfb2007-129-02-02-2-caizheng"))]
    first = next(t for t in texts if t.startswith("第一条"))
    assert "《关于加快深圳市服务外包发展的若干规定》（深府〔2006〕267号）第七条" in first


def test_a_regulation_draft_speaks_of_its_own_kind() -> None:
    texts = [p.text for p in paragraphs(DocumentKind.DRAFT, d=drafting("sfb2007-129-05-01-1-zhishichanquan"))]
    assert texts[0].endswith("条例（草案）")
    assert any("制定本条例" in t for t in texts) and any("本条例由" in t for t in texts)


def test_one_consultation_letter_per_consultee_with_its_reply_date_in_working_days() -> None:
    d = drafting("sfb2007-129-01-04-1a-maogong")  # consultees: 市财政局 only (the lead is the coordinator)
    letters = compose_duty(d, WORDING, (DocumentKind.CONSULTATION_LETTER,))
    assert [c.variant for c in letters] == ["caizheng"]
    texts = [b.text for b in letters[0].blocks if isinstance(b, Paragraph)]
    assert "深圳市财政局：" in texts
    # 7 working days after Friday 2007-09-28: the 29th and 30th were make-up days, then the National Day week
    assert any("请于2007年10月12日前将书面意见反馈我单位，逾期未反馈的视为无意见。" in t for t in texts)
    assert isinstance(letters[0].blocks[0], Letterhead) and not letters[0].blocks[0].document


def test_the_silence_clause_follows_the_policy() -> None:
    d = dataclasses.replace(drafting(), policy=Policy(silence_is_consent=False))
    texts = [
        b.text
        for b in compose(DocumentKind.CONSULTATION_LETTER, d, WORDING, variant="maogong").blocks
        if isinstance(b, Paragraph)
    ]
    assert not any("视为无意见" in t for t in texts)


def test_a_letter_for_a_department_that_is_not_consulted_is_refused() -> None:
    with pytest.raises(ValueError, match="gongan"):
        compose(DocumentKind.CONSULTATION_LETTER, drafting(), WORDING, variant="gongan")


def test_the_contact_comes_from_the_registry_or_is_a_placeholder() -> None:
    def contact_line(demo: bool) -> str:
        content = compose(DocumentKind.CONSULTATION_LETTER, drafting(demo=demo), WORDING, variant="maogong")
        return next(
            b.text for b in content.blocks if isinstance(b, Paragraph) and b.text.startswith("联系人")
        )

    assert contact_line(demo=True) == "联系人：市财政局承办人；电子邮箱：caizheng.officer@example.org。"
    assert "【联系人】" in contact_line(demo=False)


HISTORY = History(
    steps=(
        Step(D(2007, 9, 10), "深圳市财政局启动起草工作"),
        Step(D(2007, 9, 28), "向深圳市贸易工业局征求意见"),
    ),
    replies=(
        Reply(
            "深圳市贸易工业局",
            ReplyKind.OPINIONS,
            (
                Opinion("深圳市贸易工业局", "第四条", "建议明确资助标准", Decision.ADOPTED, "已补充"),
                Opinion(
                    "深圳市贸易工业局",
                    "第五条",
                    "建议取消绩效评价",
                    Decision.NOT_ADOPTED,
                    "绩效评价为财政资金管理所必需",
                ),
            ),
        ),
        Reply("深圳市人事局", ReplyKind.NO_OBJECTION),
        Reply("深圳市教育局", ReplyKind.SILENT),
    ),
    review=Review(
        Legality.TO_AMEND,
        "第五条的处罚条款超出规范性文件权限，应当删除。",
        "深圳市人民政府法制办公室",
        D(2007, 11, 20),
    ),
    publication=Publication("深财〔2007〕35号", D(2007, 12, 28), D(2008, 1, 1), ("深圳市人民政府办公厅",)),
)


def test_the_adoption_table_lists_every_opinion_reply_and_silence() -> None:
    content = compose(DocumentKind.ADOPTION_TABLE, drafting(history=HISTORY), WORDING)
    table = next(b for b in content.blocks if isinstance(b, Table))
    assert table.columns == ("序号", "提出单位", "条款", "意见建议", "处理情况", "理由")
    assert table.rows[0] == ("1", "深圳市贸易工业局", "第四条", "建议明确资助标准", "采纳", "已补充")
    assert table.rows[1][4] == "不予采纳"
    assert table.rows[2][1:4] == ("深圳市人事局", "—", "无意见")
    assert table.rows[3][3] == "逾期未反馈，视为无意见"
    assert sum(table.widths_mm) == 156


def test_an_empty_history_gives_clearly_marked_placeholders() -> None:
    empty = compose(DocumentKind.ADOPTION_TABLE, drafting(), WORDING)
    table = next(b for b in empty.blocks if isinstance(b, Table))
    assert len(table.rows) == 1 and "【" in table.rows[0][1]
    opinion = compose(DocumentKind.LEGALITY_OPINION, drafting(), WORDING).text
    assert "【审核结论" in opinion and "【审核意见" in opinion
    explanation = compose(DocumentKind.EXPLANATION, drafting(), WORDING).text
    assert "【待补充：起草过程尚无记录" in explanation


def test_the_explanation_has_its_five_parts_and_the_process_from_history() -> None:
    text = compose(DocumentKind.EXPLANATION, drafting(history=HISTORY), WORDING).text
    heads = re.findall(r"^[一二三四五]、.+$", text, re.M)
    assert heads == [
        "一、起草背景和必要性",
        "二、制定依据",
        "三、起草过程",
        "四、主要内容",
        "五、需要说明的问题",
    ]
    assert "2007年9月10日，深圳市财政局启动起草工作。" in text
    assert "共征求3个单位的意见，其中提出意见的1个，无意见或逾期未反馈的2个。" in text
    assert "建议取消绩效评价。处理情况：不予采纳。绩效评价为财政资金管理所必需" in text


def test_the_legality_opinion_records_the_outcome() -> None:
    text = compose(DocumentKind.LEGALITY_OPINION, drafting(history=HISTORY), WORDING).text
    assert "应当予以修改" in text and "超出规范性文件权限" in text
    assert text.splitlines()[-1] == "2007年11月20日"


def test_the_review_letter_lists_the_materials_and_goes_to_the_legal_office() -> None:
    text = compose(DocumentKind.REVIEW_LETTER, drafting(), WORDING).text
    assert "深圳市人民政府法制办公室：" in text
    for material in ("（送审稿）", "起草说明", "制定依据", "征求意见及意见采纳情况", "合法性审核意见"):
        assert material in text


def test_the_review_draft_and_the_published_text_take_the_newest_uploaded_draft() -> None:
    uploaded = (
        "深圳市服务外包人才培训资助资金使用和监管办法",
        "第一章　总则",
        "第一条　为了规范资金管理，制定本办法。",
        "第二章　资助",
        "第二条　资助标准由市财政局会同市贸工局确定。",
        "资助资金实行专款专用。",
        "第三条　本办法自2008年1月1日起施行。",
    )
    history = dataclasses.replace(HISTORY, text=DraftText(uploaded, articles_from_paragraphs(uploaded)))
    review = compose(DocumentKind.REVIEW_DRAFT, drafting(history=history), WORDING).text.splitlines()
    assert review[1] == "（送审稿）"
    assert review[2:] == [
        "第一章　总则",
        "第一条　为了规范资金管理，制定本办法。",
        "第二章　资助",
        "第二条　资助标准由市财政局会同市贸工局确定。",
        "资助资金实行专款专用。",
        "第三条　本办法自2008年1月1日起施行。",
    ]
    published = compose(DocumentKind.PUBLISHED, drafting(history=history), WORDING)
    head = published.blocks[0]
    assert isinstance(head, Letterhead) and head.document and head.number == "深财〔2007〕35号"
    colophon = published.blocks[-1]
    assert isinstance(colophon, Colophon) and colophon.printed == D(2007, 12, 28)
    assert "深圳市人民政府办公厅" in colophon.copied and "2007年12月28日" in published.text


def test_every_kind_composes_for_every_seed_duty() -> None:
    rules = load_rules(Settings().resolved())
    kinds = tuple(k for k in DocumentKind if k not in (DocumentKind.COMPARISON, DocumentKind.ATTACHMENT))
    for catalogue in rules.catalogues():
        for duty in catalogue.duties:
            contents = compose_duty(drafting(duty.id), WORDING, kinds)
            assert len(contents) == len(kinds) - 1 + len(duty.consultees), duty.id
            assert all(c.title for c in contents), duty.id


def test_the_comparison_lists_changed_inserted_and_deleted_articles() -> None:
    old = ("第一条　甲。", "第二条　乙。", "第三条　丙。", "第四条　丁。")
    new = ("第一条　甲。", "第二条　乙，修改后。", "第三条　新增的条文。", "第四条　丙。")
    table = next(
        b
        for b in compose_comparison(
            "某办法",
            DraftText(old, articles_from_paragraphs(old)),
            DraftText(new, articles_from_paragraphs(new)),
            WORDING,
        ).blocks
        if isinstance(b, Table)
    )
    assert table.columns == ("原条文", "修改后条文", "说明")
    notes = {(r[0], r[1]): r[2] for r in table.rows}
    assert notes[("第二条　乙。", "第二条　乙，修改后。")] == "修改"
    assert notes[("", "第三条　新增的条文。")] == "新增"
    assert notes[("第四条　丁。", "")] == "删除"
    assert all("丙" not in r[0] for r in table.rows)  # renumbered but unchanged: not listed


def test_the_sample_duty_is_the_one_the_issue_names() -> None:
    assert drafting().duty.id == SAMPLE


def test_a_lawful_review_without_remarks_and_an_opinion_ending_in_a_full_stop_read_cleanly() -> None:
    replies = (
        Reply(
            "深圳市贸易工业局",
            ReplyKind.OPINIONS,
            (Opinion("深圳市贸易工业局", "第四条", "建议增加时限。", Decision.NOT_ADOPTED, "另行规定。"),),
        ),
    )
    review = Review(Legality.LAWFUL, "", "深圳市人民政府法制办公室", D(2007, 10, 22))
    history = History(replies=replies, review=review)
    explanation = compose(DocumentKind.EXPLANATION, drafting(history=history), WORDING).text
    assert "建议增加时限。处理情况：不予采纳。另行规定。" in explanation and "。。" not in explanation
    opinion = compose(DocumentKind.LEGALITY_OPINION, drafting(history=history), WORDING).text.splitlines()
    assert opinion[opinion.index("二、具体意见") + 1] == "经审核，未发现需要修改的问题。"
