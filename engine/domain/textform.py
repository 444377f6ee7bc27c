"""Read and write the textual forms of official Chinese: numerals, brackets, white space.

Pure functions over strings. Nothing here knows about notices or duties; the parser builds on them.
"""

from __future__ import annotations

import datetime as dt
import re

_DIGITS = "〇一二三四五六七八九"
_DIGIT_VALUE = {ch: i for i, ch in enumerate(_DIGITS)} | {"零": 0, "两": 2, "○": 0, "O": 0}
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# Characters that indent or pad lines in documents copied from Word or web pages.
_PAD = "\u3000\u00a0\u2002\u2003\u2009\ufeff\t "

CN_NUMERAL = "[〇零一二两三四五六七八九十百]+"
CN_DATE = r"([0-9〇○零一二三四五六七八九]{4})\s*年\s*([0-9十一二三四五六七八九]{1,3})\s*月\s*([0-9十一二三四五六七八九]{1,3})\s*日"


def cn_numeral(n: int) -> str:
    """Write a positive integer below 1000 as a Chinese numeral: 10 → 十, 21 → 二十一, 105 → 一百零五."""
    if not 0 < n < 1000:
        raise ValueError(f"out of range: {n}")
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    out = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and units:
        out += "零"
    if units:
        out += _DIGITS[units]
    return out


def parse_cn_numeral(text: str) -> int:
    """Read a Chinese or Arabic numeral below 1000: 十三 → 13, 二十 → 20, 一百零五 → 105, ３ → 3.

    Raises ValueError on anything else, so callers can tell a numeral from a word.
    """
    text = text.translate(_FULLWIDTH_DIGITS)
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGIT_VALUE and ch not in "十百" for ch in text):
        raise ValueError(f"not a numeral: {text!r}")
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _DIGIT_VALUE[ch] if current else _DIGIT_VALUE[ch]
    return total + current


def ascii_digits(text: str) -> str:
    """Turn full-width digits into ASCII ones, leaving every other character alone."""
    return text.translate(_FULLWIDTH_DIGITS)


def strip_pad(line: str) -> str:
    """Strip the ideographic spaces, tabs and byte-order marks that pad a line."""
    return line.strip(_PAD)


def normalize_brackets(text: str) -> str:
    """Use full-width round brackets throughout, as GB/T 9704 text does: (一) → （一）."""
    return text.replace("(", "（").replace(")", "）")


_DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12})[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*第?0*(\d+)\s*号")


def find_doc_number(text: str) -> tuple[str, int, int] | None:
    """Find the first 文号 in a text and return (机关代字, year, 序号): 深府办〔2007〕129号 → (深府办, 2007, 129).

    Accepts the brackets people type instead of 六角括号 (【】, [], ［］, （）) and a stray 第 or leading zeros.
    """
    m = _DOC_NUMBER.search(ascii_digits(text))
    if m is None:
        return None
    return m.group(1), int(m.group(2)), int(m.group(3))


def format_doc_number(prefix: str, year: int, serial: int) -> str:
    """Write a 文号 as GB/T 9704 wants it: 六角括号, no 第, no leading zeros."""
    return f"{prefix}〔{year}〕{serial}号"


def parse_cn_date(text: str) -> dt.date | None:
    """Read 2007年8月24日 or 二〇〇七年八月二十四日 (the first date in the text); None when there is none."""
    m = re.search(CN_DATE, ascii_digits(text))
    if m is None:
        return None
    digits = str.maketrans("〇○零一二三四五六七八九", "00012345678" + "9")
    try:
        year = int(m.group(1).translate(digits))
        return dt.date(year, parse_cn_numeral(m.group(2)), parse_cn_numeral(m.group(3)))
    except ValueError:
        return None


def format_date(day: dt.date) -> str:
    """Write a date as GB/T 9704 wants it: 2007年8月24日 (Arabic numerals, no zero padding)."""
    return f"{day.year}年{day.month}月{day.day}日"
