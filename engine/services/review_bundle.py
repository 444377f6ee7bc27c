"""The 送审材料 of a duty as the legal office files them, and the .zip that carries them.

    00-材料清单.txt                    what follows: each file's version, origin, author, time and checksum
    01-送审函.docx  02-送审稿.docx  03-起草说明.docx  04-征求意见稿.docx  05-意见采纳情况表.docx
    06-征求意见函-<单位>.docx          one per department consulted, in the order they were first asked
    07-征求意见答复/<单位>/答复情况.txt  each department's replies, opinions and decisions, every round
    07-征求意见答复/<单位>/附件1-<原名>  the files its opinions carried, under their own names
    08-审核意见书.docx                 once a review is recorded

Each document is its newest version; a document the duty does not have yet is left out. The text files are
UTF-8 with a byte-order mark and CRLF line ends, so that Notepad on an office PC opens them as they are. The
zip is deterministic: entries in this order, every timestamp the moment of the export, names flagged UTF-8.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from engine.domain.drafting.versions import DocumentKind, DocumentVersion, Origin
from engine.domain.ports import Ports
from engine.domain.textform import format_date
from engine.domain.workflow.model import SHANGHAI, Duty
from engine.domain.workflow.people import SYSTEM, User

MATERIALS = (
    DocumentKind.REVIEW_LETTER,
    DocumentKind.REVIEW_DRAFT,
    DocumentKind.EXPLANATION,
    DocumentKind.DRAFT,
    DocumentKind.ADOPTION_TABLE,
)
LETTERS, REPLIES, OPINION = "06", "07-征求意见答复", "08"
INDEX, SUMMARY = "00-材料清单.txt", "答复情况.txt"
UTF8_FLAG = 0x800  # the zip's general purpose bit 11: the entry's name is UTF-8
UNIX = 3  # the zip's "made by" system, fixed so that any machine writes the same bytes
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


@dataclass(frozen=True)
class Entry:
    """One file of the bundle: its path inside the zip, its bytes, and the version it is (None for text the
    bundle writes itself)."""

    name: str
    data: bytes
    version: DocumentVersion | None = None


def bundle_entries(
    duty: Duty, people: Mapping[str, User], *, now: dt.datetime, actor: User, ports: Ports
) -> list[Entry]:
    """Gather the 送审材料 of the duty in filing order, the list of them first."""
    found: list[Entry] = []
    for number, kind in enumerate(MATERIALS, start=1):
        found += _newest(f"{number:02d}-{kind.label}", duty.id, kind, "", ports)
    asked = list(dict.fromkeys(r.consultee for r in duty.requests))
    letter = DocumentKind.CONSULTATION_LETTER
    for key in asked:
        stem = f"{LETTERS}-{letter.label}-{ports.registry.display_of(key)}"
        found += _newest(stem, duty.id, letter, key, ports)
    for key in asked:
        found += _replies(duty, key, people, ports)
    found += _newest(
        f"{OPINION}-{DocumentKind.LEGALITY_OPINION.label}", duty.id, DocumentKind.LEGALITY_OPINION, "", ports
    )
    return [_index(duty, found, people, now, actor, ports), *found]


def zipped(entries: list[Entry], now: dt.datetime) -> bytes:
    """Put the entries in a .zip, in their order, each dated `now` (Asia/Shanghai) and named in UTF-8."""
    stamp = now.astimezone(SHANGHAI).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=stamp)
            info.flag_bits |= UTF8_FLAG
            info.create_system = UNIX
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entry.data, compresslevel=6)
    return buffer.getvalue()


def safe_filename(name: str, fallback: str) -> str:
    """A file name with no folder in it and nothing a file system refuses; `fallback` when nothing is left."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:120] if cleaned else fallback


