"""Hypothesis strategies that write well-formed 部门分工 notices, each with the drafting duties it assigns.

`notice()` draws a whole notice: a title ……关于……的通知 and its 文号, the addressees, a one-sentence preamble, a body
in one of seven layouts, closing clauses, the issuer's signature and a date line. Beside the text it gives the
drafting duties a careful reader finds in it (`Expected`): the lead and co-departments as written, the document
as written, the deadline as a date, and whether the duty is addressed to a class of governments (generic).

The reading rule is the one in ../shared/domain.md §1 and in the corpus keys (../shared/corpus/gov-cn-2018/):
an instruction to 制定 / 修订 / 出台 a 办法, 细则, 规定 or 措施 is a drafting duty; 可以 and 授权, standards,
guidelines, lists, plans and applying an existing rule are not. With several departments in a tag the first
leads; 分别 gives one duty per department. Every wording here was written for this generator.

Each item form is one small strategy (`charge`, `together`, … `tagged_work`). `notice()` takes restrictions, so
that a test can name the layout, form, tag, deadline, closing or kind of name it exercises; what is not
restricted is drawn. `noise()` draws notice-shaped text that need not be a notice.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from engine.domain.departments import Registry

# --- departments ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Department:
    """A department of the generator's registry: the full name, the form notices mostly write, other short
    forms, and an alias (财政部门) prose uses."""

    key: str
    full: str
    usual: str
    other: tuple[str, ...] = ()
    alias: str | None = None

    @property
    def short(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for n in (self.usual, *self.other) if n != self.full))

    def entry(self, kind: str) -> dict[str, object]:
        aliases = [self.alias] if self.alias else []
        return {
            "key": self.key,
            "name": self.full,
            "short": list(self.short),
            "aliases": aliases,
            "kind": kind,
        }


CITY_DEPARTMENTS = (
    Department("caizheng", "市财政局", "市财政局", ("财政局",), "财政部门"),
    Department("jiaoyu", "市教育局", "市教育局", ("教育局",), "教育部门"),
    Department("gongan", "市公安局", "市公安局", ("公安局",), "公安机关"),
    Department("shangwu", "市商务局", "市商务局", ("商务局",), "商务部门"),
    Department("shichang", "市市场监督管理局", "市市场监管局", (), "市场监管部门"),
    Department("fagai", "市发展和改革委员会", "市发展改革委", ("市发改委",), "发展改革部门"),
    Department(
        "renshe", "市人力资源和社会保障局", "市人力资源社会保障局", ("市人社局",), "人力资源社会保障部门"
    ),
    Department("zhujian", "市住房和城乡建设局", "市住房城乡建设局", ("市住建局",), "住房城乡建设部门"),
    Department("keji", "市科学技术局", "市科技局", (), "科技部门"),
    Department("minzheng", "市民政局", "市民政局", ("民政局",), "民政部门"),
    Department("weijian", "市卫生健康委员会", "市卫生健康委", ("市卫健委",), "卫生健康部门"),
    Department("gongxin", "市工业和信息化局", "市工业和信息化局", ("市工信局",), "工业和信息化部门"),
    Department("sifa", "市司法局", "市司法局", ("司法局",), "司法行政部门"),
    Department("guihua", "市规划和自然资源局", "市规划和自然资源局", ("市规划资源局",), "规划资源部门"),
)
STATE_DEPARTMENTS = (
    Department("ndrc", "国家发展和改革委员会", "国家发展改革委", ("发展改革委",)),
    Department("mof", "财政部", "财政部"),
    Department("mofcom", "商务部", "商务部"),
    Department("moe", "教育部", "教育部"),
    Department("mohrss", "人力资源和社会保障部", "人力资源社会保障部"),
    Department("mohurd", "住房和城乡建设部", "住房城乡建设部"),
    Department("miit", "工业和信息化部", "工业和信息化部", ("工信部",)),
    Department("samr", "国家市场监督管理总局", "市场监管总局"),
    Department("gacc", "海关总署", "海关总署"),
    Department("sta", "国家税务总局", "税务总局"),
    Department("mca", "民政部", "民政部"),
    Department("moj", "司法部", "司法部"),
    Department("pbc", "中国人民银行", "人民银行"),
)
REGISTRY = Registry.from_data(
    {
        "department": [d.entry("municipal") for d in CITY_DEPARTMENTS]
        + [d.entry("national") for d in STATE_DEPARTMENTS]
    }
)
# Shaped like departments, missing from the registry on purpose: a duty they lead keeps the name as written.
# "{district}" is the issuing city's district.
CITY_UNKNOWN = ("市港务局", "市体育总会", "{district}人民政府", "市口岸办", "市机关事务管理局")
STATE_UNKNOWN = ("国家邮政局", "国家铁路局", "国家文物局", "国家林业和草原局")

# --- issuers --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    """A city that issues notices: its name, the 机关代字 of its office and of its government, a district."""

    name: str
    office_code: str
    government_code: str
    district: str


CITIES = (
    City("深圳市", "深府办", "深府", "福田区"),
    City("广州市", "穗府办", "穗府", "越秀区"),
    City("杭州市", "杭政办函", "杭政", "西湖区"),
    City("南京市", "宁政办发", "宁政发", "鼓楼区"),
    City("成都市", "成办发", "成府发", "武侯区"),
)
STATE_ISSUERS = (("国务院办公厅", "国办发"), ("国务院办公厅", "国办函"), ("国务院", "国发"))

# --- words ----------------------------------------------------------------------------------------------------

# Topics of the documents to draft: none ends like a department, none holds 规划/计划/标准/方案 or a verb.
TOPICS = (
    "政府投资项目",
    "公共数据开放",
    "养老服务补贴",
    "小微企业融资担保",
    "人才住房",
    "科技创新券",
    "农村集体资产",
    "旧工业区改造",
    "跨境电子商务",
    "公共停车设施",
    "职业技能培训补贴",
    "校外培训机构",
    "再生资源回收",
    "电动汽车充电设施",
    "企业研发投入后补助",
    "海外高层次人才引进",
    "社区居家养老",
    "文化产业专项资金",
    "外商投资企业备案",
    "建设用地供应",
    "首台套装备保险补偿",
    "知识产权质押融资",
    "中小企业公共服务",
    "农产品质量追溯",
    "建筑垃圾处置",
    "住房租赁市场",
    "消费券发放",
    "企业上市培育",
    "服务外包人才培训",
    "公共租赁住房",
)
DOCUMENT_SHAPES = (
    "{}管理办法",
    "{}实施细则",
    "{}暂行办法",
    "{}实施办法",
    "关于{}的若干措施",
    "{}管理规定",
    "{}管理办法（试行）",
)
NOT_RULES_CITY = ("地方标准", "工作指引", "权责清单", "发展规划", "工作计划")
NOT_RULES_STATE = ("国家标准", "工作指引", "权责清单", "发展规划", "工作计划")
TITLE_TOPICS = (
    "民营经济发展",
    "营商环境优化",
    "养老服务业发展",
    "实体经济降成本",
    "数字政府建设",
    "就业创业",
)
SECTION_HEADINGS = ("完善政策体系", "优化营商环境", "强化要素保障", "深化重点改革", "提升服务水平")
LEAD_INS = ("完善{}政策", "规范{}管理", "加大{}支持力度", "健全{}工作机制")
WORK = ("加强{}监督管理", "做好{}相关工作", "推进{}信息共享", "开展{}宣传解读")

# --- the pieces a notice is made of ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """A drafting duty the generated text assigns. `document` None: any document (a closing that spreads)."""

    lead: str | None
    document: str | None
    deadline: dt.date | None = None
    generic: bool = False
    co: tuple[str, ...] = ()
    form: str = ""


@dataclass(frozen=True)
class Piece:
    """One item as written (without its number), the duties it assigns, and the lead its tag names if any."""

    text: str
    duties: tuple[Expected, ...] = ()
    tagged: str | None = None
    form: str = ""


@dataclass(frozen=True)
class When:
    """A deadline as written: its form, the date it means, the phrase alone, and the phrase closing a sentence."""

    form: str
    date: dt.date
    phrase: str
    clause: str


@dataclass(frozen=True)
class Doc:
    """A document to draft: its name, and how the text writes it (sometimes in 《》)."""

    name: str
    text: str
    topic: str


@dataclass(frozen=True)
class Scene:
    """What every item of one notice shares: the scope, the date line, the departments it names as it writes
    them, the topics still unused, and the forms, tags and deadline forms it may use."""

    scope: str  # "city" or "state"
    written: dt.date
    pool: tuple[str, ...]
    topics: Iterator[str]
    forms: tuple[str, ...]
    tags: tuple[str, ...]
    deadlines: tuple[str, ...]
    deadline_rate: str  # "always", "sometimes" or "never"

    @property
    def approver(self) -> str:
        return "市政府" if self.scope == "city" else "国务院"


@dataclass(frozen=True)
class GeneratedNotice:
    """A generated notice: its text, the drafting duties it assigns, and the labels of what it is made of."""

    text: str
    duties: tuple[Expected, ...]
    layout: str
    forms: tuple[str, ...]
    written: dt.date

    def __repr__(self) -> str:
        duties = "\n".join(f"  {d}" for d in self.duties) or "  (none)"
        return f"GeneratedNotice[{self.layout}: {', '.join(self.forms)}]\n{self.text}\nexpected:\n{duties}\n"


# --- numerals -------------------------------------------------------------------------------------------------

_DIGITS = "〇一二三四五六七八九"


def cn(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十: numbers as headings and months write them."""
    tens, units = divmod(n, 10)
    head = ("" if tens == 1 else _DIGITS[tens]) + "十" if tens else ""
    return head + (_DIGITS[units] if units else "")


