"""Read deadlines in their many written forms and resolve them to dates.

Forms: 今年年内, 年底前, 明年6月底前, 2019年2月底前, 2020年6月30日前, 10月31日前, 上半年, 2019年第三季度,
三个月内, 30日内, 10个工作日内, and recurring ones such as 每年2月底前. Relative forms count from the notice's
成文 date (`written`). A fixed date stays fixed; its last working day is on or before it. A period in calendar
days or months that ends on a day off moves to the next working day; a period in working days ends on one.
"""

from __future__ import annotations

import calendar as gregorian
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from engine.domain.textform import CN_NUMERAL, ascii_digits, parse_cn_numeral
from engine.domain.workdays import WorkCalendar


@dataclass(frozen=True)
class Deadline:
    """A resolved deadline: what was written, its date, and the last working day to meet it."""

    text: str
    date: dt.date
    last_working_day: dt.date
    recurring: str | None = None
    relative: bool = False  # counted from the notice's 成文 date (三个月内): a person must confirm it


_NUM = rf"(\d{{1,3}}|{CN_NUMERAL})"
_BEFORE = r"(?:前|之前|以前|止|为止)"
_END = r"(?:底|末)"
_Y = r"(\d{4})年"
_M = r"(\d{1,2})月"
_D = r"(\d{1,2})[日号]"
_NOT_AFTER_DATE = r"(?<![\d年月今明本当])"
# "在5年内继续按原用途使用" is a period of grace, not a deadline.
_NOT_A_PERIOD = r"(?!继续|保持|享受|有效|免|不)"

Resolver = Callable[[re.Match[str], dt.date, WorkCalendar], Deadline]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, gregorian.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return dt.date(year, month, min(day.day, gregorian.monthrange(year, month)[1]))


def _fixed(m: re.Match[str], day: dt.date, cal: WorkCalendar) -> Deadline:
    return Deadline(m.group(0), day, cal.on_or_before(day))


def _relative(m: re.Match[str], day: dt.date, cal: WorkCalendar) -> Deadline:
    moved = cal.on_or_after(day)
    return Deadline(m.group(0), moved, moved, relative=True)


def _next_after(written: dt.date, make: Callable[[int], dt.date]) -> dt.date:
    """The first date `make(year)` that falls after `written`, trying its year, then the next."""
    first = make(written.year)
    return first if first >= written else make(written.year + 1)


def _quarter_end(year: int, quarter: int) -> dt.date:
    return _month_end(year, quarter * 3)


def _n(m: re.Match[str], group: int) -> int:
    return parse_cn_numeral(m.group(group))


