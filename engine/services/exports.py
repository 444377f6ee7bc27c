"""Exports: what leaves Banfa as a file, each authorized by the reading rules and recorded in the audit trail.

- `export_document`: one stored version, under its own file name;
- `reviewer_bundle`: the 送审材料 of a duty as a .zip, for the legal office (engine.services.review_bundle);
- `ledger`: a notice's 督办台账 as a spreadsheet, laid out by the writer port it is given
  (engine.services.ledger_rows fills it);
- `compare_versions`: the 修改对照表 of two stored versions of a duty's draft.

Who may read what is engine.domain.workflow.access. Each export reads through a read-only unit of work, then
records who took what and when (with the checksum of the bytes handed over) in its own transaction, before the
bytes are returned: no export leaves without its record. A refused export records nothing and raises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from engine.domain.drafting.versions import DOCX_MEDIA_TYPE, DocumentKind, DocumentVersion, Origin
from engine.domain.ports import AuditRecord, Ports, UnitOfWork
from engine.domain.workflow.access import Scope, Standing, can_read_document, reads_whole
from engine.domain.workflow.ledger import LedgerWriter
from engine.domain.workflow.machine import pending
from engine.domain.workflow.model import Duty
from engine.domain.workflow.people import User
from engine.errors import IllegalTransition, InvalidInput, MachineWorkPending, NoticeNotFound, NotReadable
from engine.services.accounts import acting_user
from engine.services.documents import compare_drafts
from engine.services.ledger_rows import ledger_of
from engine.services.review_bundle import bundle_entries, safe_filename, zipped
from engine.services.workflow import scope_of

ZIP_MEDIA_TYPE = "application/zip"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The versions a 修改对照表 may compare: the texts of the rule itself, as they went on.
COMPARABLE = (DocumentKind.DRAFT, DocumentKind.REVIEW_DRAFT, DocumentKind.PUBLISHED)


@dataclass(frozen=True)
class Export:
    """A file to hand over: its name in Chinese (no folder in it), media type, bytes, and any warnings."""

    filename: str
    media_type: str
    data: bytes
    warnings: tuple[str, ...] = ()


def export_document(document_id: str, *, actor: str, now: dt.datetime, ports: Ports) -> Export:
    """Hand over one stored version under the name it was stored with (an attachment keeps its own).

    Raise DocumentNotFound for an id the store does not hold, NotReadable when the reading rules do not let
    the user have the version.
    """
    with ports.reading() as uow:
        user = acting_user(uow, actor, "导出文档")
        version = ports.documents.get(document_id)
        duty = _readable(uow, user, version)
    export = Export(_download_name(duty, version), version.media_type, ports.documents.read(version.id))
    _record(ports, now, actor, "export", version.id, export)
    return export


def reviewer_bundle(duty_id: str, *, actor: str, now: dt.datetime, ports: Ports) -> Export:
    """Hand over the 送审材料 of a duty as a .zip, each document the newest version, in filing order.

    Only a user who reads the duty whole may have it (NotReadable). A duty never submitted for review has no
    送审材料 (IllegalTransition: the state of the duty does not allow it yet, a conflict like any action its
    state refuses), and one whose stage documents are still being made would give an incomplete bundle
    (MachineWorkPending). The same state and `now` give the same bytes.
    """
    with ports.reading() as uow:
        user = acting_user(uow, actor, "导出送审材料")
        duty = uow.duties.get(duty_id)
        if not reads_whole(duty, user, scope_of(uow, duty)):
            raise NotReadable(actor, f"任务 {duty_id} 的送审材料")
        people = {u.id: u for u in uow.users.list()}
    if not Standing.of(duty).submitted:
        raise IllegalTransition(duty.id, duty.state.value, "导出送审材料", "尚未报送合法性审核")
    if pending(duty):
        raise MachineWorkPending(duty.id, "导出送审材料")
    entries = bundle_entries(duty, people, now=now, actor=user, ports=ports)
    export = Export(f"送审材料-{_title(duty)}.zip", ZIP_MEDIA_TYPE, zipped(entries, now))
    _record(ports, now, actor, "bundle", duty.id, export, f"{len(entries)} 个文件")
    return export


def ledger(
    notice_id: str,
    today: dt.date,
    *,
    actor: str,
    now: dt.datetime,
    ports: Ports,
    writer: LedgerWriter,
) -> Export:
    """Hand over the 督办台账 of a notice as of `today`, laid out by `writer`.

    The notice's coordinating office and administrators get every duty; anyone else gets the duties they may
    read (as on the notice board), and the title says so; someone who may read none of them is refused
    (NotReadable). Raise NoticeNotFound for a notice never ingested.
    """
    with ports.reading() as uow:
        user = acting_user(uow, actor, "导出督办台账")
        notice = uow.notices.get(notice_id)
        if notice is None:
            raise NoticeNotFound(notice_id)
        duties = uow.duties.list(notice_id)
        people = {u.id: u for u in uow.users.list()}
    scope = Scope(notice.coordinator.department, notice.coordinator.reviewer)
    whole = all(reads_whole(d, user, scope) for d in duties)
    sheet = ledger_of(notice, duties, people, today, user_id=actor, whole=whole, ports=ports)
    if not sheet.rows and not whole:
        raise NotReadable(actor, f"通知 {notice_id} 的督办台账")
    export = Export(f"督办台账-{notice_id}-{today.isoformat()}.xlsx", XLSX_MEDIA_TYPE, writer(sheet))
    detail = f"统计截至 {today.isoformat()}，{len(sheet.rows)} 项" + ("" if whole else "（仅可查看的任务）")
    _record(ports, now, actor, "ledger", notice_id, export, detail)
    return export


def compare_versions(
    old_id: str, new_id: str, *, actor: str, now: dt.datetime, ports: Ports, title: str | None = None
) -> Export:
    """Hand over the 修改对照表 of two stored versions of one duty's draft, as a .docx.

    Both must be readable by the user (NotReadable) and be versions of the text of the same duty: 征求意见稿,
    送审稿 or 发布稿 (InvalidInput otherwise). Reading warnings (tracked changes accepted) come with it.
    """
    with ports.reading() as uow:
        user = acting_user(uow, actor, "生成修改对照表")
        old, new = ports.documents.get(old_id), ports.documents.get(new_id)
        _readable(uow, user, old)
        _readable(uow, user, new)
    if old.duty_id != new.duty_id:
        raise InvalidInput(f"两个版本不属于同一任务：{old_id}、{new_id}")
    for version in (old, new):
        if version.kind not in COMPARABLE:
            names = "、".join(k.label for k in COMPARABLE)
            raise InvalidInput(f"{version.id} 是{version.kind.label}，只能比较{names}的不同版本")
    data, warnings = compare_drafts(
        (ports.documents.read(old.id), old.filename),
        (ports.documents.read(new.id), new.filename),
        wording=ports.wording,
        render=ports.render,
        title=title,
    )
    later = _named(new) if new.kind is not old.kind else f"第{new.version}版"
    export = Export(f"修改对照表-{_named(old)}与{later}.docx", DOCX_MEDIA_TYPE, data, warnings)
    _record(ports, now, actor, "compare", new.id, export, f"{old.id} → {new.id}")
    return export


def _readable(uow: UnitOfWork, user: User, version: DocumentVersion) -> Duty:
    """The version's duty; refuse a version the reading rules do not let the user have."""
    duty = uow.duties.get(version.duty_id)
    if not can_read_document(duty, version, user, scope_of(uow, duty)):
        raise NotReadable(user.id, version.id)
    return duty


