"""Know the departments: their keys, names, short forms, aliases and contacts, given the registry as data.

The registry is `rules/departments.toml`, which people edit; `engine.adapters.rules` reads it and hands the
parsed mapping to `Registry.from_data`. Resolution is by exact name first, then by the variations officials
write: with or without 市, without 局, or as "X部门" (财政部门 → 市财政局). A name the registry does not know is not an
error here: callers keep it as written and warn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

from engine.errors import RegistryError, UnknownDepartment


class Role(StrEnum):
    """A contact's role in a department; the value is the registry's key, the label is what people read."""

    OFFICER = "officer"
    LIAISON = "liaison"
    LEADER = "leader"

    @property
    def label(self) -> str:
        return {"officer": "承办人", "liaison": "联络员", "leader": "分管领导"}[self.value]


class Kind(StrEnum):
    """Where a department sits: a municipal body answers to the city; a central vertical one does not."""

    MUNICIPAL = "municipal"
    DISTRICT = "district"
    PROVINCIAL = "provincial"
    NATIONAL = "national"
    CENTRAL_VERTICAL = "central-vertical"


@dataclass(frozen=True)
class Contact:
    """A person to write to; `email` may be empty in the real registry until an administrator fills it in."""

    name: str
    email: str


@dataclass(frozen=True)
class Department:
    """One department: `key` is ASCII and stable; `name` is the full name; `short` are its official short forms."""

    key: str
    name: str
    short: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    kind: Kind = Kind.MUNICIPAL
    contacts: tuple[tuple[Role, Contact], ...] = field(default=(), compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.short, *self.aliases)

    @property
    def display(self) -> str:
        """The form people use in tables and letters: the first short form, else the full name."""
        return self.short[0] if self.short else self.name

    def contact(self, role: Role) -> Contact | None:
        return dict(self.contacts).get(role)


_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_STRIP_PREFIXES = ("市", "省", "区")


@dataclass(frozen=True)
class RegistryInfo:
    """What a registry file says of itself: its id and name, and the notices it is for (by issuer or 文号)."""

    id: str
    name: str
    issuers: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    def fits(self, issuer: str | None, number: str | None) -> bool:
        """Tell whether a notice by this issuer, or with this 文号, is read with this registry."""
        return (issuer is not None and issuer in self.issuers) or (
            number is not None and any(number.startswith(prefix + "〔") for prefix in self.numbers)
        )


DEFAULT_INFO = RegistryInfo("departments", "部门名录（rules/departments.toml）")


class Registry:
    """An immutable set of departments with name resolution.

    Build it with `from_data`, which validates: every key is an ASCII slug, and no two departments claim the
    same key or the same name. `union` joins several registries: keys must stay unique across them, while a
    name two registries share resolves to the first registry's department.
    """

    def __init__(
        self,
        departments: Iterable[Department],
        info: RegistryInfo = DEFAULT_INFO,
        *,
        first_name_wins: bool = False,
    ) -> None:
        self.info = info
        self._by_key: dict[str, Department] = {}
        self._by_name: dict[str, Department] = {}
        self._resolved: dict[str, Department | None] = {}  # a cache: the registry never changes
        self._first_name_wins = first_name_wins
        self._members: tuple[Registry, ...] = ()
        for dept in departments:
            self._add(dept)

    def _add(self, dept: Department) -> None:
        if not _KEY.match(dept.key):
            raise RegistryError(f"部门代码 {dept.key!r} 须为小写字母、数字和连字符")
        if dept.key in self._by_key:
            raise RegistryError(f"部门代码重复：{dept.key}")
        self._by_key[dept.key] = dept
        for name in dept.names:
            other = self._by_name.get(name)
            if other is not None and other.key != dept.key:
                if self._first_name_wins:
                    continue
                raise RegistryError(f"名称“{name}”同时属于 {other.key} 和 {dept.key}")
            self._by_name[name] = dept

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Registry:
        """Build a registry from the parsed TOML mapping of `rules/departments.toml`."""
        entries = data.get("department")
        if not isinstance(entries, list):
            raise RegistryError("缺少 [[department]] 条目")
        return cls((_department_from_entry(i, entry) for i, entry in enumerate(entries, 1)), _info(data))

    @classmethod
    def union(cls, registries: Sequence[Registry]) -> Registry:
        """Join registries into the one every other part of Banfa reads keys from; raise on a key in two."""
        owner: dict[str, str] = {}
        clashes = []
        for registry in registries:
            for dept in registry:
                if dept.key in owner:
                    clashes.append(f"{dept.key}（{owner[dept.key]} 与 {registry.info.id}）")
                owner.setdefault(dept.key, registry.info.id)
        if clashes:
            raise RegistryError(f"部门代码在多个名录中重复：{'、'.join(clashes)}；部门代码须在全部名录中唯一")
        info = registries[0].info if registries else DEFAULT_INFO
        union = cls((d for r in registries for d in r), info, first_name_wins=True)
        union._members = tuple(registries)
        return union

    def member(self, registry_id: str | None) -> Registry:
        """The registry of a union with this id, to read names as that registry does; itself otherwise."""
        return next((r for r in self._members if r.info.id == registry_id), self)

    def __iter__(self) -> Iterator[Department]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, key: str) -> Department:
        try:
            return self._by_key[key]
        except KeyError:
            raise UnknownDepartment(key) from None

    def display_of(self, key: str | None) -> str:
        """The department's display name; its key when the registry no longer knows it, "" for None."""
        if key is None:
            return ""
        found = self._by_key.get(key)
        return found.display if found else key

    def lookup(self, key_or_name: str) -> Department:
        """Find a department by key or by any name it is written as; raise UnknownDepartment otherwise."""
        dept = self._by_key.get(key_or_name) or self.resolve(key_or_name)
        if dept is None:
            raise UnknownDepartment(key_or_name)
        return dept

    def knows(self, name: str) -> bool:
        """Tell whether a name is one of the registry's names exactly as written (no variant)."""
        return name in self._by_name

    def resolve(self, written: str) -> Department | None:
        """Resolve a name as written in a notice, or None when the registry does not know it."""
        if written not in self._resolved:
            found = (self._by_name.get(c) for c in name_variants(written))
            self._resolved[written] = next((d for d in found if d is not None), None)
        return self._resolved[written]

    @cached_property
    def name_pattern(self) -> str:
        """Every name, longest first, as one alternation (built at first use: most commands never scan)."""
        names = sorted(self._by_name, key=len, reverse=True)
        return "|".join(map(re.escape, names)) or r"(?!)"

    @cached_property
    def _scanner(self) -> re.Pattern[str]:
        return re.compile(f"(?:{self.name_pattern})(?!门)")  # 教育部门 is not 教育部

    def scan(self, text: str) -> list[tuple[int, int, Department]]:
        """Find every registry name in a text, longest match first, as (start, end, department)."""
        return [(m.start(), m.end(), self._by_name[m.group()]) for m in self._scanner.finditer(text)]

    def with_contacts(self, overlay: Mapping[str, Any]) -> Registry:
        """Return a registry whose contacts are replaced, per department key, by those in an overlay.

        The overlay has the shape of `rules/demo-contacts.toml`: `[contacts.<key>.<role>]` tables. A key the
        registry does not know is an error, so a typo cannot silently drop a demo contact.
        """
        table = overlay.get("contacts", {})
        unknown = sorted(set(table) - set(self._by_key))
        if unknown:
            raise RegistryError(f"联系人覆盖文件中有未知部门代码：{'、'.join(unknown)}")
        return Registry(
            (
                replace(dept, contacts=_contacts_from(dept.key, table[dept.key]))
                if dept.key in table
                else dept
                for dept in self
            ),
            self.info,
            first_name_wins=self._first_name_wins,
        )