def cn_year(year: int) -> str:
    """2019 → 二〇一九."""
    return "".join(_DIGITS[int(c)] for c in str(year))


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# --- deadlines ------------------------------------------------------------------------------------------------


def _later_month(draw: DrawFn, written: dt.date) -> tuple[int, int]:
    year = draw(st.sampled_from((written.year, written.year + 1)))
    return year, draw(st.integers(written.month + 1 if year == written.year else 1, 12))


@st.composite
def month_end(draw: DrawFn, written: dt.date) -> When:
    """2019年6月底前: the end of a month after the notice's date."""
    year, month = _later_month(draw, written)
    phrase = f"{year}年{month}月底前"
    return When("month-end", _month_end(year, month), phrase, phrase + "完成")


@st.composite
def given_day(draw: DrawFn, written: dt.date) -> When:
    """2019年12月31日前: a day after the notice's date."""
    year, month = _later_month(draw, written)
    day = draw(st.sampled_from((10, 15, 20, _month_end(year, month).day)))
    phrase = f"{year}年{month}月{day}日前"
    return When("day", dt.date(year, month, day), phrase, phrase + "完成")


def year_end(written: dt.date) -> SearchStrategy[When]:
    """年底前: the end of the notice's year."""
    return st.just(When("year-end", dt.date(written.year, 12, 31), "年底前", "年底前完成"))


@st.composite
def by_month(draw: DrawFn, written: dt.date) -> When:
    """于2020年3月底前完成: a month end, with 于 before it."""
    year, month = _later_month(draw, written)
    phrase = f"{year}年{month}月底前"
    return When("by-month", _month_end(year, month), phrase, f"于{phrase}完成")


