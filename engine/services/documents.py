"""Compose, render and keep the documents of the drafting procedure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.domain.departments import Department, Registry
from engine.domain.drafting.compose import Drafting, Parties, compose_comparison, compose_duty
from engine.domain.drafting.content import Content
from engine.domain.drafting.history import EMPTY, History
from engine.domain.drafting.policy import Policy, Wording
from engine.domain.drafting.reading import read_draft
from engine.domain.drafting.text import DraftText, draft_title
from engine.domain.drafting.versions import DocumentKind, DocumentVersion, NewDocument, Origin
from engine.domain.intake.specs import Catalogue, DutySpec
from engine.domain.ports import DocumentStore
from engine.domain.workdays import WorkCalendar
from engine.errors import DutyNotFound, UnknownDepartment, UploadRejected

DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class DraftedDocument:
    """A rendered document and the file name people see: 征求意见稿.docx, 征求意见函-市贸工局.docx."""

    duty_id: str
    content: Content
    data: bytes
    filename: str


def find_duty(catalogues: Iterable[Catalogue], duty_id: str) -> tuple[Catalogue, DutySpec]:
    """Find a duty in the committed catalogues; raise DutyNotFound (also for a generic duty with no lead yet)."""
    for catalogue in catalogues:
        for duty in catalogue.ingestible:
            if duty.id == duty_id:
                return catalogue, duty
    raise DutyNotFound(duty_id)


def drafting_for(
    catalogue: Catalogue,
    duty: DutySpec,
    *,
    registry: Registry,
    calendar: WorkCalendar,
    today: dt.date,
    history: History = EMPTY,
    policy: Policy = DEFAULT_POLICY,
) -> Drafting:
    """Gather what compose needs for one duty: its departments, dates and history."""

    def departments(keys: Iterable[str]) -> tuple[Department, ...]:
        return tuple(registry.get(k) for k in keys)

    if duty.lead is None:
        raise UnknownDepartment(duty.lead_as_written or duty.id)
    reviewer = registry.get(catalogue.coordinator.reviewer) if catalogue.coordinator.reviewer else None
    parties = Parties(
        registry.get(duty.lead),
        departments(duty.co_departments),
        departments(duty.consultees),
        reviewer,
        catalogue.coordinator.office,
    )
    due = calendar.add_workdays(today, policy.reply_workdays)
    return Drafting(duty, catalogue.notice, parties, today, due, history, policy)


def draft_documents(
    duty_ids: Iterable[str],
    *,
    catalogues: list[Catalogue],
    registry: Registry,
    calendar: WorkCalendar,
    wording: Wording,
    render: Callable[[Content], bytes],
    today: dt.date,
    kinds: tuple[DocumentKind, ...],
) -> list[DraftedDocument]:
    """Compose and render the documents of duties from an empty history (no database needed)."""
    out: list[DraftedDocument] = []
    for duty_id in duty_ids:
        catalogue, duty = find_duty(catalogues, duty_id)
        drafting = drafting_for(catalogue, duty, registry=registry, calendar=calendar, today=today)
        for content in compose_duty(drafting, wording, kinds):
            out.append(DraftedDocument(duty.id, content, render(content), filename_for(content, registry)))
    return out


def filename_for(content: Content, registry: Registry) -> str:
    suffix = f"-{registry.get(content.variant).display}" if content.variant else ""
    return f"{content.kind.label}{suffix}.docx"


def compare_drafts(
    old: tuple[bytes, str],
    new: tuple[bytes, str],
    *,
    wording: Wording,
    render: Callable[[Content], bytes],
    title: str | None = None,
) -> tuple[bytes, tuple[str, ...]]:
    """Read two uploaded versions of a draft and render their 修改对照表; return it and any reading warnings."""
    before, after = read_draft(*old), read_draft(*new)
    name = title or draft_title(after) or draft_title(before) or Path(new[1]).stem
    content = compose_comparison(name, before, after, wording)
    return render(content), before.warnings + after.warnings


MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


def keep_draft(
    data: bytes,
    filename: str,
    *,
    duty_id: str,
    author: str,
    now: dt.datetime,
    store: DocumentStore,
    kind: DocumentKind = DocumentKind.DRAFT,
    warnings: tuple[str, ...] = (),
    text: DraftText | None = None,
) -> DocumentVersion:
    """Validate an officer's revised draft and keep it as the next version; a refused file changes nothing.

    Only a faithful .docx is kept (engine.domain.drafting.reading says why not); reading warnings, such as
    tracked changes read as accepted, are recorded on the version, after the caller's own `warnings`. A caller
    that has read the file already passes its `text`.
    """
    text = text or read_draft(data, filename)
    return store.put(
        NewDocument(
            duty_id,
            kind,
            data,
            filename,
            author,
            now,
            origin=Origin.UPLOADED,
            warnings=warnings + text.warnings,
        )
    )


def check_attachment(data: bytes, filename: str) -> None:
    """Refuse an attachment that cannot be kept: empty, or over the size cap."""
    if not data:
        raise UploadRejected(filename, "文件为空，请重新上传")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise UploadRejected(filename, f"附件过大（上限 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB）")


def keep_attachment(
    data: bytes,
    filename: str,
    *,
    duty_id: str,
    author: str,
    now: dt.datetime,
    store: DocumentStore,
    variant: str = "",
    media_type: str = "application/octet-stream",
) -> DocumentVersion:
    """Keep whatever an opinion carries (a scanned PDF with a seal, a spreadsheet) as it is, under a size cap."""
    check_attachment(data, filename)
    kind = DocumentKind.ATTACHMENT
    return store.put(
        NewDocument(duty_id, kind, data, filename, author, now, variant, Origin.UPLOADED, media_type)
    )
