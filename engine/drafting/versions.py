"""Versions of documents, behind the `DocumentStore` port.

Every generated or uploaded document is a `DocumentVersion`: duty, kind, variant (the consultee of a 征求意见函),
version number, checksum, size, author, time and origin. A store keeps the bytes and the manifest of versions;
`put` is idempotent: storing the same bytes again as the newest version of the same duty, kind and variant
returns that version instead of adding one, so a retried or re-run step never duplicates a document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from engine.ids import ID_PATTERN


class DocumentKind(StrEnum):
    """The papers of the procedure (domain.md §2); the value is the ASCII name used in ids, files and the CLI."""

    DRAFT = "draft"
    EXPLANATION = "explanation"
    CONSULTATION_LETTER = "consultation-letter"
    ADOPTION_TABLE = "adoption-table"
    REVIEW_DRAFT = "review-draft"
    REVIEW_LETTER = "review-letter"
    LEGALITY_OPINION = "legality-opinion"
    PUBLISHED = "published"
    COMPARISON = "comparison"
    ATTACHMENT = "attachment"  # anything an opinion carries, such as a scanned PDF with a seal

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    DocumentKind.DRAFT: "征求意见稿",
    DocumentKind.EXPLANATION: "起草说明",
    DocumentKind.CONSULTATION_LETTER: "征求意见函",
    DocumentKind.ADOPTION_TABLE: "意见采纳情况表",
    DocumentKind.REVIEW_DRAFT: "送审稿",
    DocumentKind.REVIEW_LETTER: "送审函",
    DocumentKind.LEGALITY_OPINION: "审核意见书",
    DocumentKind.PUBLISHED: "发布稿",
    DocumentKind.COMPARISON: "修改对照表",
    DocumentKind.ATTACHMENT: "附件",
}


class Origin(StrEnum):
    GENERATED = "generated"
    UPLOADED = "uploaded"


DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_VARIANT = re.compile(r"^[a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class DocumentVersion:
    """One stored version. `id` is ASCII and stable: downloads are served by it, never by a path."""

    id: str
    duty_id: str
    kind: DocumentKind
    variant: str
    version: int
    checksum: str
    size: int
    author: str
    created: dt.datetime
    filename: str
    media_type: str
    origin: Origin
    warnings: tuple[str, ...] = ()


def document_id(duty_id: str, kind: DocumentKind, variant: str, version: int) -> str:
    """Make a version's id: sfb2007-129-02-02-1-caizheng.consultation-letter.maogong.v2."""
    if not _VARIANT.fullmatch(variant):
        raise ValueError(f"variant must be an ASCII slug: {variant!r}")
    return ".".join(p for p in (duty_id, kind.value, variant, f"v{version}") if p)


def check_put(duty_id: str, variant: str, now: dt.datetime) -> None:
    """Refuse what no store may keep, before anything is written: a naive time, a duty id or a variant that
    is not an ASCII slug. Every adapter calls this first, so they refuse alike."""
    if now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware: {now!r}")
    if not ID_PATTERN.fullmatch(duty_id):
        raise ValueError(f"duty id must be an ASCII slug: {duty_id!r}")
    document_id(duty_id, DocumentKind.DRAFT, variant, 1)  # checks the variant


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DocumentStore(Protocol):
    """Where document versions live. The file adapter and the SQL adapter pass the same contract tests."""

    def put(
        self,
        *,
        duty_id: str,
        kind: DocumentKind,
        data: bytes,
        filename: str,
        author: str,
        now: dt.datetime,
        variant: str = "",
        origin: Origin = Origin.GENERATED,
        media_type: str = DOCX_MEDIA_TYPE,
        warnings: tuple[str, ...] = (),
    ) -> DocumentVersion:
        """Store bytes as the next version; return the newest version unchanged when its checksum matches."""
        ...

    def get(self, document_id: str) -> DocumentVersion:
        """Return a version's record; raise DocumentNotFound."""
        ...

    def read(self, document_id: str) -> bytes:
        """Return a version's bytes; raise DocumentNotFound."""
        ...

    def versions(
        self, duty_id: str, kind: DocumentKind | None = None, variant: str | None = None
    ) -> list[DocumentVersion]:
        """List a duty's versions, oldest first, optionally of one kind and variant."""
        ...

    def latest(self, duty_id: str, kind: DocumentKind, variant: str = "") -> DocumentVersion | None:
        """Return the newest version of a duty's document of one kind and variant, or None."""
        ...