@st.composite
def until_year_end(draw: DrawFn, written: dt.date) -> When:
    """到2019年底: the end of this year or the next."""
    year = draw(st.sampled_from((written.year, written.year + 1)))
    phrase = f"到{year}年底"
    return When("until-year-end", dt.date(year, 12, 31), phrase, phrase + "完成")


@st.composite
def cn_year_end(draw: DrawFn, written: dt.date) -> When:
    """二〇一九年底前: a year's end, the year in Chinese numerals."""
    year = draw(st.sampled_from((written.year, written.year + 1)))
    phrase = f"{cn_year(year)}年底前"
    return When("cn-year-end", dt.date(year, 12, 31), phrase, phrase + "完成")


@st.composite
def cn_month_end(draw: DrawFn, written: dt.date) -> When:
    """二〇一九年三月底前: a month's end, year and month in Chinese numerals."""
    year, month = _later_month(draw, written)
    phrase = f"{cn_year(year)}年{cn(month)}月底前"
    return When("cn-month-end", _month_end(year, month), phrase, phrase + "完成")


DEADLINES = {
    "month-end": month_end,
    "day": given_day,
    "year-end": year_end,
    "by-month": by_month,
    "until-year-end": until_year_end,
    "cn-year-end": cn_year_end,
    "cn-month-end": cn_month_end,
}
# The forms that read well after 于 in a closing sentence (请各有关部门于……完成).
CLOSING_DEADLINES = ("month-end", "day", "year-end", "cn-year-end", "cn-month-end")


@st.composite
def deadline(draw: DrawFn, scene: Scene, forms: Sequence[str] = ()) -> When:
    """A deadline in one of the scene's forms (or the given ones)."""
    form = draw(st.sampled_from(tuple(forms) or scene.deadlines))
    return draw(DEADLINES[form](scene.written))


@st.composite
def own_deadline(draw: DrawFn, scene: Scene) -> When | None:
    """The deadline an item gives itself: always, sometimes or never, as the scene says."""
    if scene.deadline_rate == "never" or not scene.deadlines:
        return None
    if scene.deadline_rate == "sometimes" and not draw(st.booleans()):
        return None
    return draw(deadline(scene))


def _clause(when: When | None) -> str:
    """，2019年6月底前完成 closing a sentence, or nothing."""
    return f"，{when.clause}" if when else ""


def _date(when: When | None) -> dt.date | None:
    return when.date if when else None


def _label(form: str, when: When | None, tag: str = "") -> str:
    return form + (f"[{tag}]" if tag else "") + (f"+{when.form}" if when else "")


# --- departments and documents --------------------------------------------------------------------------------


@st.composite
def departments(draw: DrawFn, scene: Scene, count: int, besides: Sequence[str] = ()) -> list[str]:
    """`count` distinct departments of the notice's pool, none of `besides`."""
    pool = [n for n in scene.pool if n not in besides]
    return draw(st.lists(st.sampled_from(pool), min_size=count, max_size=count, unique=True))


@st.composite
def department(draw: DrawFn, scene: Scene) -> str:
    """One department of the notice's pool, as the notice writes it."""
    return draw(st.sampled_from(scene.pool))


@st.composite
def partners(draw: DrawFn, scene: Scene, lead: str) -> tuple[tuple[str, ...], str]:
    """The co-departments of a lead and how they are written: 市财政局、市商务局, sometimes with 等部门 (等 after
    an alias such as 财政部门)."""
    names = tuple(draw(departments(scene, draw(st.integers(1, 2)), besides=(lead,))))
    more = "等" if names[-1].endswith(("部门", "机关")) else "等部门"
    return names, "、".join(names) + draw(st.sampled_from(("", "", more)))


@st.composite
def document(draw: DrawFn, scene: Scene) -> Doc:
    """A document to draft on an unused topic: ……管理办法, ……实施细则, 关于……的若干措施; sometimes in 《》."""
    topic = next(scene.topics)
    name = draw(st.sampled_from(DOCUMENT_SHAPES)).format(topic)
    return Doc(name, f"《{name}》" if draw(st.integers(0, 4)) == 4 else name, topic)


# --- responsibility tags --------------------------------------------------------------------------------------

TAGS = ("lead", "lead-join", "lead-with", "list", "role-lines", "responsible-units")


@st.composite
def tag(draw: DrawFn, scene: Scene, when: When | None) -> tuple[str, str, tuple[str, ...], str]:
    """A responsibility tag and what it says: (text, lead, co, variant).

    lead              （X负责）
    lead-join         （X牵头，Y参与）
    lead-with         （X会同Y负责）
    list              （X、Y负责）: the first leads
    role-lines        （牵头单位：X；配合单位：Y）
    responsible-units （负责部门：X、Y）: the first leads
    A deadline goes in as ，2019年底前完成 or as ；完成时限：2019年底前.
    """
    variant = draw(st.sampled_from(scene.tags))
    lead = draw(department(scene))
    co = (
        () if variant == "lead" else tuple(draw(departments(scene, draw(st.integers(1, 2)), besides=(lead,))))
    )
    listed = "、".join(co)
    time = f"，{when.clause}" if when else ""
    limit = f"；完成时限：{when.phrase}" if when else ""
    text = {
        "lead": f"（{lead}负责{time}）",
        "lead-join": f"（{lead}牵头，{listed}参与{time}）",
        "lead-with": f"（{lead}会同{listed}负责{time}）",
        "list": f"（{lead}、{listed}负责{time}）",
        "role-lines": f"（牵头单位：{lead}；配合单位：{listed}{limit}）",
        "responsible-units": f"（负责部门：{lead}、{listed}{limit}）",
    }[variant]
    return text, lead, co, variant


