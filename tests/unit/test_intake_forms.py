"""The written forms intake must read, each from a short example made up for the test.

Every example is wrapped in a minimal notice (title, 文号, addressees, items, signature, date) by `notice`; the
registry below knows six departments, and some examples name departments it does not know.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from engine.domain.departments import Registry, looks_like_department
from engine.domain.intake.deadlines import find_deadline
from engine.domain.intake.duties import Intake
from engine.domain.intake.normative import examine
from engine.domain.intake.notice import parse
from engine.domain.intake.specs import DutySpec
from engine.domain.workdays import WorkCalendar
from engine.errors import DuplicateDuties, NotANotice, NoticeParseError
from engine.services.intake import intake

TITLE = "某市人民政府办公厅关于印发某某工作分工的通知"
NUMBER = "某府办〔2019〕8号"
ADDRESSEES = "各区人民政府，市政府各部门："
SIGNATURE = "某市人民政府办公厅"
DATE = "2019年3月5日"
WRITTEN = dt.date(2019, 3, 5)

REGISTRY = Registry.from_data(
    {
        "department": [
            {"key": "caizheng", "name": "某市财政局", "short": ["市财政局"]},
            {"key": "fagai", "name": "某市发展和改革委员会", "short": ["市发展改革委"]},
            {"key": "gongan", "name": "某市公安局", "short": ["市公安局"]},
            {"key": "jiaoyu", "name": "某市教育局", "short": ["市教育局"]},
            {"key": "sifa", "name": "某市司法局", "short": ["市司法局"]},
            {"key": "zhujian", "name": "某市住房和城乡建设局", "short": ["市住房建设局"]},
            {"key": "shangwu", "name": "某市商务局", "short": ["市商务局"]},
        ]
    }
)
CALENDAR = WorkCalendar()


def notice(*body: str, date: str = DATE, preamble: str = "", annex: tuple[str, ...] = ()) -> str:
    """Wrap body lines in a minimal notice: title, 文号, addressees, (preamble,) body, signature, date, annex."""
    lines = [TITLE, NUMBER, ADDRESSEES, *([preamble] if preamble else []), *body, SIGNATURE, date]
    if annex:
        lines += ["附件", *annex]
    return "\n".join(lines) + "\n"


def read(text: str) -> Intake:
    return intake(text, registry=REGISTRY, calendar=CALENDAR, source="t")


def drafting(text: str) -> tuple[DutySpec, ...]:
    return read(text).drafting


def only(text: str) -> DutySpec:
    duties = drafting(text)
    assert len(duties) == 1, [(d.location, d.lead_as_written, d.document) for d in duties]
    return duties[0]


def find(duties: tuple[DutySpec, ...], word: str) -> DutySpec:
    matches = [d for d in duties if d.document and word in d.document]
    assert len(matches) == 1, (word, [(d.document, d.lead_as_written) for d in duties])
    return matches[0]


# --- the minimal notice itself ----------------------------------------------------------------------------------


def test_the_minimal_notice_gives_its_title_number_issuer_and_date() -> None:
    parsed = parse(notice("（一）制定菜市场管理办法。（市商务局负责）"), registry=REGISTRY)
    assert parsed.title == TITLE
    assert parsed.number == NUMBER
    assert parsed.issuer == SIGNATURE
    assert parsed.date == WRITTEN
    assert [i.text for i in parsed.items] == ["制定菜市场管理办法。（市商务局负责）"]


# --- 1. departments the registry does not know --------------------------------------------------------------------

UNKNOWN_DEPARTMENTS = [
    "科技部",
    "市场监管总局",
    "人力资源社会保障部",
    "某某区人民政府",
    "某县人民政府",
    "团市委",
    "市科协",
    "市残联",
    "某某管委会",
    "人民银行某某中心支行",
    "某某自贸试验区",
]


@pytest.mark.parametrize("name", UNKNOWN_DEPARTMENTS)
def test_a_department_name_outside_the_registry_looks_like_a_department(name: str) -> None:
    assert looks_like_department(name)


@pytest.mark.parametrize("word", ["有关部门", "各区", "全市"])
def test_a_collective_word_is_not_a_department(word: str) -> None:
    assert not looks_like_department(word)


@pytest.mark.parametrize("name", UNKNOWN_DEPARTMENTS)
def test_an_unknown_lead_is_kept_as_written_with_a_warning(name: str) -> None:
    result = read(notice(f"（一）{name}负责制定农贸市场管理办法。"))
    assert len(result.drafting) == 1, [(d.lead_as_written, d.document) for d in result.drafting]
    duty = result.drafting[0]
    assert duty.lead_as_written == name
    assert duty.lead is None
    assert any("部门名录中没有" in w and name in w for w in result.warnings), result.warnings


# --- 2. responsibility tags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "lead", "co"),
    [
        ("（市公安局负责）", "gongan", ()),
        ("（市财政局、市商务局负责）", "caizheng", ("shangwu",)),
        ("（市教育局牵头，市司法局参与）", "jiaoyu", ("sifa",)),
        ("（市住房建设局会同市财政局负责）", "zhujian", ("caizheng",)),
        ("（负责部门：市商务局、市公安局；适用范围：全市）", "shangwu", ("gongan",)),
        ("（牵头单位：市发展改革委，配合单位：市财政局）", "fagai", ("caizheng",)),
    ],
    ids=["plain", "two-listed", "lead-and-participant", "huitong", "role-list", "role-lines"],
)
def test_a_responsibility_tag_names_the_lead_and_the_co_departments(
    tag: str, lead: str, co: tuple[str, ...]
) -> None:
    duty = only(notice(f"（一）制定共享单车停放管理办法。{tag}"))
    assert duty.lead == lead
    assert duty.co_departments == co
    assert "共享单车停放管理办法" in (duty.document or "")


@pytest.mark.parametrize(
    "preamble",
    ["", "各项任务中列第一位者为牵头单位，其他单位按职责分工配合。"],
    ids=["without-convention", "with-convention"],
)
def test_the_first_department_of_a_tag_leads_with_or_without_the_stated_convention(preamble: str) -> None:
    duty = only(notice("（一）修订公共租赁住房管理办法。（市住房建设局、市财政局负责）", preamble=preamble))
    assert duty.lead == "zhujian"
    assert duty.co_departments == ("caizheng",)


@pytest.mark.parametrize("verb", ["按职责分工负责", "分别负责"])
def test_a_tag_that_divides_the_work_gives_each_department_its_own_duty(verb: str) -> None:
    duties = drafting(notice(f"（一）制定本系统安全生产责任追究办法。（市公安局、市教育局{verb}）"))
    assert sorted(d.lead for d in duties) == ["gongan", "jiaoyu"]
    assert len({d.id for d in duties}) == 2


def test_two_tags_in_one_paragraph_each_answer_for_the_text_since_the_previous_one() -> None:
    duties = drafting(
        notice("（一）制定停车收费管理办法（市发展改革委负责），修订校车安全管理细则（市教育局负责）。")
    )
    assert len(duties) == 2
    assert find(duties, "停车收费").lead == "fagai"
    assert find(duties, "校车安全").lead == "jiaoyu"


def test_a_tagged_item_that_asks_for_no_rule_gives_no_drafting_duty() -> None:
    result = read(notice("（一）加强停车场日常巡查和违法停车整治。（市公安局负责）"))
    assert result.drafting == ()


# --- 3. closing clauses -------------------------------------------------------------------------------------------


def test_a_closing_clause_to_the_responsible_units_gives_each_tagged_item_a_drafting_duty() -> None:
    result = read(
        notice(
            "（一）规范校外培训机构收费行为。（市教育局负责，市发展改革委配合）",
            "（二）加强住房租赁市场监管。（市住房建设局牵头，市公安局参与）",
            "各责任单位要于2019年9月底前出台配套办法。",
        )
    )
    duties = sorted(result.drafting, key=lambda d: d.lead or "")
    assert [(d.lead, d.co_departments, d.deadline) for d in duties] == [
        ("jiaoyu", ("fagai",), dt.date(2019, 9, 30)),
        ("zhujian", ("gongan",), dt.date(2019, 9, 30)),
    ]
    assert "规范校外培训机构收费行为" in (duties[0].title or "")
    assert "加强住房租赁市场监管" in (duties[1].title or "")


def test_a_closing_clause_about_the_documents_above_only_sets_the_missing_deadlines() -> None:
    result = read(
        notice(
            "（一）制定政府投资项目管理办法。（市发展改革委负责）",
            "（二）修订商贸流通扶持资金使用细则。（市商务局负责，2019年6月底前完成）",
            "请各有关部门于年底前完成上述办法的制定工作。",
        )
    )
    duties = result.drafting
    assert len(duties) == 2, [(d.location, d.document) for d in duties]
    assert find(duties, "政府投资项目").deadline == dt.date(2019, 12, 31)
    assert find(duties, "商贸流通").deadline == dt.date(2019, 6, 30)


@pytest.mark.parametrize(
    ("closing", "addressee"),
    [
        ("各区人民政府要结合实际制定具体实施办法。", "各区人民政府"),
        ("地方各级人民政府要出台具体实施办法。", "地方各级人民政府"),
    ],
)
def test_a_closing_clause_to_a_class_of_governments_gives_one_generic_duty(
    closing: str, addressee: str
) -> None:
    result = read(notice("（一）制定社区养老服务设施管理办法。（市财政局负责）", closing))
    generic = [d for d in result.drafting if d.generic]
    assert len(generic) == 1, [(d.location, d.lead_as_written, d.document) for d in result.drafting]
    duty = generic[0]
    assert duty.lead is None
    assert duty.lead_as_written is None
    assert duty.addressee == addressee
    assert duty.id.endswith("-generic")
    assert [d.lead for d in result.drafting if not d.generic] == ["caizheng"]


# --- 4. sentence forms --------------------------------------------------------------------------------------------


def test_qing_x_huitong_y_zhiding_is_a_drafting_duty_of_x_with_y() -> None:
    duty = only(notice("（一）请市财政局会同市商务局制定政府采购内部控制管理办法。"))
    assert duty.lead == "caizheng"
    assert duty.lead_as_written == "市财政局"
    assert duty.co_departments == ("shangwu",)


def test_x_and_y_revising_separately_gives_two_duties() -> None:
    duties = drafting(notice("（一）市公安局、市住房建设局要分别修订电动自行车停放管理办法。"))
    assert sorted(d.lead for d in duties) == ["gongan", "zhujian"]
    assert all("电动自行车停放管理办法" in (d.document or "") for d in duties)


def test_you_x_zhiding_is_a_drafting_duty_of_x() -> None:
    duty = only(notice("（一）由市司法局制定行政执法公示实施细则。"))
    assert duty.lead == "sifa"
    assert "行政执法公示实施细则" in (duty.document or "")


def test_an_object_first_sentence_names_its_drafter_after_you() -> None:
    duty = only(notice("（一）具体管理办法由市商务局制定，报市政府同意后实施。"))
    assert duty.lead == "shangwu"
    assert "管理办法" in (duty.document or "")


def test_a_nominalised_revision_with_a_tag_is_a_drafting_duty() -> None:
    duty = only(notice("（一）加强校园食品安全管理实施细则的制修订（市教育局负责）。"))
    assert duty.lead == "jiaoyu"
    assert "实施细则" in (duty.document or "")


@pytest.mark.parametrize(
    ("sentence", "obj", "reason_words"),
    [
        ("市教育局可以根据实际制定课后服务收费实施细则。", "课后服务收费", ("许可",)),
        ("授权市住房建设局制定物业服务收费管理办法。", "物业服务收费", ()),
        ("市商务局负责制定电子商务服务地方标准。", "电子商务服务", ("标准",)),
        ("市财政局负责制定政府采购工作指引。", "政府采购", ()),
        ("市公安局负责制定行政审批事项清单。", "行政审批事项", ()),
        ("市发展改革委负责制定全市物流业发展规划。", "物流业", ()),
        ("市教育局负责制定年度教育督导工作计划。", "教育督导", ()),
        ("市司法局负责完善相关法律法规。", "法律法规", ("泛指", "没有指明")),
    ],
    ids=["permissive", "authorised", "standard", "guide", "list", "plan", "work-plan", "vague"],
)
def test_a_clause_that_asks_for_no_rule_is_rejected_with_a_reason(
    sentence: str, obj: str, reason_words: tuple[str, ...]
) -> None:
    result = read(notice(f"（一）{sentence}"))
    assert result.drafting == (), [(d.lead_as_written, d.document) for d in result.drafting]
    rejected = [r for r in result.rejected if obj in r.text]
    assert len(rejected) == 1, result.rejected
    reason = rejected[0].reason
    assert reason
    if reason_words:
        assert any(word in reason for word in reason_words), reason


@pytest.mark.parametrize(
    ("clause", "reason_words"),
    [
        ("市教育局可以根据实际制定课后服务收费实施细则", ("许可",)),
        ("市商务局负责制定电子商务服务地方标准", ("标准",)),
        ("完善相关法律法规", ("泛指", "没有指明")),
    ],
)
def test_examine_says_why_a_clause_is_not_drafting(clause: str, reason_words: tuple[str, ...]) -> None:
    documents, rejection = examine(clause)
    assert documents == []
    assert rejection is not None
    assert any(word in rejection.reason for word in reason_words), rejection.reason


# --- 5. layouts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "市财政局要于2019年6月底前制定财政专项资金管理办法。",
        "为规范财政专项资金使用，市财政局要于2019年6月底前制定财政专项资金管理办法。",
    ],
    ids=["subject-first", "purpose-first"],
)
def test_a_notice_without_numbered_items_is_one_item(body: str) -> None:
    text = notice(body)
    parsed = parse(text, registry=REGISTRY)
    assert len(parsed.items) == 1
    duty = only(text)
    assert duty.location == "正文"
    assert duty.lead == "caizheng"
    assert duty.deadline == dt.date(2019, 6, 30)


@pytest.mark.parametrize(
    ("first", "second", "locations"),
    [
        ("1.", "2.", None),
        ("（1）", "（2）", None),
        ("第一条 ", "第二条 ", ("第一条", "第二条")),
    ],
    ids=["arabic", "bracketed-arabic", "articles"],
)
def test_numbered_items_each_give_their_duty(
    first: str, second: str, locations: tuple[str, ...] | None
) -> None:
    text = notice(
        f"{first}制定政府性债务风险管理办法。（市财政局负责）",
        f"{second}修订商业网点规划建设管理细则。（市商务局负责）",
    )
    assert len(parse(text, registry=REGISTRY).items) == 2
    duties = drafting(text)
    assert len(duties) == 2
    assert find(duties, "债务风险").lead == "caizheng"
    assert find(duties, "商业网点").lead == "shangwu"
    if locations is not None:
        assert (find(duties, "债务风险").location, find(duties, "商业网点").location) == locations


def test_sections_with_items_give_their_places() -> None:
    text = notice(
        "一、财政管理",
        "（一）制定政府性债务风险管理办法。（市财政局负责）",
        "二、商贸流通",
        "（二）修订商业网点规划建设管理细则。（市商务局负责）",
    )
    parsed = parse(text, registry=REGISTRY)
    assert [s.number for s in parsed.sections] == [1, 2]
    duties = drafting(text)
    assert (find(duties, "债务风险").location, find(duties, "债务风险").lead) == ("一(一)", "caizheng")
    assert (find(duties, "商业网点").location, find(duties, "商业网点").lead) == ("二(二)", "shangwu")


def test_a_table_in_an_annex_after_the_signature_gives_a_duty_per_drafting_row() -> None:
    text = notice(
        "现将某某工作分工表印发给你们，请认真贯彻执行。",
        annex=(
            "序号\t工作任务\t牵头单位\t配合单位\t完成时限",
            "1\t制定老旧小区改造资金管理办法\t市住房建设局\t市财政局\t2019年10月底前",
            "2\t开展老旧小区摸底调查\t市住房建设局\t\t2019年5月底前",
            "3\t修订物业服务收费管理细则\t市发展改革委\t市住房建设局、市司法局\t2019年12月31日前",
        ),
    )
    duties = drafting(text)
    assert len(duties) == 2, [(d.location, d.document) for d in duties]
    first, second = find(duties, "老旧小区改造"), find(duties, "物业服务收费")
    assert (first.lead, first.co_departments, first.deadline) == (
        "zhujian",
        ("caizheng",),
        dt.date(2019, 10, 31),
    )
    assert (second.lead, second.co_departments, second.deadline) == (
        "fagai",
        ("zhujian", "sifa"),
        dt.date(2019, 12, 31),
    )


def test_a_text_without_a_title_is_not_a_notice() -> None:
    text = "市财政局要抓紧制定财政专项资金管理办法。\n某市人民政府办公厅\n2019年3月5日\n"
    with pytest.raises(NotANotice):
        parse(text, registry=REGISTRY)
    with pytest.raises(NotANotice):
        read(text)


# --- 6. deadlines -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2019年6月底前", dt.date(2019, 6, 30)),
        ("2019年12月31日前", dt.date(2019, 12, 31)),
        ("于2019年9月底前完成", dt.date(2019, 9, 30)),
        ("到2019年底", dt.date(2019, 12, 31)),
        ("年底前", dt.date(2019, 12, 31)),
        ("二〇一九年底前", dt.date(2019, 12, 31)),
        ("二〇一九年三月底前", dt.date(2019, 3, 31)),
    ],
)
def test_find_deadline_reads_the_written_forms(written: str, expected: dt.date) -> None:
    found = find_deadline(written, written=WRITTEN, calendar=CALENDAR)
    assert found is not None
    assert found.date == expected


def test_an_items_own_deadline_overrides_the_notice_wide_one() -> None:
    duties = drafting(
        notice(
            "（一）制定政府投资项目管理办法。（市发展改革委负责，2019年6月底前完成）",
            "（二）修订商贸流通扶持资金使用细则。（市商务局负责）",
            "各有关单位要在2019年11月底前完成上述办法的起草工作。",
        )
    )
    assert len(duties) == 2
    assert find(duties, "政府投资项目").deadline == dt.date(2019, 6, 30)
    assert find(duties, "商贸流通").deadline == dt.date(2019, 11, 30)


def test_a_relative_limit_counts_from_the_written_date_and_asks_to_be_checked() -> None:
    # 2019-03-07 + 30 days = Saturday 2019-04-06, in the 清明 holiday: the next working day is Monday 04-08.
    result = read(notice("（一）市财政局要自印发之日起30日内制定政府购买服务管理办法。", date="2019年3月7日"))
    assert len(result.drafting) == 1
    duty = result.drafting[0]
    assert duty.deadline == dt.date(2019, 4, 8)
    assert duty.deadline_note is not None and "请核实" in duty.deadline_note
    assert any("30日内" in w or "请核实" in w for w in result.warnings), result.warnings


# --- 7. bad input -------------------------------------------------------------------------------------------------


def test_a_notice_pasted_twice_is_refused_or_keeps_its_ids_unique() -> None:
    once = notice(
        "（一）制定政府投资项目管理办法。（市发展改革委负责）",
        "（二）修订商贸流通扶持资金使用细则。（市商务局负责）",
    )
    try:
        result = read(once + once)
    except DuplicateDuties as exc:
        assert isinstance(exc, NoticeParseError)
        return
    ids = [d.id for d in result.duties]
    assert len(ids) == len(set(ids)), ids


def test_doubled_punctuation_reads_like_the_clean_copy() -> None:
    clean = notice(
        "（一）制定政府投资项目管理办法，规范项目审批。（市发展改革委负责，2019年6月底前完成）",
        "（二）修订商贸流通扶持资金使用细则。（市商务局、市财政局负责）",
    )
    dirty = clean.replace("〔2019〕", "〔〔2019〕〕").replace("。", "。。").replace("，", "，，")
    assert "某府办〔〔2019〕〕8号" in dirty
    clean_notice, dirty_notice = parse(clean, registry=REGISTRY), parse(dirty, registry=REGISTRY)
    assert (
        (dirty_notice.number, dirty_notice.date)
        == (clean_notice.number, clean_notice.date)
        == (NUMBER, WRITTEN)
    )

    def summary(text: str) -> list[tuple[str, str | None, tuple[str, ...], str | None, dt.date | None]]:
        return [(d.id, d.lead, d.co_departments, d.document, d.deadline) for d in drafting(text)]

    assert len(summary(clean)) == 2
    assert summary(dirty) == summary(clean)


# --- 8. evidence --------------------------------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"[\s。，；：、（）…]+")


def _fragments(evidence: str) -> list[str]:
    return [f for f in _PUNCTUATION.split(evidence) if f]


def test_every_drafting_duty_has_evidence_taken_from_the_text() -> None:
    text = notice(
        "（一）制定政府投资项目管理办法。（市发展改革委负责）",
        "（二）由市司法局制定行政执法公示实施细则。",
        "（三）规范校外培训机构收费行为。（市教育局负责）",
        "各责任单位要于2019年9月底前出台配套办法。",
    )
    duties = drafting(text)
    assert len(duties) == 3, [(d.location, d.document) for d in duties]
    for duty in duties:
        assert duty.evidence, duty.id
        assert all(fragment in text for fragment in _fragments(duty.evidence)), (duty.id, duty.evidence)
    assert "市发展改革委负责" in find(duties, "政府投资项目").evidence
    assert "市教育局负责" in next(d for d in duties if d.lead == "jiaoyu").evidence


def test_numbering_that_starts_again_gives_each_duty_its_own_id() -> None:
    """A second list 一、（一） after the first is not a notice pasted twice: its duties get suffixed ids."""
    text = notice(
        "一、市财政局",
        "（一）制定政府投资项目管理办法。",
        "另附第二批任务如下：",
        "一、市财政局",
        "（一）修订政府采购内部控制实施细则。",
    )
    result = intake(text, registry=REGISTRY, calendar=WorkCalendar(), source="t")
    ids = [d.id for d in result.drafting]
    assert len(ids) == 2 and len(set(ids)) == 2 and ids[1] == ids[0] + "-2"
    assert [d.document for d in result.drafting] == ["政府投资项目管理办法", "政府采购内部控制实施细则"]
