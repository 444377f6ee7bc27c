"""Work out who answers for a clause: the lead, the co-departments, and whether each drafts its own.

Four ways notices say it, in the order they win:
- a subject at the start of the clause: 市工商局根据……制定……; 市国税局、深圳海关……分别……;
- an inline role pair: 由省教育厅牵头，省财政厅配合，……;
- a responsibility tag after the sentence: （国家发展改革委会同有关部门负责）, （商务部牵头，海关总署参与）,
  or role lines: 牵头单位：……；配合单位：……;
- the section heading: 一、市贸工局.
会同 X inside the clause adds co-departments; 等 / 有关部门 leaves the list open. With plain 负责 and several
departments, the first listed leads (the convention of 分工 notices); 分别, 按职责分工, 各自 and 本行业 make each
listed department draft its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.domain.departments import Registry, is_department, split_list
from engine.domain.intake.notice import RESPONSIBILITY_TAG
from engine.domain.textform import strip_pad


@dataclass(frozen=True)
class Assignment:
    """Who answers for a clause, with names as written."""

    leads: tuple[str, ...]
    co: tuple[str, ...] = ()
    co_open: bool = False
    separately: bool = False
    addressee: str | None = None  # a class as written (各地区, 各责任单位) instead of named departments

    def merged_with(self, other: Assignment) -> Assignment:
        """Add another source's co-departments (会同 in the clause) to this one's leads."""
        co = tuple(dict.fromkeys(n for n in (*self.co, *other.co) if n not in self.leads))
        return Assignment(
            self.leads, co, self.co_open or other.co_open, self.separately or other.separately, self.addressee
        )


@dataclass(frozen=True)
class Tag:
    """A responsibility tag or role line found in an item, with where it stood and any deadline it gave."""

    start: int
    end: int
    assignment: Assignment
    text: str


_OPEN = re.compile(r"(?:等|有关|相关|其他)(?:部门|单位|机构)|^等$")
_SEPARATELY = re.compile(r"分别|按职责分工|各自|按照职责|根据职责|本行业|本系统|本部门|本领域")
_ROLE_LEAD = r"牵头单位|牵头部门|责任单位|责任部门|主办单位|负责单位|负责部门|主责部门|牵头"
_ROLE_CO = r"配合单位|配合部门|协办单位|参与单位|协作单位"
_ROLE = re.compile(
    rf"({_ROLE_LEAD}|{_ROLE_CO})[:：]([^。；;\n]*?)(?=(?:{_ROLE_LEAD}|{_ROLE_CO}|完成时限|时间要求|完成时间)[:：]|[。；;]|$)"
)
_TIME = re.compile(r"(?:完成时限|时间要求|完成时间)[:：]([^。；;]*)")
_VERB_AHEAD = (
    r"应当|应|要|可以|可|须|必须|负责|牵头|会同|根据|按照|依据|结合|分别|抓紧|加快|积极|研究|制定|制订|修订|起草|提出|出台|从实际|"
    r"联合|共同|组织|做好|抓好|在|于|对|将|把|，"
)
_SUBJECT = re.compile(rf"^(?:由|请)?([^，。；]{{2,60}}?)(?:等(?:部门|单位))?(?={_VERB_AHEAD})")
_HUITONG = re.compile(
    r"会同([^，。；]{1,60}?)(?=[，,]|研究|制定|制订|修订|起草|提出|出台|开展|做好|组织|共同|联合|建立|负责|对|在|$)"
)
# ……的具体实施办法由市国土资源局会同市规划局研究制定
_PASSIVE = re.compile(
    r"由([^，。；]{2,40}?)(?:会同[^，。；]{1,60}?)?(?:负责|牵头)?(?:研究)?(?:制定|制订|起草|出台|提出|修订)"
)
_INLINE_ROLE = re.compile(r"^由?([^，。；]{2,60}?)(牵头|负责|主办|配合|参与|协办|协助)$")


_COMMA = re.compile(r"[，,]")
_NOTE = re.compile(r"（[^）]*）")
_ETC = re.compile(r"等(?:部门|单位|机构)?$")
_CLASS_NAME = re.compile(r"(?:有关|相关|其他)(?:部门|单位)")


def split_names(text: str, registry: Registry | None) -> list[str]:
    """Split a list of departments as written, dropping 等, 有关部门 and bracketed notes such as （牵头）."""
    names = []
    for token in split_list(_NOTE.sub("", text) if "（" in text else text, registry):
        token = strip_pad(_ETC.sub("", token))
        if token and not _OPEN.fullmatch(token) and not _CLASS_NAME.fullmatch(token):
            names.append(token)
    return names


def _all_departments(names: list[str], registry: Registry | None) -> bool:
    return bool(names) and all(is_department(n, registry) for n in names)


def find_tags(text: str, registry: Registry | None) -> list[Tag]:
    """Find the responsibility tags and role lines in an item's text, in order."""
    tags = [_tag_from(m.start(), m.end(), m.group(1), registry) for m in RESPONSIBILITY_TAG.finditer(text)]
    tags += [tag for m in _ROLE_SENTENCE.finditer(text) if (tag := _role_sentence(m, registry))]
    inside = [(t.start, t.end) for t in tags]
    roles = [m for m in _ROLE.finditer(text) if not any(a <= m.start() < b for a, b in inside)]
    if roles:
        start, end = roles[0].start(), roles[-1].end()
        time = _TIME.search(text, end)
        end = time.end() if time and time.start() - end <= 2 else end
        tags.append(_roles_tag(start, end, roles, text[start:end], registry))
    return sorted((t for t in tags if t.assignment.leads), key=lambda t: t.start)