def _tagged_sentence(draw: DrawFn, sentence: str, tag_text: str) -> str:
    """Put the tag after the full stop (……。（X负责）) or before it (……（X负责）。)."""
    return f"{sentence}。{tag_text}" if draw(st.booleans()) else f"{sentence}{tag_text}。"


# --- item forms that ARE drafting duties ----------------------------------------------------------------------


@st.composite
def charge(draw: DrawFn, scene: Scene, head: str | None = None) -> Piece:
    """<X>负责制定<doc>。 Under a heading naming X: 负责制定<doc>。"""
    lead = head or draw(department(scene))
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    verb = draw(st.sampled_from(("制定", "研究制定", "制订")))
    text = f"{'' if head else lead}负责{verb}{doc.text}{_clause(when)}。"
    return Piece(text, (Expected(lead, doc.name, _date(when), form="charge"),), form=_label("charge", when))


@st.composite
def together(draw: DrawFn, scene: Scene, head: str | None = None) -> Piece:
    """<X>要会同<Y>研究制定<doc>。 Under a heading naming X: 会同<Y>研究制定<doc>。 X leads, Y is co."""
    lead = head or draw(department(scene))
    co, written = draw(partners(scene, lead))
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    verb = draw(st.sampled_from(("研究制定", "制定", "修订完善")))
    subject = "" if head else f"{lead}要"
    text = f"{subject}会同{written}{verb}{doc.text}{_clause(when)}。"
    return Piece(
        text, (Expected(lead, doc.name, _date(when), co=co, form="together"),), form=_label("together", when)
    )


@st.composite
def please(draw: DrawFn, scene: Scene) -> Piece:
    """请<X>会同<Y>制定<doc>。"""
    lead = draw(department(scene))
    co, written = draw(partners(scene, lead))
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    text = f"请{lead}会同{written}制定{doc.text}{_clause(when)}。"
    return Piece(
        text, (Expected(lead, doc.name, _date(when), co=co, form="please"),), form=_label("please", when)
    )


@st.composite
def by(draw: DrawFn, scene: Scene) -> Piece:
    """由<X>制定<doc>。 or 由<X>负责制定<doc>。"""
    lead = draw(department(scene))
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    verb = draw(st.sampled_from(("制定", "负责制定")))
    text = f"由{lead}{verb}{doc.text}{_clause(when)}。"
    return Piece(text, (Expected(lead, doc.name, _date(when), form="by"),), form=_label("by", when))


@st.composite
def passive(draw: DrawFn, scene: Scene) -> Piece:
    """<doc>由<X>制定，报市政府同意后实施。 (报国务院同意 in a State Council notice)"""
    lead = draw(department(scene))
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    text = f"{doc.text}由{lead}制定，报{scene.approver}同意后实施{_clause(when)}。"
    return Piece(text, (Expected(lead, doc.name, _date(when), form="passive"),), form=_label("passive", when))


@st.composite
def separately(draw: DrawFn, scene: Scene) -> Piece:
    """<X>、<Y>要分别修订<doc>。 One duty per department."""
    leads = draw(departments(scene, draw(st.integers(2, 3))))
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    verb = draw(st.sampled_from(("修订", "制定", "研究制定")))
    text = f"{'、'.join(leads)}要分别{verb}{doc.text}{_clause(when)}。"
    duties = tuple(Expected(lead, doc.name, _date(when), form="separately") for lead in leads)
    return Piece(text, duties, form=_label("separately", when))


@st.composite
def separately_headed(draw: DrawFn, scene: Scene, heads: tuple[str, ...]) -> Piece:
    """Under a heading naming two departments: 分别制定<doc>。 One duty per department."""
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    lead_in = draw(st.sampled_from(("", "结合各自职责，")))
    verb = draw(st.sampled_from(("制定", "研究制定", "提出")))
    text = f"{lead_in}分别{verb}{doc.text}{_clause(when)}。"
    duties = tuple(Expected(lead, doc.name, _date(when), form="separately") for lead in heads)
    return Piece(text, duties, form=_label("separately-headed", when))


@st.composite
def tagged(draw: DrawFn, scene: Scene) -> Piece:
    """<topic sentence>，抓紧出台<doc>。（tag）: the tag's first department leads."""
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    lead_in = draw(st.sampled_from(LEAD_INS)).format(doc.topic)
    verb = draw(st.sampled_from(("抓紧出台", "研究制定", "加快制定")))
    tag_text, lead, co, variant = draw(tag(scene, when))
    text = _tagged_sentence(draw, f"{lead_in}，{verb}{doc.text}", tag_text)
    duties = (Expected(lead, doc.name, _date(when), co=co, form="tagged"),)
    return Piece(text, duties, tagged=lead, form=_label("tagged", when, variant))


@st.composite
def nominalised(draw: DrawFn, scene: Scene) -> Piece:
    """推进<doc>的制修订。（tag）: a drafting duty written as a noun."""
    doc, when = draw(document(scene)), draw(own_deadline(scene))
    tag_text, lead, co, variant = draw(tag(scene, when))
    text = _tagged_sentence(draw, f"推进{doc.text}的制修订", tag_text)
    duties = (Expected(lead, doc.name, _date(when), co=co, form="nominalised"),)
    return Piece(text, duties, tagged=lead, form=_label("nominalised", when, variant))


# --- item forms that are NOT drafting duties ------------------------------------------------------------------


@st.composite
def permissive(draw: DrawFn, scene: Scene, head: str | None = None) -> Piece:
    """<X>可以根据实际制定<doc>。 Permission, not an instruction."""
    lead = head or draw(department(scene))
    doc = draw(document(scene))
    return Piece(f"{'' if head else lead}可以根据实际制定{doc.text}。", form="permissive")


