"""Build .docx packages in memory for tests: python-docx makes a real base, zipfile patches its parts.

Nothing here is written to disk, so no binary fixture is committed. XML snippets use the `w:` prefix, which
python-docx's document.xml, styles.xml and numbering.xml all declare.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Mapping
from functools import cache
from xml.sax.saxutils import escape, quoteattr

import docx

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@cache
def made_by_python_docx(*paragraphs: str, style: str | None = None) -> bytes:
    """Return the bytes of a document python-docx writes with these paragraphs (cached: they are immutable)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text, style=style)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name).decode("utf-8")


def patched(data: bytes, parts: Mapping[str, bytes | str | None]) -> bytes:
    """Rewrite a package with some parts replaced, added (a new name) or removed (None)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info))
        for name, content in parts.items():
            if content is not None:
                target.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return out.getvalue()


def with_body(body_xml: str, parts: Mapping[str, bytes | str | None] | None = None) -> bytes:
    """Return a python-docx document whose body holds `body_xml` (before its sectPr), with other parts patched.

    Its styles are python-docx's paragraph styles only, without the table and character styles that make up
    most of styles.xml, so that each test reads it quickly.
    """
    base = made_by_python_docx()
    document = re.sub(
        r"<w:body>.*?(<w:sectPr)",
        lambda m: f"<w:body>{body_xml}{m.group(1)}",
        part(base, "word/document.xml"),
        flags=re.S,
    )
    slim = {"word/styles.xml": with_styles(), "word/stylesWithEffects.xml": None}
    return patched(base, {"word/document.xml": document, **slim, **(parts or {})})


def p(*runs: str, num: tuple[int, int] | None = None, style: str | None = None) -> str:
    """A paragraph of plain-text runs (escaped), optionally numbered (numId, ilvl) or styled."""
    props = f"<w:pStyle w:val={quoteattr(style)}/>" if style else ""
    if num is not None:
        props += f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>'
    return f"<w:p><w:pPr>{props}</w:pPr>{''.join(r(text) for text in runs)}</w:p>"


def r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def level(ilvl: int, fmt: str, text: str, start: int = 1) -> str:
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
        f"<w:lvlText w:val={quoteattr(text)}/></w:lvl>"
    )


def numbering(
    abstracts: Mapping[int, str], nums: Mapping[int, int], overrides: Mapping[int, str] | None = None
) -> str:
    """A numbering.xml: abstractNumId → its levels' XML; numId → abstractNumId; numId → lvlOverride XML."""
    defined = "".join(
        f'<w:abstractNum w:abstractNumId="{a}">{levels}</w:abstractNum>' for a, levels in abstracts.items()
    )
    instances = "".join(
        f'<w:num w:numId="{n}"><w:abstractNumId w:val="{a}"/>{(overrides or {}).get(n, "")}</w:num>'
        for n, a in nums.items()
    )
    return f'<w:numbering xmlns:w="{W_NS}">{defined}{instances}</w:numbering>'


def with_styles(*styles_xml: str) -> str:
    """python-docx's paragraph styles, with more styles appended."""
    styles = part(made_by_python_docx(), "word/styles.xml")
    paragraph_styles = re.sub(r'<w:style w:type="(?!paragraph")[^"]*".*?</w:style>', "", styles, flags=re.S)
    return paragraph_styles.replace("</w:styles>", "".join(styles_xml) + "</w:styles>")


def with_declared_sizes(
    data: bytes, name: str, *, compressed: int | None = None, size: int | None = None
) -> bytes:
    """Overwrite the sizes the central directory declares for one entry, leaving its data alone (headers lie)."""
    encoded = name.encode("utf-8")
    at = data.index(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(encoded)] != encoded or data[at + 28 : at + 30] != struct.pack(
        "<H", len(encoded)
    ):
        at = data.index(b"PK\x01\x02", at + 4)
    old_compressed, old_size = struct.unpack("<II", data[at + 20 : at + 28])
    sizes = struct.pack(
        "<II", old_compressed if compressed is None else compressed, old_size if size is None else size
    )
    return data[: at + 20] + sizes + data[at + 28 :]


def zip_of(entries: Mapping[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries.items():
            target.writestr(name, content)
    return out.getvalue()


def with_zeros(data: bytes, name: str, megabytes: int) -> bytes:
    """Add an entry of `megabytes` MB of zeros, streamed through zipfile so it compresses about 1000:1."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as target, target.open(name, "w") as entry:
        chunk = bytes(1024 * 1024)
        for _ in range(megabytes):
            entry.write(chunk)
    return out.getvalue()


def ole_file(*stream_names: str) -> bytes:
    """Bytes that start like an OLE compound file and hold the given stream names, as directory entries do."""
    names = b"".join(name.encode("utf-16-le") + b"\x00\x00" for name in stream_names)
    return OLE_MAGIC + bytes(504) + names + bytes(512)
