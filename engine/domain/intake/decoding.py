"""Turn a notice file's bytes into text: a BOM decides first, then UTF-8, then GB18030.

GB18030 is a superset of GBK and GB2312, the encodings government files most often come in. Pure: the
caller reads the file.
"""

from __future__ import annotations

import codecs
import re

from engine.errors import EmptyNotice, UndecodableNotice

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def decode(data: bytes, source: str = "<bytes>") -> str:
    """Decode a notice file's bytes: a BOM decides first, then UTF-8, then GB18030.

    Raises EmptyNotice for no content and UndecodableNotice for bytes that are not text (a NUL, control
    characters, or invalid sequences in every candidate encoding).
    """
    if not data.strip():
        raise EmptyNotice(source)
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _checked(data, source, (encoding,))
    return _checked(data, source, ("utf-8", "gb18030"))


def _checked(data: bytes, source: str, encodings: tuple[str, ...]) -> str:
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text)) > max(2, len(text) // 1000):
            raise UndecodableNotice(source, "含有控制字符，像是二进制文件")
        if not text.strip():
            raise EmptyNotice(source)
        return text
    raise UndecodableNotice(source, f"不是 {'、'.join(encodings)} 编码的文本")