@st.composite
def authorised(draw: DrawFn, scene: Scene) -> Piece:
    """授权<X>制定<doc>。 An authorisation, not an instruction."""
    lead = draw(department(scene))
    doc = draw(document(scene))
    return Piece(f"授权{lead}制定{doc.text}。", form="authorised")


@st.composite
def not_a_rule(draw: DrawFn, scene: Scene, head: str | None = None) -> Piece:
    """<X>负责制定<topic>地方标准 / 工作指引 / 权责清单 / 发展规划 / 工作计划。 Not a normative text."""
    lead = head or draw(department(scene))
    kinds = NOT_RULES_CITY if scene.scope == "city" else NOT_RULES_STATE
    what = next(scene.topics) + draw(st.sampled_from(kinds))
    when = draw(own_deadline(scene))
    return Piece(f"{'' if head else lead}负责制定{what}{_clause(when)}。", form=_label("not-a-rule", when))


@st.composite
def applies(draw: DrawFn, scene: Scene, head: str | None = None) -> Piece:
    """<X>要认真落实《<doc>》。 Applying a rule that exists."""
    lead = head or draw(department(scene))
    doc = draw(document(scene))
    return Piece(f"{f'{lead}要' if not head else ''}认真落实《{doc.name}》。", form="applies")


@st.composite
def tagged_work(draw: DrawFn, scene: Scene) -> Piece:
    """加强<topic>监督管理。（tag）: a tagged item that drafts nothing."""
    when = draw(own_deadline(scene))
    tag_text, lead, _, variant = draw(tag(scene, when))
    sentence = draw(st.sampled_from(WORK)).format(next(scene.topics))
    return Piece(
        _tagged_sentence(draw, sentence, tag_text), tagged=lead, form=_label("tagged-work", when, variant)
    )


INLINE = {
    "charge": charge,
    "together": together,
    "please": please,
    "by": by,
    "passive": passive,
    "separately": separately,
    "tagged": tagged,
    "nominalised": nominalised,
    "permissive": permissive,
    "authorised": authorised,
    "not-a-rule": not_a_rule,
    "applies": applies,
    "tagged-work": tagged_work,
}
FORMS = tuple(INLINE)
DRAFTING_FORMS = ("charge", "together", "please", "by", "passive", "separately", "tagged", "nominalised")
NEAR_MISSES = ("permissive", "authorised", "not-a-rule", "applies", "tagged-work")
HEADLESS = {
    "charge": charge,
    "together": together,
    "permissive": permissive,
    "not-a-rule": not_a_rule,
    "applies": applies,
}
PROSE = tuple(f for f in FORMS if f not in ("tagged", "nominalised", "tagged-work"))
SPREADING_FORMS = ("tagged-work", "permissive", "authorised", "not-a-rule", "applies")


@st.composite
def item(draw: DrawFn, scene: Scene, allowed: Sequence[str] = FORMS) -> Piece:
    """One item in any of the scene's forms that `allowed` lets through, its subject written inline."""
    form = draw(st.sampled_from([f for f in scene.forms if f in allowed]))
    return draw(INLINE[form](scene))


@st.composite
def items(draw: DrawFn, scene: Scene, count: int, allowed: Sequence[str] = FORMS) -> list[Piece]:
    """`count` items; under a spreading closing at least one of them is a tagged item."""
    pieces = [draw(item(scene, allowed)) for _ in range(count)]
    if scene.forms == SPREADING_FORMS and not any(p.tagged for p in pieces):
        pieces[draw(st.integers(0, count - 1))] = draw(tagged_work(scene))
    return pieces


# --- layouts --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """A notice's numbered part: its lines, the items in it, and labels of its shape."""

    lines: tuple[str, ...]
    pieces: tuple[Piece, ...]
    labels: tuple[str, ...] = ()


@st.composite
def sections(draw: DrawFn, scene: Scene) -> Body:
    """(a) Topic sections 一、 二、 with items （一）（二）, numbered on through the sections or afresh in each."""
    pieces = draw(items(scene, draw(st.integers(1, 8))))
    cuts = (
        sorted(draw(st.lists(st.integers(1, len(pieces) - 1), unique=True, max_size=2)))
        if len(pieces) > 1
        else []
    )
    groups = [pieces[a:b] for a, b in zip([0, *cuts], [*cuts, len(pieces)], strict=True)]
    running = draw(st.booleans())
    lines: list[str] = []
    number = 0
    for s, group in enumerate(groups, 1):
        lines.append(f"{cn(s)}、{SECTION_HEADINGS[s - 1]}")
        for j, piece in enumerate(group, 1):
            number += 1
            lines.append(f"（{cn(number if running else j)}）{piece.text}")
    return Body(tuple(lines), tuple(pieces), ("numbered-on" if running else "numbered-afresh",))


@st.composite
def headings(draw: DrawFn, scene: Scene) -> Body:
    """(b) Sections headed by a department (一、市财政局) with its items under it; a heading of two departments
    whose items say 分别; a last 其他部门 section whose items name their departments inline. A section with one
    item may write it without （一）."""
    headless = [f for f in scene.forms if f in HEADLESS]
    prose = [f for f in scene.forms if f in PROSE]
    groups: list[tuple[str, list[Piece]]] = []
    labels: list[str] = []
    budget = 8
    if headless or "separately" in scene.forms:
        chosen = draw(departments(scene, draw(st.integers(1, 3))))
        for head in chosen:
            if budget <= 0:
                break
            count = draw(st.integers(1, min(3, budget)))
            budget -= count
            if "separately" in scene.forms and (not headless or draw(st.integers(0, 3)) == 0):
                heads = (head, *draw(departments(scene, 1, besides=chosen)))
                groups.append(
                    ("、".join(heads), [draw(separately_headed(scene, heads)) for _ in range(count)])
                )
                labels.append("two-departments")
            elif headless:
                groups.append(
                    (
                        head,
                        [draw(HEADLESS[draw(st.sampled_from(headless))](scene, head)) for _ in range(count)],
                    )
                )
    if prose and budget > 0 and (not groups or draw(st.booleans())):
        groups.append(("其他部门", draw(items(scene, draw(st.integers(1, min(2, budget))), prose))))
        labels.append("other-departments")
    lines: list[str] = []
    for s, (heading, pieces) in enumerate(groups, 1):
        lines.append(f"{cn(s)}、{heading}")
        if len(pieces) == 1 and draw(st.booleans()):
            lines.append(pieces[0].text)
            labels.append("unnumbered")
        else:
            lines += [f"（{cn(j)}）{piece.text}" for j, piece in enumerate(pieces, 1)]
    return Body(tuple(lines), tuple(p for _, pieces in groups for p in pieces), tuple(dict.fromkeys(labels)))