def _newest(stem: str, duty_id: str, kind: DocumentKind, variant: str, ports: Ports) -> list[Entry]:
    version = ports.documents.latest(duty_id, kind, variant)
    if version is None:
        return []
    suffix = PurePath(version.filename).suffix.lower() or ".docx"
    return [Entry(stem + suffix, ports.documents.read(version.id), version)]


def _replies(duty: Duty, key: str, people: Mapping[str, User], ports: Ports) -> list[Entry]:
    """One department's replies over every round, as a summary and the files its opinions carried."""
    folder = f"{REPLIES}/{ports.registry.display_of(key)}"
    files: dict[str, Entry] = {}
    rounds = []
    for request in (r for r in duty.requests if r.consultee == key):
        opinions = []
        for o in (o for o in duty.opinions if o.round == request.round and o.consultee == key):
            names = [_attachment(folder, doc, files, ports) for doc in o.attachments]
            ruling = o.ruling
            decision = ruling.decision.value if ruling else ""
            opinions.append(
                {"seq": o.seq, "clause": o.clause, "text": o.text, "attachments": names}
                | {"decision": decision, "reason": ruling.reason if ruling else ""}
            )
        letters = [_attachment(folder, doc, files, ports) for doc in request.attachments]
        by = people.get(request.replied_by or "")
        rounds.append(
            {
                "round": request.round,
                "sent_on": request.sent_on,
                "due": request.due,
                "reply": request.reply.value if request.reply else "待答复",
                "replied_on": request.replied_at.astimezone(SHANGHAI).date() if request.replied_at else None,
                "replied_by": by.name if by else request.replied_by or "",
                "on_paper": by is not None and by.department != key,
                "opinions": opinions,
                "attachments": letters,
            }
        )
    department = next((d.name for d in ports.registry if d.key == key), key)
    context = {"department": department, "title": _title(duty), "rounds": rounds}
    summary = Entry(f"{folder}/{SUMMARY}", _text(ports.wording.render("reply-summary", context)))
    return [summary, *files.values()]


def _attachment(folder: str, document_id: str, files: dict[str, Entry], ports: Ports) -> str:
    """Add an opinion's attachment to the department's files once; return the name it has there."""
    if document_id not in files:
        version = ports.documents.get(document_id)
        name = f"附件{len(files) + 1}-{safe_filename(version.filename, '附件')}"
        files[document_id] = Entry(f"{folder}/{name}", ports.documents.read(version.id), version)
    return PurePath(files[document_id].name).name


def _index(
    duty: Duty,
    entries: list[Entry],
    people: Mapping[str, User],
    now: dt.datetime,
    actor: User,
    ports: Ports,
) -> Entry:
    """The list of the bundle's files, with what each version is."""

    def described(entry: Entry) -> dict[str, Any]:
        v = entry.version
        if v is None:
            return {"name": entry.name, "version": None}
        author = "系统" if v.author == SYSTEM else people[v.author].name if v.author in people else v.author
        return {
            "name": entry.name,
            "kind": v.kind.label,
            "version": v.version,
            "origin": "系统生成" if v.origin is Origin.GENERATED else "上传",
            "created": _moment(v.created),
            "author": author,
            "checksum": v.checksum,
        }

    context = {
        "title": _title(duty),
        "ref": duty.spec.ref,
        "duty_id": duty.id,
        "lead": ports.registry.display_of(duty.spec.lead),
        "exported_at": _moment(now),
        "exported_by": actor.name if actor.name == actor.id else f"{actor.name}（{actor.id}）",
        "entries": [described(e) for e in entries],
    }
    return Entry(INDEX, _text(ports.wording.render("bundle-index", context)))


def _title(duty: Duty) -> str:
    return duty.spec.title or duty.spec.document or duty.id


def _moment(moment: dt.datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{format_date(local.date())} {local:%H:%M}"


def _text(text: str) -> bytes:
    """Text for an office PC: UTF-8 with a byte-order mark, CRLF line ends."""
    lines = text.strip("\n").split("\n")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