_RULES: list[tuple[re.Pattern[str], Resolver]] = [
    (
        re.compile(rf"每年{_M}{_D}{_BEFORE}?"),
        lambda m, w, c: _recurring(
            m, c, _next_after(w, lambda y: dt.date(y, int(m.group(1)), int(m.group(2))))
        ),
    ),
    (
        re.compile(rf"每年{_M}{_END}?{_BEFORE}?"),
        lambda m, w, c: _recurring(m, c, _next_after(w, lambda y: _month_end(y, int(m.group(1))))),
    ),
    (
        re.compile(rf"每(?:个)?季度{_END}?{_BEFORE}?"),
        lambda m, w, c: _recurring(m, c, _quarter_end(w.year, (w.month - 1) // 3 + 1)),
    ),
    (
        re.compile(rf"{_Y}{_M}{_D}{_BEFORE}"),
        lambda m, w, c: _fixed(m, dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), c),
    ),
    (
        re.compile(rf"{_Y}{_M}(?:{_END}{_BEFORE}?|{_BEFORE})"),
        lambda m, w, c: _fixed(m, _month_before(int(m.group(1)), int(m.group(2)), m.group(0)), c),
    ),
    (
        re.compile(rf"{_Y}(?:第?([一二三四1-4])季度){_END}?{_BEFORE}?"),
        lambda m, w, c: _fixed(m, _quarter_end(int(m.group(1)), _n(m, 2)), c),
    ),
    (re.compile(rf"{_Y}上半年"), lambda m, w, c: _fixed(m, dt.date(int(m.group(1)), 6, 30), c)),
    (
        re.compile(rf"{_Y}(?:下半年|年?{_END}{_BEFORE}?|年?内|{_BEFORE})"),
        lambda m, w, c: _fixed(m, dt.date(int(m.group(1)), 12, 31), c),
    ),
    (
        re.compile(rf"明年{_M}{_D}{_BEFORE}?"),
        lambda m, w, c: _fixed(m, dt.date(w.year + 1, int(m.group(1)), int(m.group(2))), c),
    ),
    (
        re.compile(rf"明年{_M}(?:{_END}{_BEFORE}?|{_BEFORE})"),
        lambda m, w, c: _fixed(m, _month_before(w.year + 1, int(m.group(1)), m.group(0)), c),
    ),
    (re.compile(r"明年上半年"), lambda m, w, c: _fixed(m, dt.date(w.year + 1, 6, 30), c)),
    (
        re.compile(rf"明年(?:年?{_END}|年?内|下半年){_BEFORE}?"),
        lambda m, w, c: _fixed(m, dt.date(w.year + 1, 12, 31), c),
    ),
    (
        re.compile(rf"(?:今年|本年度?|当年){_M}{_D}{_BEFORE}?"),
        lambda m, w, c: _fixed(m, dt.date(w.year, int(m.group(1)), int(m.group(2))), c),
    ),
    (
        re.compile(rf"(?:今年|本年度?|当年){_M}(?:{_END}{_BEFORE}?|{_BEFORE})"),
        lambda m, w, c: _fixed(m, _month_before(w.year, int(m.group(1)), m.group(0)), c),
    ),
    (
        re.compile(rf"{_NOT_AFTER_DATE}{_M}{_D}{_BEFORE}"),
        lambda m, w, c: _fixed(m, _next_after(w, lambda y: dt.date(y, int(m.group(1)), int(m.group(2)))), c),
    ),
    (
        re.compile(rf"{_NOT_AFTER_DATE}{_M}(?:{_END}{_BEFORE}?|{_BEFORE})"),
        lambda m, w, c: _fixed(m, _next_after(w, lambda y: _month_before(y, int(m.group(1)), m.group(0))), c),
    ),
    (
        re.compile(rf"{_NUM}个?工作日内{_NOT_A_PERIOD}"),
        lambda m, w, c: _relative(m, c.add_workdays(w, _n(m, 1)), c),
    ),
    (
        re.compile(rf"{_NUM}(?:个)?月内{_NOT_A_PERIOD}"),
        lambda m, w, c: _relative(m, _add_months(w, _n(m, 1)), c),
    ),
    (re.compile(rf"半年内{_NOT_A_PERIOD}"), lambda m, w, c: _relative(m, _add_months(w, 6), c)),
    (
        re.compile(rf"{_NUM}年内{_NOT_A_PERIOD}"),
        lambda m, w, c: _relative(m, _add_months(w, 12 * _n(m, 1)), c),
    ),
    (
        re.compile(rf"{_NUM}(?:日|天)内{_NOT_A_PERIOD}"),
        lambda m, w, c: _relative(m, w + dt.timedelta(days=_n(m, 1)), c),
    ),
    (re.compile(r"(?:今年|本年度?|当年)?上半年"), lambda m, w, c: _fixed(m, dt.date(w.year, 6, 30), c)),
    (
        re.compile(
            rf"(?:今年|本年度?|当年)(?:年?内|年?{_END}{_BEFORE}?|下半年)|(?<![\d年〇一二三四五六七八九十两])年(?:内|{_END}{_BEFORE}?)"
        ),
        lambda m, w, c: _fixed(m, dt.date(w.year, 12, 31), c),
    ),
]


def _month_before(year: int, month: int, written: str) -> dt.date:
    """Resolve "M月底前" to the end of month M, and a bare "M月前" to the end of the month before it."""
    if re.search(_END, written):
        return _month_end(year, month)
    return dt.date(year, month, 1) - dt.timedelta(days=1)


def _recurring(m: re.Match[str], cal: WorkCalendar, first: dt.date) -> Deadline:
    return Deadline(m.group(0), first, cal.on_or_before(first), recurring=m.group(0))


# One scan finds where the earliest deadline phrase starts; the rules, in order, then say which phrase it is.
# Every phrase starts with one of these characters: looking ahead for one first lets the scan skip the rest fast.
_ANY = re.compile(
    "(?=[每明今本当半上下年0-9〇一二三四五六七八九十两百零])(?:"
    + "|".join(f"(?:{pattern.pattern})" for pattern, _ in _RULES)
    + ")"
)


_CN_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_CN_YEAR = re.compile(r"[〇○零一二三四五六七八九]{4}(?=年)")
_CN_MONTH_OR_DAY = re.compile(r"(?<=[\d年月])[一二三四五六七八九十]{1,3}(?=月|日|号)")


def arabic_dates(text: str) -> str:
    """Write the numerals of dates in Arabic digits: 二〇〇八年三月底前 → 2008年3月底前, ２０１９ → 2019.

    Only a four-numeral year and a month or day right after a year or month change; 三个月内 stays as written
    (its own rule reads Chinese numerals).
    """
    text = _CN_YEAR.sub(lambda m: m.group().translate(_CN_DIGITS), ascii_digits(text))
    return _CN_MONTH_OR_DAY.sub(lambda m: str(parse_cn_numeral(m.group())), text)


def find_deadline(text: str, *, written: dt.date, calendar: WorkCalendar) -> Deadline | None:
    """Find the earliest-placed deadline phrase in a text and resolve it against the 成文 date."""
    text = arabic_dates(text)
    pos = 0
    while (candidate := _ANY.search(text, pos)) is not None:
        for pattern, resolve in _RULES:
            m = pattern.match(text, candidate.start())
            if m is None:
                continue
            try:
                return resolve(m, written, calendar)
            except ValueError:  # 2月30日 and the like: not a date, so not a deadline
                continue
        pos = candidate.start() + 1
    return None
