"""Where document versions live: the DocumentStore port (a folder of files, or the database)."""

from __future__ import annotations

from typing import Protocol

from engine.domain.drafting.versions import DocumentKind, DocumentVersion, NewDocument


class DocumentStore(Protocol):
    """Document versions and their bytes. The file adapter, the SQL adapter and the fake pass the same
    contract tests."""

    def put(self, document: NewDocument) -> DocumentVersion:
        """Store the bytes as the next version of the duty's document of that kind and variant, and return
        it; when they are the newest version's bytes already, return that version and store nothing.
        Raise ValueError (before writing anything) for what `NewDocument.check` refuses."""
        ...

    def get(self, document_id: str) -> DocumentVersion:
        """Return a version's record; raise DocumentNotFound when the store does not hold it."""
        ...

    def read(self, document_id: str) -> bytes:
        """Return a version's bytes; raise DocumentNotFound when the store does not hold them intact."""
        ...

    def versions(
        self, duty_id: str, kind: DocumentKind | None = None, variant: str | None = None
    ) -> list[DocumentVersion]:
        """Return a duty's versions, oldest first, optionally of one kind and variant."""
        ...

    def latest(self, duty_id: str, kind: DocumentKind, variant: str = "") -> DocumentVersion | None:
        """Return the newest version of a duty's document of one kind and variant, or None."""
        ...