@st.composite
def arabic(draw: DrawFn, scene: Scene) -> Body:
    """(c) Items 1. 2. (or 1． 1、) with no sections."""
    pieces = draw(items(scene, draw(st.integers(1, 8))))
    mark = draw(st.sampled_from((".", "．", "、", ". ")))
    return Body(tuple(f"{i}{mark}{p.text}" for i, p in enumerate(pieces, 1)), tuple(pieces))


@st.composite
def parenthesised(draw: DrawFn, scene: Scene) -> Body:
    """(d) Items （1）（2） with no sections."""
    pieces = draw(items(scene, draw(st.integers(1, 8))))
    return Body(tuple(f"（{i}）{p.text}" for i, p in enumerate(pieces, 1)), tuple(pieces))


@st.composite
def articles(draw: DrawFn, scene: Scene) -> Body:
    """(e) Articles 第一条 第二条."""
    pieces = draw(items(scene, draw(st.integers(1, 8))))
    gap = draw(st.sampled_from(("\u3000", " ", "")))
    return Body(tuple(f"第{cn(i)}条{gap}{p.text}" for i, p in enumerate(pieces, 1)), tuple(pieces))


@st.composite
def paragraph(draw: DrawFn, scene: Scene) -> Body:
    """(f) No numbered items: the items run on in one paragraph."""
    pieces = draw(items(scene, draw(st.integers(1, 5))))
    return Body(("".join(p.text for p in pieces),), tuple(pieces))


@st.composite
def table_row(draw: DrawFn, scene: Scene, drafting_only: bool) -> tuple[str, str, str, str, Piece]:
    """One row of an annexed 分工表: (task, lead, co, time limit) and what it assigns. The task drafts a
    document, or makes a plan, applies a rule or does some work."""
    kind = "draft" if drafting_only else draw(st.sampled_from(("draft", "draft", "plan", "applies", "work")))
    lead = draw(department(scene))
    co = tuple(draw(departments(scene, draw(st.integers(0, 2)), besides=(lead,))))
    when = draw(own_deadline(scene))
    limit = when.phrase.removeprefix("到") + ("前" if when.form == "until-year-end" else "") if when else ""
    if kind == "draft":
        doc = draw(document(scene))
        task = draw(st.sampled_from(("研究制定", "制定", "修订完善", "出台"))) + doc.text
        duties: tuple[Expected, ...] = (Expected(lead, doc.name, _date(when), co=co, form="table-row"),)
    elif kind == "plan":
        task, duties = f"制定{next(scene.topics)}工作计划", ()
    elif kind == "applies":
        task, duties = f"贯彻落实《{draw(document(scene)).name}》", ()
    else:
        task, duties = draw(st.sampled_from(WORK)).format(next(scene.topics)), ()
    return task, lead, "、".join(co), limit, Piece(task, duties, form=_label(f"row-{kind}", when))


@st.composite
def table(draw: DrawFn, scene: Scene) -> Body:
    """(g) An annexed table after the signature: 附件, its title, a header row and TAB-separated rows."""
    drafting_only = not any(f in NEAR_MISSES for f in scene.forms)
    rows = [draw(table_row(scene, drafting_only)) for _ in range(draw(st.integers(1, 8)))]
    lines = ["序号\t工作任务\t牵头单位\t配合单位\t完成时限"]
    lines += [f"{i}\t{task}\t{lead}\t{co}\t{limit}" for i, (task, lead, co, limit, _) in enumerate(rows, 1)]
    return Body(tuple(lines), tuple(row[4] for row in rows))


LAYOUTS = {
    "sections": sections,
    "headings": headings,
    "arabic": arabic,
    "parenthesised": parenthesised,
    "articles": articles,
    "paragraph": paragraph,
    "table": table,
}
CLOSINGS = ("none", "deadline", "spreading", "generic", "generic-dated")
NAMES = ("usual", "full", "other", "alias", "unknown")

# --- the notice -----------------------------------------------------------------------------------------------


@st.composite
def written_date(draw: DrawFn) -> dt.date:
    """The notice's date line: 2016 to 2021, January to October (so that later months remain in the year)."""
    return dt.date(draw(st.integers(2016, 2021)), draw(st.integers(1, 10)), draw(st.integers(1, 28)))