# A sentence that only says who answers (and maybe by when) for the sentences before it:
# ……。由省经济和信息化委牵头，省财政厅配合，上半年完成。
_ROLE_SENTENCE = re.compile(r"(?:^|(?<=[。；]))(由[^。；]{2,120}?)(?=[。；]|$)")
_DRAFTING_VERB = re.compile(r"制定|制订|修订|起草|出台|提出|研究")


def _role_sentence(m: re.Match[str], registry: Registry | None) -> Tag | None:
    parts = re.split(r"[，,]", m.group(1))
    leads, co = _inline_roles(m.group(1), registry)
    rest = parts[len([p for p in parts if _INLINE_ROLE.match(p)]) :]
    if not leads or any(_DRAFTING_VERB.search(p) for p in rest):
        return None
    return Tag(m.start(), m.end(), Assignment(tuple(leads[:1]), tuple(leads[1:] + co)), m.group(1))


def _tag_from(start: int, end: int, body: str, registry: Registry | None) -> Tag:
    roles = list(_ROLE.finditer(body))
    if roles and roles[0].start() == 0:  # （负责部门：X、Y；适用范围：……）, （牵头单位：X，配合单位：Y）
        return _roles_tag(start, end, roles, body, registry)
    first = re.split(r"[，；,]", body)
    leads: list[str] = []
    co: list[str] = []
    for part in first:
        m = re.match(r"^(.*?)(会同|牵头|参与|配合|协助|负责|按职责分工负责|分别负责)(.*)$", part)
        if m is None:
            continue
        names = split_names(m.group(1), registry)
        if not _all_departments(names, registry):
            continue
        if m.group(2) in ("参与", "配合", "协助"):
            co += names
        elif m.group(2) == "会同":
            leads += names
            co += [
                n
                for n in split_names(re.sub(r"负责.*$", "", m.group(3)), registry)
                if is_department(n, registry)
            ]
        else:
            leads += names
    separately = _SEPARATELY.search(body) is not None
    if not separately and len(leads) > 1:
        leads, co = leads[:1], leads[1:] + co
    return Tag(
        start, end, Assignment(tuple(leads), tuple(co), _OPEN.search(body) is not None, separately), body
    )


def _roles_tag(start: int, end: int, roles: list[re.Match[str]], text: str, registry: Registry | None) -> Tag:
    leads: list[str] = []
    co: list[str] = []
    for m in roles:
        raw = [t for t in re.split(r"[、，,]", m.group(2)) if strip_pad(t)]
        marked = [strip_pad(t.split("（")[0]) for t in raw if "牵头" in t]
        names = [n for n in split_names(m.group(2), registry) if is_department(n, registry)]
        if re.fullmatch(_ROLE_CO, m.group(1)):
            co += names
        elif marked:
            leads += marked
            co += [n for n in names if n not in marked]
        else:
            leads += names
    separately = _SEPARATELY.search(text) is not None
    if not separately and len(leads) > 1:
        leads, co = leads[:1], leads[1:] + co
    return Tag(
        start, end, Assignment(tuple(leads), tuple(co), _OPEN.search(text) is not None, separately), text
    )


