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
    "研究和制定|研究和制订|研究并制定|研究制定|研究制订|研究提出|修订完善|修改完善|抓紧制定|加快制定|抓紧制订|"
    "制定|制订|修订|修改|起草|提出|出台|完善"
)
_VERB = re.compile(_VERBS)
_ASSISTING = re.compile(r"(?:协助|配合|参与|帮助|协同)[^，]*$")
KINDS = ("办法", "细则", "规定", "法规", "措施", "条例", "规章")
_TRIAL = r"(?:（(?:试行|暂行|草案)）)?》?(?:（(?:试行|暂行|草案)）|草案)?"
_OBJECT = re.compile(rf"^(?P<obj>《?.+?(?P<kind>{'|'.join(KINDS)}){_TRIAL})(?:等)?(?:[并后].*)?$")
# A normative text joined to something that is not one: ……管理办法和……实施方案
_OBJECT_THEN_OTHER = re.compile(
    rf"^(?P<obj>《?.+?(?P<kind>{'|'.join(KINDS)})》?)(?:和|及|以及|与)(?!.*(?:{'|'.join(KINDS)})$)"
)
# The object first, then who drafts it: ……的具体实施办法由市国土资源局会同市规划局研究制定
_PASSIVE = re.compile(rf"^(?P<obj>[^，]+?(?P<kind>{'|'.join(KINDS)}))由[^，]+?(?:{_VERBS})$")
_MORE = re.compile(r"^(?:以及|及|和|并)")
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


def drafting_documents(clause: str) -> list[Document]:
    """Return the documents a clause tells its subject to draft; [] when it is not a drafting duty."""
    parts = re.split(r"[，,：:]", clause)
    for i, part in enumerate(parts):
        verbs = list(_VERB.finditer(part))
        if not verbs:
            continue
        tail = part[verbs[-1].end() :]
        found = _OBJECT.match(tail) or _OBJECT_THEN_OTHER.match(tail) or _PASSIVE.match(part)
        if not found or _is_assisting_only(part, verbs):
            continue
        objects = [found.group("obj"), *_more_objects(parts[i + 1 :])]
        purpose = _purpose(parts[i + 1 + len(objects) - 1 :])
        return [
            Document(doc, _kind(doc), verbs[0].group(), purpose)
            for obj in objects
            for doc in split_shared(obj)
        ]
    return []


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
    return next(kind for kind in KINDS if stem.endswith(kind))


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