@st.composite
def pool(draw: DrawFn, scope: str, city: City, names: str | None, prose_only: bool) -> tuple[str, ...]:
    """The departments a notice names, each written one way throughout: its usual form, full name, another
    short form or alias; or only departments missing from the registry. Mixed when `names` is None."""
    if names == "unknown":
        unknown = CITY_UNKNOWN if scope == "city" else STATE_UNKNOWN
        return tuple(n.format(district=city.district) for n in unknown)
    known = CITY_DEPARTMENTS if scope == "city" else STATE_DEPARTMENTS
    chosen = draw(st.lists(st.sampled_from(known), min_size=4, max_size=7, unique_by=lambda d: d.key))
    written = []
    for dept in chosen:
        forms = {
            "usual": dept.usual,
            "full": dept.full,
            "other": dept.other[0] if dept.other else dept.usual,
            "alias": dept.alias or dept.usual,
        }
        if names is None:
            choices = [dept.usual, dept.usual, dept.full, *dept.other] + (
                [dept.alias] if dept.alias and prose_only else []
            )
            written.append(draw(st.sampled_from(choices)))
        else:
            written.append(forms[names])
    if names is None and draw(st.integers(0, 2)) == 0:
        unknown = CITY_UNKNOWN if scope == "city" else STATE_UNKNOWN
        written.append(draw(st.sampled_from(unknown)).format(district=city.district))
    return tuple(dict.fromkeys(written))


@st.composite
def closing(
    draw: DrawFn, scene: Scene, kind: str, pieces: Sequence[Piece]
) -> tuple[list[str], list[Expected], str]:
    """The closing paragraph: perhaps a sentence that assigns nothing, then the clause of `kind`:

    none       nothing more
    deadline   请各有关部门于<date>前完成上述办法的制定工作。 The deadline of every drafting duty without its own.
    spreading  各责任单位要于<date>前出台配套办法。 One duty per tagged item, led by the tag's lead.
    generic    各区人民政府要结合实际制定具体实施办法。 One duty for a class of governments (lead None).
    generic-dated  各区人民政府要于<date>前结合实际制定具体实施办法。 The same, due by that date; the date is the
               governments' own, not a deadline for the departments' duties.
    Returns the lines, the duties the clause adds or changes (all of them), and a label.
    """
    filler = {
        "city": "各有关部门要高度重视，加强协调配合，确保各项工作落到实处。",
        "state": "各地区、各部门要高度重视，抓紧推进各项工作。",
    }[scene.scope]
    lines = [filler] if draw(st.booleans()) else []
    duties = [d for p in pieces for d in p.duties]
    usable = [f for f in scene.deadlines if f in CLOSING_DEADLINES] or ["month-end"]
    if kind == "deadline":
        when = draw(deadline(scene, usable))
        lines.append(f"请各有关部门于{when.phrase}完成上述办法的制定工作。")
        duties = [d if d.deadline else replace(d, deadline=when.date) for d in duties]
        return lines, duties, _label("closing-deadline", when)
    if kind == "spreading":
        when = draw(deadline(scene, usable))
        lines.append(f"各责任单位要于{when.phrase}出台配套办法。")
        duties += [Expected(p.tagged, None, when.date, form="spreading") for p in pieces if p.tagged]
        return lines, duties, _label("closing-spreading", when)
    if kind in ("generic", "generic-dated"):
        addressees = ("各区人民政府",) if scene.scope == "city" else ("各省级人民政府", "地方各级人民政府")
        addressee = draw(st.sampled_from(addressees))
        dated = draw(deadline(scene, usable)) if kind == "generic-dated" else None
        verb = draw(st.sampled_from(("结合实际制定", "出台")))
        timing = f"于{dated.phrase}" if dated else ""
        lines.append(f"{addressee}要{timing}{verb}具体实施办法。")
        duties.append(Expected(None, "具体实施办法", _date(dated), generic=True, form=kind))
        return lines, duties, _label(f"closing-{kind}", dated)
    return lines, duties, "closing-none"


def _compatible_closings(layout: str) -> tuple[str, ...]:
    return tuple(c for c in CLOSINGS if c != "spreading" or layout not in ("headings", "table"))


@st.composite
def notice(
    draw: DrawFn,
    *,
    layout: str | None = None,
    forms: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    deadlines: Sequence[str] | None = None,
    closing_kind: str | None = None,
    names: str | None = None,
) -> GeneratedNotice:
    """A well-formed notice and the drafting duties it assigns.

    Each argument restricts one dimension; None draws it: `layout` (LAYOUTS), the item `forms` (FORMS), the
    responsibility `tags` (TAGS), the `deadlines` items give themselves (DEADLINES; () for none, and a given
    form is then used by every item), the `closing_kind` (CLOSINGS), and how departments are `names`d (NAMES).
    """
    layouts = [name for name in LAYOUTS if closing_kind in (None, *_compatible_closings(name))]
    layout = layout or draw(st.sampled_from(layouts))
    kind = closing_kind or draw(st.sampled_from(_compatible_closings(layout)))
    if kind not in _compatible_closings(layout):
        raise ValueError(f"a {kind} closing does not go with the {layout} layout")
    scope = draw(st.sampled_from(("city", "state")))
    city = draw(st.sampled_from(CITIES))
    written = draw(written_date())
    chosen_forms = tuple(forms) if forms is not None else FORMS
    if layout == "headings":
        chosen_forms = tuple(f for f in chosen_forms if f in PROSE)
    if kind == "spreading":
        chosen_forms = SPREADING_FORMS
    if not chosen_forms:
        raise ValueError(f"none of the forms {forms} goes with the {layout} layout")
    rate = (
        "never" if kind == "spreading" or deadlines == () else "sometimes" if deadlines is None else "always"
    )
    scene = Scene(
        scope=scope,
        written=written,
        pool=draw(pool(scope, city, names, prose_only=layout not in ("headings", "table"))),
        topics=iter(draw(st.permutations(TOPICS))),
        forms=chosen_forms,
        tags=tuple(tags or TAGS),
        deadlines=tuple(DEADLINES) if deadlines is None else tuple(deadlines),
        deadline_rate=rate,
    )
    body = draw(LAYOUTS[layout](scene))
    closing_lines, duties, closing_label = draw(closing(scene, kind, body.pieces))
    issuer, number = draw(issuer_and_number(scope, city, written.year))
    title_topic = draw(st.sampled_from(TITLE_TOPICS))
    head_lines = draw(header(scene, issuer, number, title_topic, layout == "table"))
    signature = [issuer, f"{written.year}年{written.month}月{written.day}日"]
    if scope == "state" and draw(st.booleans()):
        signature.append("（此件公开发布）")
    if layout == "table":
        lines = [*head_lines, *closing_lines, *signature, "附件", f"{title_topic}重点任务分工表", *body.lines]
    else:
        lines = [*head_lines, *body.lines, *closing_lines, *signature]
    labels = (*body.labels, *(p.form for p in body.pieces), closing_label)
    return GeneratedNotice("\n".join(lines) + "\n", tuple(duties), layout, labels, written)


