"""Make the stable ASCII ids that duties, documents, mails and Prefect runs are keyed by.

An id is safe in file names, e-mail headers, CLI arguments and Prefect keys. It is derived once, at intake;
once written to a catalogue it never changes, even if the notice's wording or the registry does.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from engine.domain.departments import Registry
from engine.domain.intake.specs import ID_PATTERN

if TYPE_CHECKING:
    from engine.domain.intake.notice import Notice

__all__ = ["ID_PATTERN", "department_key", "notice_slug"]


def notice_slug(notice: Notice) -> str:
    """Make the notice's stable ASCII id: 深府办〔2007〕129号 → sfb2007-129; without a 文号, issuer and date."""
    m = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", notice.number or "")
    if m:
        return f"{_initials(m.group(1))}{m.group(2)}-{m.group(3)}"
    stamp = notice.date.strftime("%Y%m%d") if notice.date else "nodate"
    return f"{_initials(notice.issuer or notice.title[:8]) or 'notice'}-{stamp}"


def _initials(text: str) -> str:
    from pypinyin import Style, lazy_pinyin  # imported here: it takes 0.3 s, and only intake makes ids

    return "".join(
        p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER) if p and p[0].isascii() and p[0].isalnum()
    ).lower()


def department_key(name: str, registry: Registry) -> str:
    """Key a department by the registry, or by the pinyin of its name when the registry does not know it."""
    dept = registry.resolve(name)
    if dept is not None:
        return dept.key
    return _pinyin_key(re.sub(r"^(?:深圳|市|省)+", "", name))


@cache
def _pinyin_key(core: str) -> str:
    from pypinyin import lazy_pinyin

    letters = "".join(p for p in lazy_pinyin(core) if p.isascii() and p.isalnum()).lower()
    return letters[:24] or "unknown"
