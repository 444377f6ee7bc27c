"""Versions of documents, as the `DocumentStore` port (engine.domain.ports) keeps them.

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

from engine.domain.intake.specs import ID_PATTERN


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

    @property
    def label(self) -> str:
        """How a person reads it: 系统生成 or 上传."""
        return "系统生成" if self is Origin.GENERATED else "上传"


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


@dataclass(frozen=True)
class NewDocument:
    """Bytes to keep as a document's next version, with what they are; a store numbers them.

    `created` must be timezone-aware, and the duty id and variant ASCII slugs: `check` refuses anything else
    before a store writes a byte, so that every store refuses alike.
    """

    duty_id: str
    kind: DocumentKind
    data: bytes
    filename: str
    author: str
    created: dt.datetime
    variant: str = ""
    origin: Origin = Origin.GENERATED
    media_type: str = DOCX_MEDIA_TYPE
    warnings: tuple[str, ...] = ()

    def check(self) -> None:
        """Raise ValueError for a naive time, or a duty id or variant that is not an ASCII slug."""
        if self.created.utcoffset() is None:
            raise ValueError(f"now must be timezone-aware: {self.created!r}")
        if not ID_PATTERN.fullmatch(self.duty_id):
            raise ValueError(f"duty id must be an ASCII slug: {self.duty_id!r}")
        document_id(self.duty_id, self.kind, self.variant, 1)  # checks the variant

    def as_version(self, number: int) -> DocumentVersion:
        """The record of these bytes stored as version `number`."""
        return DocumentVersion(
            id=document_id(self.duty_id, self.kind, self.variant, number),
            duty_id=self.duty_id,
            kind=self.kind,
            variant=self.variant,
            version=number,
            checksum=checksum(self.data),
            size=len(self.data),
            author=self.author,
            created=self.created,
            filename=self.filename,
            media_type=self.media_type,
            origin=self.origin,
            warnings=tuple(self.warnings),
        )


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