def _download_name(duty: Duty, version: DocumentVersion) -> str:
    """A generated document is named by its duty's title and version (every duty has a 征求意见稿.docx, and a
    reviewer downloads many); an upload or a reply's attachment keeps the name it was given."""
    stored = safe_filename(version.filename, f"{version.kind.label}.docx")
    if version.origin is not Origin.GENERATED:
        return stored
    stem, suffix = PurePath(stored).stem, PurePath(stored).suffix or ".docx"
    return safe_filename(f"{_title(duty)[:80]}-{stem}-第{version.version}版{suffix}", stored)


def _named(version: DocumentVersion) -> str:
    return f"{version.kind.label}第{version.version}版"


def _title(duty: Duty) -> str:
    return safe_filename(duty.spec.title or duty.spec.document or duty.id, duty.id)


def _record(
    ports: Ports, now: dt.datetime, actor: str, action: str, subject: str, export: Export, detail: str = ""
) -> None:
    """Record the export in the audit trail, with what was handed over, in its own transaction."""
    digest = hashlib.sha256(export.data).hexdigest()
    said = "；".join(p for p in (export.filename, detail, f"sha256 {digest}") if p)
    with ports.uow() as uow:
        uow.audit.record(AuditRecord(now, actor, action, subject, said))
        uow.commit()