@st.composite
def issuer_and_number(draw: DrawFn, scope: str, city: City, year: int) -> tuple[str, str]:
    """The issuer and its 文号: 深圳市人民政府办公厅 and 深府办〔2019〕12号, or 国务院办公厅 and 国办发〔2019〕12号."""
    serial = draw(st.integers(1, 199))
    if scope == "state":
        issuer, code = draw(st.sampled_from(STATE_ISSUERS))
    elif draw(st.booleans()):
        issuer, code = city.name + "人民政府办公厅", city.office_code
    else:
        issuer, code = city.name + "人民政府", city.government_code
    return issuer, f"{code}〔{year}〕{serial}号"


@st.composite
def header(draw: DrawFn, scene: Scene, issuer: str, number: str, topic: str, annexed: bool) -> list[str]:
    """Title (on one line, or the issuer on a line of its own), 文号, addressees and a one-sentence preamble."""
    about = f"关于印发{topic}重点任务分工的通知" if annexed else f"关于{topic}工作部门分工的通知"
    title = [issuer, about] if draw(st.booleans()) else [issuer + about]
    addressees = {
        "city": "各区人民政府，市政府各部门、各直属机构：",
        "state": "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：",
    }[scene.scope]
    if annexed:
        preamble = f"为做好{topic}工作，经{scene.approver}同意，现将《{topic}重点任务分工表》印发给你们，请认真贯彻落实。"
    else:
        preamble = f"为做好{topic}工作，经{scene.approver}同意，现将有关工作分工通知如下："
    return [*title, number, addressees, preamble]


# --- noise ----------------------------------------------------------------------------------------------------

FRAGMENTS = (
    "一、",
    "二、",
    "十三、",
    "（一）",
    "（二）",
    "(三)",
    "1.",
    "2．",
    "（1）",
    "第一条",
    "第二条　",
    "附件",
    "序号\t工作任务\t牵头单位\t配合单位\t完成时限",
    "\t",
    "\u3000",
    "。",
    "。。",
    "；；",
    "，，",
    "、、",
    "（",
    "）",
    "（（",
    "））",
    "《",
    "》",
    "〔",
    "〕",
    "：",
    "负责",
    "牵头",
    "参与",
    "会同",
    "分别",
    "等部门",
    "有关部门",
    "牵头单位：",
    "配合单位：",
    "负责部门：",
    "完成时限：",
    "由",
    "请",
    "授权",
    "可以",
    "制定",
    "修订",
    "出台",
    "制修订",
    "管理办法",
    "实施细则",
    "具体实施办法",
    "年底前",
    "今年年内",
    "二〇一九年底前",
    "2019年13月底前",
    "2019年2月30日前",
    "三个月内",
    "各区人民政府要",
    "地方各级人民政府要",
    "各责任单位要于",
    "请各有关部门于",
    "某市人民政府办公厅",
    "国务院办公厅",
    "关于",
    "的通知",
    "深府办〔2019〕12号",
    "2019年3月5日",
    "（此件公开发布）",
    "市财政局",
    "市财政局、市财政局",
    "财政部门",
    "市港务局",
    "福田区人民政府",
    "国家发展改革委",
)


@st.composite
def noise(draw: DrawFn) -> str:
    """Notice-shaped text that need not be a notice: lines made of fragments (markers, tags, doubled or
    unbalanced punctuation, deadlines, names) and of real-looking items, joined with or without line breaks."""
    scene = draw(scenes())
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(FRAGMENTS),
                st.text(max_size=3),
                item(scene).map(lambda p: p.text),
            ),
            max_size=30,
        )
    )
    separators = draw(
        st.lists(
            st.sampled_from(("", "", "\n", "\n", "\r\n", "\t")), min_size=len(parts), max_size=len(parts)
        )
    )
    return "".join(part + sep for part, sep in zip(parts, separators, strict=True))


@st.composite
def mangled(draw: DrawFn) -> str:
    """A generated notice with lines dropped, doubled, swapped or cut short, or fragments pushed in."""
    lines = draw(notice()).text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(("drop", "double", "swap", "cut", "insert", "join")))
        if edit == "drop" and len(lines) > 1:
            del lines[at]
        elif edit == "double":
            lines.insert(at, lines[at])
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif edit == "insert":
            where = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:where] + draw(st.sampled_from(FRAGMENTS)) + lines[at][where:]
        elif edit == "join" and at + 1 < len(lines):
            lines[at : at + 2] = [lines[at] + lines[at + 1]]
    return "\n".join(lines)


@st.composite
def scenes(draw: DrawFn) -> Scene:
    """A scene for items drawn outside a notice (noise)."""
    scope = draw(st.sampled_from(("city", "state")))
    return Scene(
        scope=scope,
        written=draw(written_date()),
        pool=draw(pool(scope, draw(st.sampled_from(CITIES)), None, prose_only=True)),
        topics=iter(draw(st.permutations(TOPICS)) * 4),
        forms=FORMS,
        tags=TAGS,
        deadlines=tuple(DEADLINES),
        deadline_rate="sometimes",
    )