@dataclass(frozen=True)
class Registries:
    """Every registry in force, the default (rules/departments.toml) first, and their union.

    A notice is read with the registry its issuer or 文号 fits (the State Council's for 国发〔2018〕38号), else
    the default; everything else (accounts, duties, reminders) reads department keys from `combined`.
    """

    members: tuple[Registry, ...]
    combined: Registry

    @classmethod
    def of(cls, members: Sequence[Registry]) -> Registries:
        return cls(tuple(members), Registry.union(members))

    def for_notice(self, issuer: str | None, number: str | None) -> Registry:
        return next((r for r in self.members[1:] if r.info.fits(issuer, number)), self.members[0])

    def named(self, registry_id: str | None) -> Registry:
        """The registry a catalogue records; the default for None or an id no longer in force."""
        return next((r for r in self.members if r.info.id == registry_id), self.members[0])


def name_variants(written: str) -> Iterator[str]:
    """Yield the forms a written department name may stand for, most literal first.

    贸工 → 贸工, 市贸工, 贸工局, 市贸工局; 财政部门 → 财政部门, …, 市财政局; 市财政 → 市财政, 财政, 市财政局.
    """
    name = written.strip().removesuffix("等")
    bases = [name]
    for suffix in ("管理部门", "主管部门", "部门"):
        if name.endswith(suffix) and len(name) > len(suffix):
            bases.append(name.removesuffix(suffix))
    seen: set[str] = set()
    for base in bases:
        core = base.removeprefix("市") if base.startswith(_STRIP_PREFIXES) else base
        for form in (
            base,
            core,
            "市" + core,
            core + "局",
            "市" + core + "局",
            core + "办",
            "市" + core + "办",
        ):
            if form and form not in seen:
                seen.add(form)
                yield form


def _info(data: Mapping[str, Any]) -> RegistryInfo:
    table = data.get("registry", {})
    if not isinstance(table, Mapping):
        raise RegistryError("[registry] 须为表（id、name、issuers、numbers）")
    key = str(table.get("id", DEFAULT_INFO.id))
    if not _KEY.match(key):
        raise RegistryError(f"名录 id {key!r} 须为小写字母、数字和连字符")
    return RegistryInfo(
        key,
        str(table.get("name", DEFAULT_INFO.name if key == DEFAULT_INFO.id else key)),
        tuple(map(str, table.get("issuers", ()))),
        tuple(map(str, table.get("numbers", ()))),
    )