# A class of addressees at the start of a clause: 各省、自治区、直辖市人民政府, 地方各级人民政府, 各地区、各部门,
# 各有关省（市）, 其他有关部门和单位, 各责任单位, 各牵头部门. Nobody in a registry answers for it by name.
_CLASS = (
    r"各(?:有关|相关)?(?:省|市|区|县|地区|地方|地|部门|单位|部委|直属机构|责任单位|牵头单位|牵头部门|责任部门|成员单位)"
    r"|各级|地方各级人民政府|地方政府|(?:其他|其它)(?:有关|相关)?(?:部门|单位)"
    # departments named by their field, not by name: 财政、发展改革、教育等部门
    r"|(?:(?:(?!会同|牵头|负责|配合|参与)[\u4e00-\u9fff]){2,8}、){1,12}[\u4e00-\u9fff]{2,8}等(?:部门|单位)"
)
_ADDRESSEE = re.compile(
    r"^(?:请|由|同时|并)?(?:\d{4}年[^，。；]{0,8}?(?:前|底)，?)?"
    rf"(?P<who>(?:{_CLASS})[^，。；要应]{{0,40}}?)"
    r"(?=要|应|须|必须|在|于|结合|根据|按照|抓紧|尽快|切实|进一步|积极|认真|负责|同时|制定|制订|出台|研究|立足|依|，|$)"
)
# Addressees that stand for the units the notice's items name (各责任单位), not for places or all departments.
SPREADING = re.compile(r"^各(?:有关|相关)?(?:责任|牵头|承办)(?:单位|部门)|^各(?:有关|相关)?(?:部门|单位)$")


# What stands before the subject: a purpose (为规范……，市财政局要……) or a charge to all (要强化组织领导，财政、
# 教育等部门要……).
_PURPOSE = re.compile(
    r"^(?:为(?:了)?[^，。；]{2,40}|(?:要|须|必须)[^，。；]{2,16})[，,](?=[^，。；]{2,60}?(?:要|应|须|负责))"
)


def addressee(clause: str, registry: Registry | None) -> str | None:
    """Return the class of addressees a clause begins with (各地区、各部门), as written, or None."""
    m = _ADDRESSEE.match(clause)
    if m is None:
        return None
    who = m.group("who").rstrip("、和及")
    if registry is not None and registry.resolve(who) is not None:
        return None
    if "、" in who and not who.startswith(("各", "地方", "其他", "其它")):
        names = split_names(who, registry)
        if names and all(is_department(n, registry) for n in names):
            return None  # 发展改革委、财政部等部门: named departments, read as a subject
    return who


def clause_assignment(clause: str, registry: Registry | None) -> Assignment | None:
    """Read who the clause itself names: a subject at its start, or an inline 由…牵头，…配合."""
    clause = _PURPOSE.sub("", clause)
    who = addressee(clause, registry)
    if who is not None:
        return Assignment((), addressee=who)
    leads, co = _inline_roles(clause, registry)
    passive = _PASSIVE.search(clause)
    if not leads and passive:
        names = split_names(passive.group(1), registry)
        leads = names if _all_departments(names, registry) else []
    if not leads:
        m = _SUBJECT.match(clause)
        names = split_names(m.group(1), registry) if m else []
        leads = names if _all_departments(names, registry) else []
    huitong = cooperating(clause, registry)
    if not leads:
        return huitong if huitong.co or huitong.co_open else None
    separately = len(leads) > 1 and _SEPARATELY.search(clause) is not None
    if len(leads) > 1 and not separately:
        leads, co = leads[:1], leads[1:] + co
    own = Assignment(tuple(leads), tuple(co), False, separately)
    return own.merged_with(huitong)


def _inline_roles(clause: str, registry: Registry | None) -> tuple[list[str], list[str]]:
    leads: list[str] = []
    co: list[str] = []
    for part in _COMMA.split(clause, maxsplit=3)[:3]:
        m = _INLINE_ROLE.match(part)
        names = split_names(m.group(1), registry) if m else []
        if not m or not _all_departments(names, registry):
            break
        (leads if m.group(2) in ("牵头", "负责", "主办") else co).extend(names)
    return (leads, co) if leads else ([], [])


def cooperating(clause: str, registry: Registry | None) -> Assignment:
    """Read 会同 X in a clause: the co-departments (as written) and whether the list is left open."""
    co: list[str] = []
    is_open = False
    for m in _HUITONG.finditer(clause):
        listed = m.group(1)
        is_open = is_open or _OPEN.search(listed) is not None or listed.endswith("等")
        co += [n for n in split_names(listed, registry) if is_department(n, registry) or len(n) <= 6]
    return Assignment((), tuple(dict.fromkeys(co)), is_open)
