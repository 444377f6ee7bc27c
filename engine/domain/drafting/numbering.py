"""Render Word's automatic numbering (numbering.xml) as the labels a reader sees: 第一条, 一、, （一）, 1.

Counted as Word counts it: one counter per (numId, level), deeper levels restarting when a shallower one
advances, `w:start` and `w:startOverride` honoured, numbering inherited through paragraph styles. A format
Banfa cannot write raises `Unrenderable`, so the caller refuses the upload rather than guessing a label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from xml.etree.ElementTree import Element

from engine.domain.textform import cn_numeral

_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
_W = f"{{{_NS['w']}}}"


class Unrenderable(Exception):
    """A numbering format (or a number) Banfa cannot write; `key` and `fields` name the reason."""

    def __init__(self, key: str, **fields: object) -> None:
        self.key = key
        self.fields = fields
        super().__init__(key, fields)


def _val(element: Element | None, path: str) -> str | None:
    """Return the w:val of the child of `element` at `path`, or None when either is missing."""
    child = element.find(path, _NS) if element is not None else None
    return child.get(f"{_W}val") if child is not None else None


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str
    text: str


class Numbering:
    """Word's automatic numbering, counted as Word counts it: one counter per (numId, level)."""

    def __init__(self, numbering: Element | None, styles: Element | None) -> None:
        self._styles = _style_numbering(styles)
        self._default_style = self._styles.get("", (None, None, None))[0]
        self._lists = _lists(numbering, self._styles)
        self._counts: dict[str, dict[int, int]] = {}

    def prefix(self, paragraph: Element, text: str) -> str:
        """Return the text with the paragraph's label before it, advancing the counters of its list."""
        ref = self._reference(paragraph)
        label = self._label(*ref) if ref is not None else ""
        separate = label and text and not unicodedata.category(label[-1]).startswith("P")
        return f"{label}{'　' if separate else ''}{text}"

    def _reference(self, paragraph: Element) -> tuple[str, int] | None:
        ppr = paragraph.find("w:pPr", _NS)
        num_id, ilvl = _inherited(self._styles, _val(ppr, "w:pStyle") or self._default_style)
        num_id = _val(ppr, "w:numPr/w:numId") or num_id
        ilvl = _val(ppr, "w:numPr/w:ilvl") or ilvl
        return None if num_id in (None, "0") else (str(num_id), _int(ilvl, 0))

    def _label(self, num_id: str, ilvl: int) -> str:
        levels = self._lists.get(num_id, {})
        if ilvl not in levels or levels[ilvl].fmt == "bullet":
            return ""  # Word shows no number for an undefined list or level; bullets are not numbers
        counts = self._counts.setdefault(num_id, {})
        counts[ilvl] = counts.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [level for level in counts if level > ilvl]:
            del counts[deeper]
        return re.sub(r"%([1-9])", lambda m: _render(levels, counts, int(m.group(1)) - 1), levels[ilvl].text)


# styleId → (basedOn, numId, ilvl); the key "" holds the default paragraph style's id in the first slot.
_StyleNumbering = dict[str, tuple[str | None, str | None, str | None]]


def _style_numbering(styles: Element | None) -> _StyleNumbering:
    """Collect the numbering that paragraph and numbering styles set, and the style each is based on."""
    found: _StyleNumbering = {}
    for style in styles.findall("w:style", _NS) if styles is not None else []:
        if style.get(f"{_W}type", "paragraph") not in ("paragraph", "numbering"):
            continue
        style_id = style.get(f"{_W}styleId", "")
        numbering = (_val(style, "w:pPr/w:numPr/w:numId"), _val(style, "w:pPr/w:numPr/w:ilvl"))
        found[style_id] = (_val(style, "w:basedOn"), *numbering)
        if style.get(f"{_W}default") in ("1", "true", "on"):
            found[""] = (style_id, None, None)
    return found


def _inherited(styles: _StyleNumbering, style_id: str | None) -> tuple[str | None, str | None]:
    """Return the numId and ilvl a style gives its paragraphs, each from the nearest style that sets it."""
    num_id: str | None = None
    ilvl: str | None = None
    seen: set[str] = set()
    while style_id and style_id in styles and style_id not in seen:
        seen.add(style_id)
        style_id, style_num_id, style_ilvl = styles[style_id]
        num_id, ilvl = num_id or style_num_id, ilvl or style_ilvl
    return num_id, ilvl


def _lists(numbering: Element | None, styles: _StyleNumbering) -> dict[str, dict[int, _Level]]:
    """Resolve each w:num to its levels: the abstract definition with the num's level overrides applied."""
    if numbering is None:
        return {}
    abstract = {a.get(f"{_W}abstractNumId"): a for a in numbering.findall("w:abstractNum", _NS)}
    nums = {num.get(f"{_W}numId"): num for num in numbering.findall("w:num", _NS)}
    lists: dict[str, dict[int, _Level]] = {}
    for num_id, num in nums.items():
        if num_id is None:
            continue
        definition = abstract.get(_val(num, "w:abstractNumId"))
        link = _val(definition, "w:numStyleLink")
        if link is not None:  # the levels live in the list that a numbering style points to
            definition = abstract.get(_val(nums.get(_inherited(styles, link)[0]), "w:abstractNumId"))
        found = definition.findall("w:lvl", _NS) if definition is not None else []
        levels = {_int(level.get(f"{_W}ilvl"), 0): _level(level) for level in found}
        for override in num.findall("w:lvlOverride", _NS):
            ilvl = _int(override.get(f"{_W}ilvl"), 0)
            if (level := override.find("w:lvl", _NS)) is not None:
                levels[ilvl] = _level(level)
            if (start := _val(override, "w:startOverride")) is not None and ilvl in levels:
                levels[ilvl] = replace(levels[ilvl], start=_int(start, 1))
        lists[num_id] = levels
    return lists


def _level(level: Element) -> _Level:
    fmt = _val(level, "w:numFmt") or "decimal"
    return _Level(_int(_val(level, "w:start"), 1), fmt, _val(level, "w:lvlText") or "")


def _render(levels: dict[int, _Level], counts: dict[int, int], ilvl: int) -> str:
    """Write the number of one level (the %n of a lvlText), refusing a format Banfa cannot render."""
    level = levels.get(ilvl)
    if level is None:
        return ""
    write = _FORMATS.get(level.fmt)
    if write is None:
        raise Unrenderable("numbering", fmt=level.fmt)
    number = counts.get(ilvl, level.start)
    try:
        return write(number)
    except ValueError as exc:
        raise Unrenderable("numbering_range", fmt=level.fmt, n=number) from exc


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        raise ValueError(f"out of range: {n}")
    out = ""
    for value, numeral in zip(_ROMAN_VALUES, _ROMAN_NUMERALS, strict=True):
        count, n = divmod(n, value)
        out += numeral * count
    return out


_ROMAN_VALUES = (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1)
_ROMAN_NUMERALS = ("M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Word writes letters as A … Z, AA … ZZ, AAA …, and circled numbers past ⑳ as plain digits.
_FORMATS: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: str(n).translate(_FULL_WIDTH),
    "chineseCounting": cn_numeral,
    "chineseCountingThousand": cn_numeral,
    "upperRoman": _roman,
    "lowerRoman": lambda n: _roman(n).lower(),
    "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1),
    "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1),
    "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 0 < n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if 0 < n <= 20 else str(n),
    "none": lambda n: "",
}
