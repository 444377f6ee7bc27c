"""Read an officer's uploaded draft (.docx) back into text, or refuse it with a reason the officer can act on.

Pure: bytes in, a `DraftText` out; no files, no clock, no python-docx. The package is distrusted: its size,
entry names and compression ratios are checked from the ZIP headers before anything is decompressed, reads
stop at a cap because headers can lie, and XML is parsed only by defusedxml with DTDs forbidden. The text is
what Word shows with every tracked change accepted, with Word's automatic numbering rendered as labels
(第一条, 一、, （一）). Whatever cannot be read faithfully (embedded HTML or RTF, subdocuments, a numbering
format Banfa cannot render) is refused rather than guessed.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from engine.domain.drafting.numbering import Numbering, Unrenderable
from engine.domain.drafting.text import DraftText, articles_from_paragraphs
from engine.errors import UploadRejected

_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
_W = f"{{{_NS['w']}}}"
_MC_CHOICE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Choice"

_MAX_ENTRIES = 2_000
_MAX_TOTAL = 200 * 1024 * 1024
_MAX_RATIO = 100
_RATIO_FREE = 1024 * 1024  # an entry this small may compress at any ratio
_CHUNK = 64 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_DRIVE = re.compile(r"^[A-Za-z]:")

_CHARACTERS = {f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n"}
# Subtrees whose text Word does not show in the body once changes are accepted (or that Banfa leaves unread):
# deletions, the source of moves, properties, text boxes, ruby guides and the Choice duplicated by a Fallback.
_PRUNED = frozenset(
    f"{_W}{tag}" for tag in ("del", "moveFrom", "pPr", "rPr", "sectPr", "txbxContent", "rt")
) | {_MC_CHOICE}
_CHANGES = frozenset(f"{_W}{tag}" for tag in ("ins", "del", "moveFrom", "moveTo"))

# Every reason an officer may read, in one place: why the file was refused, and what to do about it.
_REASONS = {
    "empty": "文件为空，请重新上传",
    "too_large": "文件过大（{size}，上限为 {cap}），请压缩图片或删去附件后重新上传",
    "encrypted": "文件已加密，请取消密码保护后重新上传",
    "doc": "这是旧版 Word（.doc）文件，请另存为 .docx 后上传",
    "pdf": "这是 PDF 文件，不是 Word（.docx）文件，请上传可编辑的 .docx 文稿",
    "not_docx": "不是 Word（.docx）文件，请上传用 Word 或 WPS 保存的 .docx 文稿",
    "damaged": "文件已损坏（{what}），请在 Word 中打开并另存为 .docx 后重新上传",
    "dtd": "文件含有不允许的 XML 声明（{part}），出于安全原因不予接受，请在 Word 中另存为 .docx 后重新上传",
    "bomb": "文件结构异常（{what}），疑似恶意压缩包，不予接受，请在 Word 中另存为 .docx 后重新上传",
    "macros": "文件含有宏（启用宏的文档），出于安全原因不予接受，请另存为普通 .docx",
    "unreadable": "文稿含有{what}，无法如实读取，请在 Word 中将其内容粘贴为正文文字后重新上传",
    "numbering": "文稿使用了无法识别的自动编号格式（{fmt}），请把自动编号改为手动输入的编号后重新上传",
    "numbering_range": "自动编号超出可识别的范围（{fmt} 格式的第 {n} 项），请把自动编号改为手动输入的编号后重新上传",
    "no_text": "文稿没有可读取的文字（正文为空，或文字都在文本框、图片中），请将正文作为普通段落后重新上传",
}
_CHANGES_WARNING = "文稿含有修订痕迹，已按“接受全部修订”读取，请核对"
_TEXT_BOX_WARNING = "文稿中的文本框内容未读取，如其中有正文，请移入正文段落"


MAX_DRAFT_BYTES = 20 * 1024 * 1024  # an uploaded draft, checked before it is parsed


def read_draft(data: bytes, filename: str, *, max_bytes: int = MAX_DRAFT_BYTES) -> DraftText:
    """Read the paragraphs and articles of an uploaded .docx, as Word shows them with all changes accepted.

    Raises `UploadRejected` naming the file and saying, in Chinese, why it was refused and what to do.
    """
    try:
        return _draft_text(data, max_bytes)
    except _Refused as refusal:
        raise UploadRejected(filename, refusal.reason) from refusal.__cause__
    except Unrenderable as unrenderable:
        raise UploadRejected(
            filename, _REASONS[unrenderable.key].format(**unrenderable.fields)
        ) from unrenderable


class _Refused(Exception):
    """A reason to refuse the upload, raised deep down and given the file name by `read_draft`."""

    def __init__(self, key: str, **fields: object) -> None:
        self.reason = _REASONS[key].format(**fields)
        super().__init__(self.reason)


def _draft_text(data: bytes, max_bytes: int) -> DraftText:
    _check_signature(data, max_bytes)
    package = _Package(data)
    document = package.xml("word/document.xml")
    body = document.find("w:body", _NS) if document is not None else None
    if body is None:
        raise _Refused("damaged", what="缺少正文")
    _check_readable(body)
    numbering = Numbering(package.xml("word/numbering.xml"), package.xml("word/styles.xml"))
    paragraphs = tuple(text for p in _paragraphs(body) if (text := numbering.prefix(p, _text(p))))
    if not paragraphs:
        raise _Refused("no_text")
    return DraftText(paragraphs, articles_from_paragraphs(paragraphs), _warnings(body))


def _check_signature(data: bytes, max_bytes: int) -> None:
    """Refuse bytes that are empty, too large or not a ZIP package, naming what they are when that is known."""
    if not data:
        raise _Refused("empty")
    if len(data) > max_bytes:
        raise _Refused("too_large", size=_mb(len(data)), cap=_mb(max_bytes))
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTION_INFO in data:
            raise _Refused("encrypted")
        if _WORD_STREAM in data:
            raise _Refused("doc")
    if data.startswith(b"%PDF"):
        raise _Refused("pdf")
    if not data.startswith(b"PK"):
        raise _Refused("not_docx")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class _Package:
    """A .docx opened in memory after its headers were checked, handing out parts within a read budget."""

    def __init__(self, data: bytes) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as exc:
            raise _Refused("damaged", what="不是完整的 .docx 压缩包") from exc
        infos = self._zip.infolist()
        _check_entries(infos)
        self._infos = {info.filename.lower(): info for info in infos}
        self._budget = _MAX_TOTAL
        if not {"[content_types].xml", "word/document.xml"} <= self._infos.keys():
            raise _Refused("not_docx")
        self._check_no_macros()

    def _check_no_macros(self) -> None:
        types = self.xml("[Content_Types].xml")
        declared = [e.get("ContentType", "") for e in types.iter()] if types is not None else []
        if any(name.endswith("vbaproject.bin") for name in self._infos) or any(
            "macroenabled" in kind.lower() for kind in declared
        ):
            raise _Refused("macros")

    def xml(self, name: str) -> Element | None:
        """Parse a part with defusedxml (no DTD, no entities); None when the package has no such part."""
        data = self._read(name)
        if data is None:
            return None
        try:
            return SafeET.fromstring(data, forbid_dtd=True)
        except DefusedXmlException as exc:
            raise _Refused("dtd", part=name) from exc
        except (ParseError, LookupError) as exc:
            raise _Refused("damaged", what=f"{name} 无法解析") from exc

    def _read(self, name: str) -> bytes | None:
        info = self._infos.get(name.lower())
        if info is None:
            return None
        limit = min(self._budget, max(_RATIO_FREE, _MAX_RATIO * info.compress_size))
        try:
            with self._zip.open(info) as stream:
                data = _read_capped(stream, limit)
        except RuntimeError as exc:  # zipfile's word for an entry that needs a password
            raise _Refused("encrypted") from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError) as exc:
            raise _Refused("damaged", what=f"{name} 无法解压") from exc
        self._budget -= len(data)
        return data


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse from the headers alone, before anything is decompressed: unsafe names, too many entries, bombs."""
    if len(infos) > _MAX_ENTRIES:
        raise _Refused("bomb", what=f"压缩包内有 {len(infos)} 个文件，上限为 {_MAX_ENTRIES} 个")
    unsafe = next((info.filename for info in infos if _unsafe(info.filename)), None)
    if unsafe is not None:
        raise _Refused("bomb", what=f"含有不安全的路径 {unsafe[:60]}")
    if sum(info.file_size for info in infos) > _MAX_TOTAL:
        raise _Refused("bomb", what=f"解压后总大小超过 {_mb(_MAX_TOTAL)}")
    for info in infos:
        if info.file_size > _RATIO_FREE and info.file_size > _MAX_RATIO * info.compress_size:
            raise _Refused("bomb", what=f"{info.filename[:60]} 的压缩比超过 {_MAX_RATIO}:1")