def _department_from_entry(index: int, entry: Any) -> Department:
    if not isinstance(entry, Mapping):
        raise RegistryError(f"第 {index} 个条目不是表")
    try:
        key, name = str(entry["key"]), str(entry["name"])
        kind = Kind(entry.get("kind", Kind.MUNICIPAL.value))
    except KeyError as exc:
        raise RegistryError(f"第 {index} 个条目缺少字段 {exc.args[0]}") from None
    except ValueError as exc:
        raise RegistryError(f"第 {index} 个条目的 kind 无效：{entry.get('kind')!r}") from exc
    return Department(
        key=key,
        name=name,
        short=tuple(map(str, entry.get("short", ()))),
        aliases=tuple(map(str, entry.get("aliases", ()))),
        kind=kind,
        contacts=_contacts_from(key, entry.get("contacts", {})),
    )


def _contacts_from(key: str, table: Any) -> tuple[tuple[Role, Contact], ...]:
    if not isinstance(table, Mapping):
        raise RegistryError(f"{key} 的 contacts 须为表")
    contacts = []
    for role_key, value in table.items():
        try:
            role = Role(role_key)
        except ValueError:
            raise RegistryError(
                f"{key} 的联系人角色无效：{role_key}（可用 officer、liaison、leader）"
            ) from None
        if not isinstance(value, Mapping):
            raise RegistryError(f"{key}.{role_key} 须为表（name、email）")
        email = str(value.get("email", ""))
        if email and not _EMAIL.fullmatch(email):
            raise RegistryError(f"{key}.{role_key} 的 email 不是电子邮件地址：{email}")
        contacts.append((role, Contact(name=str(value.get("name", "")), email=email)))
    return tuple(contacts)


_DEPARTMENT_SUFFIX = (
    "人民政府|政府|委员会|办公室|管委会|管理局|分局|总局|总署|中心|银行|海关|法院|检察院|试验区|示范区|总队|"
    "主管部门|管理部门|"
    "总社|局|办|委|厅|部|署|院|行|会|协|联"
)
_NOT_A_DEPARTMENT = re.compile(
    r"办法|其他|有关|相关|各[区县市级]|干部|人员|群众|全体|全[市省区]|以上|上述|加强|推进|完善|建立|健全|做好|提高|办好|实施|开展|强化|优化|加快"
    r"|促进|支持|落实|营造|深化|扩大|培育|制定|制订|修订|研究|负责|牵头|配合|参与|会同|协助|根据|按照"
    r"|允许|鼓励|授权|探索|推动|引导|简化|取消|下放|放宽|设立|依法|应当|可以|不得|是否|如果|对于"
)
GENERIC_DEPARTMENT = (
    rf"(?:[市省区县]|国家|国务院)?[\u4e00-\u9fff]{{1,12}}?(?:{_DEPARTMENT_SUFFIX})(?![法同议])"
)
_WHOLE_DEPARTMENT = re.compile(rf"^{GENERIC_DEPARTMENT}$")


def looks_like_department(token: str) -> bool:
    """Tell whether a token, standing alone, has the shape of a department's name (市文产办, 国家发展改革委)."""
    token = token.strip()
    return (
        2 <= len(token) <= 20
        and _WHOLE_DEPARTMENT.match(token) is not None
        and _NOT_A_DEPARTMENT.search(token) is None
    )


_LIST_COMMA = re.compile(r"[、，,]")
_LIST_AND = re.compile(r"以及|和|及|与")


def is_department(name: str, registry: Registry | None) -> bool:
    """Tell whether a name is a department: known to the registry, or shaped like one."""
    return (registry is not None and registry.resolve(name) is not None) or looks_like_department(name)


def _names_one(piece: str, registry: Registry | None) -> bool:
    """Tell whether a piece of 甲和乙 names a department by itself: a name the registry holds as written, or one
    with a department's ending. 市规划 in 市规划和自然资源局 does not: it shares the ending of the whole name."""
    return (registry is not None and registry.knows(piece)) or looks_like_department(piece)


def split_list(text: str, registry: Registry | None) -> list[str]:
    """Split a written list of departments: 市贸工局、市财政局和市科技局 → three names.

    和/及/与 split a token only when every piece is a department and the registry does not know the whole
    token by that name: so 市科技和信息化局 and 工业和信息化部 stay whole.
    """
    names: list[str] = []
    for token in _LIST_COMMA.split(text):
        token = token.strip()
        pieces = [p.strip() for p in _LIST_AND.split(token)]
        known_whole = registry is not None and registry.resolve(token) is not None
        if len(pieces) > 1 and not known_whole and all(_names_one(p, registry) for p in pieces):
            names += pieces
        elif token:
            names.append(token)
    return names
