"""Tell whether a clause asks for a normative text, and which (domain.md §1).

A clause is a drafting duty when its department is told to 制定 / 制订 / 修订(完善) / 研究(和)制定 / 提出 / 出台 /
起草 a normative text: 办法 (实施办法, 具体办法, 操作办法, 管理办法), 细则, 规定, 法规, 措施, 条例, 规章. A verb
governed by 协助 or 配合 only supports another department's duty; a 计划, 规划 or 方案 is not a normative text.
One clause may name several documents (A、B管理办法; ……的办法，以及……的办法).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.domain.textform import CN_NUMERAL

_VERBS = (
    "研究和制定|研究和制订|研究并制定|研究制定|研究制订|研究提出|研究出台|修订完善|修改完善|抓紧制定|加快制定|抓紧制订|"
    "制修订|制定|制订|修订|修改|起草|提出|出台|完善"
)
_VERB = re.compile(_VERBS)
_ASSISTING = re.compile(r"(?:协助|配合|参与|帮助|协同)[^，]*$")
KINDS = ("办法", "细则", "规定", "法规", "措施", "条例", "规章")
# 实施方案 and 实施意见 count only as the whole object: 制定本地区的实施方案, not ……办法和……实施方案.
PLAN_KINDS = ("实施方案", "实施意见")
_TRIAL = r"(?:（(?:试行|暂行|草案)）)?》?(?:（(?:试行|暂行|草案)）|草案)?"
_OBJECT = re.compile(rf"^(?P<obj>《?.+?(?P<kind>{'|'.join(KINDS)}){_TRIAL})(?:等)?(?:[并后].*)?$")
_PLAN_OBJECT = re.compile(rf"^(?P<obj>《?.{{0,60}}?(?P<kind>{'|'.join(PLAN_KINDS)}))(?:等)?$")
# A normative text joined to something that is not one: ……管理办法和……实施方案
_OBJECT_THEN_OTHER = re.compile(
    rf"^(?P<obj>《?.+?(?P<kind>{'|'.join(KINDS)})》?)(?:和|及|以及|与)(?!.*(?:{'|'.join(KINDS)})$)"
)
# The object first, then who drafts it: ……的具体实施办法由市国土资源局会同市规划局研究制定
_PASSIVE = re.compile(rf"^(?P<obj>[^，]+?(?P<kind>{'|'.join(KINDS)}){_TRIAL})由[^，]+?(?:{_VERBS})$")
# The drafting named as a noun: 加强……规范和实施细则的制修订, 推进……办法的修订工作
_NOMINAL = re.compile(
    rf"^(?:加强|推进|加快|推动|做好|抓紧|抓好|完成|开展|组织)?(?P<obj>[^，]{{2,80}}?(?P<kind>{'|'.join(KINDS)}){_TRIAL})"
    r"的(?:制修订|制订|制定|修订|起草|出台)(?:工作)?$"
)
# Words before the verb that grant or allow rather than instruct: 可以……制定, 授权……制定, 允许, 鼓励, 支持
_PERMISSIVE = re.compile(r"可以|(?<![不])可(?=根据|结合|按|依|在|自行|参照|视|研究|制定|出台)|授权|允许")
_ENCOURAGED = re.compile(r"^(?:鼓励|支持)")  # 鼓励各地制定……办法: within the part, at its start
# An object that refers back to documents the notice already assigns: the clause only sets their deadline.
# 本条例 in 为了……，制定本条例 is the text itself, not one to draft.
_BACK_REFERENCE = re.compile(
    r"本(?:通知|意见|方案|分工|决定)|上述|以上|前述|前款|^有关(?:实施)?办法$|^本(?:条例|办法|规定|细则|规章|措施)$"
)
# An object that names a class of texts, not a document to draft: 完善相关法律法规, ……规范性文件的立改废
_VAGUE = re.compile(
    r"^(?:相关|有关|各项|与.{1,20}相关的)?"
    r"(?:[^，]{0,12}(?:法律、?法规|法规、?规章|规章制度|法规制度|政策法规)|规范性文件|行政法规|部门规章)$"
)
# The verb describes a text rather than asks for one: 各部门制定的规章 (attributive), 制定文件所依据的法规 (an
# existing text), 正在抓紧修改 (work already under way).
_NOT_ASKED = (
    ("“制定的……”是修饰语，不是要求起草", re.compile(r"^的")),
    ("引用已有的文件，不是要求起草", re.compile(r"所依据|现行|现有|已有|已经出台|已出台")),
)
_UNDER_WAY = re.compile(r"正在|已经|已(?=[\u4e00-\u9fff]{0,4}(?:制定|修订|出台))")
# What a rejected object is, for the person who reviews the catalogue (`banfa intake --explain`).
_NOT_NORMATIVE = (
    ("标准或规范，不是规范性文件", re.compile(r"(?:标准|规范|规程|导则)(?:体系)?$")),
    ("指南或指引，不是规范性文件", re.compile(r"(?:指南|指引|手册)$")),
    ("清单或目录，不是规范性文件", re.compile(r"(?:清单|目录|名录)$")),
    ("规划、计划或方案，不是规范性文件", re.compile(r"(?:规划|计划|路线图|方案|预案|要点)$")),
    ("制度或机制，不是规范性文件", re.compile(r"(?:制度|机制|体系|政策)$")),
    ("格式文本，不是规范性文件", re.compile(r"(?:文本|样式|模板|格式)$")),
)
_MORE = re.compile(r"^(?:以及|及|和|并)")
_PART = re.compile(r"[，,：:]")
_NOTE = re.compile(r"（(?!试行|暂行|草案)[^（）]*）$")  # ……办法（国家法律法规暂不允许的除外）
_PURPOSE = re.compile(r"^(?:鼓励|支持|促进|便利|规范|加强|保障|推动|方便|引导|吸引)")
_ARTICLE = re.compile(rf"《([^》]{{1,40}})》(第{CN_NUMERAL}条(?:第{CN_NUMERAL}款)?)")
_SHARED_SUFFIX = re.compile(
    r"(管理办法|实施办法|具体办法|操作办法|暂行办法|实施细则|管理规定|暂行规定|办法|细则|规定|措施|条例)$"
)


@dataclass(frozen=True)
class Document:
    """A normative text a clause asks for: as written, its kind, the verb, and the purpose clause after it."""

    written: str
    kind: str
    verb: str
    purpose: str | None = None


@dataclass(frozen=True)
class Rejection:
    """A clause with a drafting verb that is not a drafting duty, and why (for `banfa intake --explain`)."""

    reason: str
    verb: str
    obj: str


def drafting_documents(clause: str) -> list[Document]:
    """Return the documents a clause tells its subject to draft; [] when it is not a drafting duty."""
    return examine(clause)[0]


def examine(clause: str) -> tuple[list[Document], Rejection | None]:
    """Read a clause: the documents it asks for, or, when a drafting verb stands there, why it asks for none."""
    parts = _PART.split(clause)
    rejection: Rejection | None = None
    before = ""  # the clause up to the part, for words that grant rather than instruct
    for i, part in enumerate(parts):
        before += parts[i - 1] + "，" if i else ""
        nominal = _NOMINAL.match(part)
        verbs = list(_VERB.finditer(part))
        if not verbs:
            continue
        tail = _NOTE.sub("", part[verbs[-1].end() :])
        found = (
            _OBJECT.match(tail)
            or _OBJECT_THEN_OTHER.match(tail)
            or _PASSIVE.match(part)
            or nominal
            or _PLAN_OBJECT.match(tail)
        )
        why = _refused(before + part, verbs, found, tail, len(before))
        if why is not None:
            rejection = rejection or Rejection(why, verbs[0].group(), (found.group("obj") if found else tail))
            continue
        assert found is not None
        objects = [found.group("obj"), *_more_objects(parts[i + 1 :])]
        purpose = _purpose(parts[i + 1 + len(objects) - 1 :])
        return [
            Document(doc, _kind(doc), verbs[0].group(), purpose)
            for obj in objects
            for doc in split_shared(obj)
        ], None
    return [], rejection


def _refused(
    text: str, verbs: list[re.Match[str]], found: re.Match[str] | None, tail: str, offset: int
) -> str | None:
    """Say why a part with a drafting verb asks for no document, or None when it does ask for one.

    `text` is the clause up to the end of the part, and the part starts at `offset` in it.
    """
    part = text[offset:]
    for why, rx in _NOT_ASKED:
        if rx.search(tail):
            return why
    if _UNDER_WAY.search(text[: offset + verbs[0].start()][-8:]):
        return "叙述在做或已做的工作，不是指令"
    if found is None:
        obj = re.sub(rf"{_TRIAL}$|等$", "", tail)
        return next((why for why, rx in _NOT_NORMATIVE if rx.search(obj)), "没有指明要起草的规范性文件")
    obj = found.group("obj").strip("《》")
    if _is_assisting_only(part, verbs):
        return "协助或配合他人起草，不是本部门的起草任务"
    if _PERMISSIVE.search(text[: offset + verbs[0].start()]) or _ENCOURAGED.match(part):
        return "许可或授权性表述（可以、授权、允许、鼓励、支持），不是指令"
    if _BACK_REFERENCE.search(obj):
        return "指本通知已分派的文件，只是期限"
    if _VAGUE.match(obj):
        return "泛指一类文件，没有指明具体文件"
    return None


def _is_assisting_only(part: str, verbs: list[re.Match[str]]) -> bool:
    """True when every drafting verb in the part sits under 协助/配合 (协助市财政局制定……办法)."""
    start = 0
    for verb in verbs:
        if not _ASSISTING.search(part[start : verb.start()]):
            return False
        start = verb.end()
    return True


def _more_objects(parts: list[str]) -> list[str]:
    more = []
    for part in parts:
        m = _MORE.match(part)
        found = _OBJECT.match(part[m.end() :]) if m else None
        if not found or _VERB.search(part):
            break
        more.append(found.group("obj"))
    return more


def _purpose(parts: list[str]) -> str | None:
    return parts[0] if parts and _PURPOSE.match(parts[0]) else None


def _kind(document: str) -> str:
    stem = re.sub(rf"{_TRIAL}$", "", document)
    return next(kind for kind in (*PLAN_KINDS, *KINDS) if stem.endswith(kind))


def split_shared(obj: str) -> list[str]:
    """Split "外贸发展基金、海外拓展基金管理办法" into one document per name before a shared suffix.

    Only a plain list is split: when the text before the suffix holds a 的 (出入境、居留便利的具体办法), the 、
    joins modifiers of one document.
    """
    suffix = _SHARED_SUFFIX.search(obj)
    if suffix is None:
        return [obj]
    head = obj[: suffix.start()]
    names = head.split("、")
    if len(names) < 2 or "的" in head or any(not n or len(n) > 14 for n in names):
        return [obj]
    if re.search("和|及|与", names[-1]) or any(rx.search(n) for n in names for _, rx in _NOT_NORMATIVE):
        return [obj]  # 联合抽查事项清单、标准和实施办法: one document whose list mixes other kinds of texts
    return [name + suffix.group() for name in names]


def cited_articles(clause: str) -> tuple[str, ...]:
    """Return the articles a clause cites as its basis: 根据《若干规定》第二十条 → 《若干规定》第二十条."""
    return tuple(dict.fromkeys(f"《{m.group(1)}》{m.group(2)}" for m in _ARTICLE.finditer(clause)))


def document_title(document: Document, jurisdiction: str | None) -> str:
    """Draft a full title for the document, for a person to correct in the catalogue.

    具体措施 with a purpose clause after it becomes 鼓励……的具体措施; a leading 本市/有关 is dropped; a short tail
    after a single 的 loses the 的 (资金的使用和监管办法 → 资金使用和监管办法); the issuer's place goes in front.
    """
    text = re.sub(r"^(?:本市|我市|有关|相关)", "", document.written.strip("《》"))
    if document.purpose and len(text) <= 6:
        text = f"{document.purpose}的{text}"
    head, sep, tail = text.rpartition("的")
    if sep and "的" not in head and len(tail) <= 8 and not tail.startswith(("相关", "有关", "具体")):
        text = head + tail
    if jurisdiction and not text.startswith((jurisdiction, jurisdiction.removesuffix("市"))):
        text = jurisdiction + text
    return text