def _unsafe(name: str) -> bool:
    return name.startswith("/") or "\\" in name or bool(_DRIVE.match(name)) or ".." in name.split("/")


def _read_capped(stream: IO[bytes], limit: int) -> bytes:
    """Read a stream in chunks, refusing it as soon as it yields more than `limit` bytes, whatever it claimed."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _Refused("bomb", what="解压后的内容超出上限")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_readable(body: Element) -> None:
    """Refuse content whose text lives outside the document's XML: embedded HTML or RTF, and subdocuments."""
    for tag, what in (("altChunk", "嵌入的 HTML 或 RTF 内容（altChunk）"), ("subDoc", "子文档（subDoc）")):
        if next(body.iter(f"{_W}{tag}"), None) is not None:
            raise _Refused("unreadable", what=what)


def _warnings(body: Element) -> tuple[str, ...]:
    tags = {element.tag for element in body.iter()}
    found = [_CHANGES_WARNING] if tags & _CHANGES else []
    if f"{_W}txbxContent" in tags:
        found.append(_TEXT_BOX_WARNING)
    return tuple(found)


def _walk(root: Element, stop: frozenset[str]) -> Iterator[Element]:
    """Yield root and its descendants in document order, not descending below an element tagged in `stop`.

    Iterative (ElementTree's own iterator plus a set of skipped ids), so deep nesting cannot exhaust the stack.
    """
    skipped: set[int] = set()
    for element in root.iter():
        if id(element) in skipped:
            continue
        yield element
        if element.tag in stop and element is not root:
            skipped.update(id(descendant) for descendant in element.iter())


def _paragraphs(body: Element) -> Iterator[Element]:
    """Yield the body's paragraphs in reading order, table cells row by row, leaving out deleted ones."""
    return (e for e in _walk(body, _PRUNED | {f"{_W}p"}) if e.tag == f"{_W}p")


def _text(paragraph: Element) -> str:
    """Return a paragraph's text with tracked changes accepted: w:t, tabs and line breaks, no properties."""
    parts: list[str] = []
    for element in _walk(paragraph, _PRUNED):
        if element.tag == f"{_W}t":
            parts.append(element.text or "")
        elif element.tag in _CHARACTERS:
            parts.append(_CHARACTERS[element.tag])
    return "".join(parts).strip()
