"""A document store whose disk fills up on demand: a real store wrapped, for the fault tests of issue 15.

`FullDiskStore` delegates everything to the store it wraps. Armed, it refuses every put that would write a
version with `OSError(ENOSPC)` before anything reaches the wrapped store, as a real disk refuses the first byte
it has no room for (the file adapter's atomic write and the database's rollback leave no half version either).
A put that stores nothing, because the newest version already holds those bytes, still succeeds: a real store
reads its manifest or row and writes nothing then. Unarmed, it passes the DocumentStore contract suite
(tests/integration/test_document_store.py).
"""

from __future__ import annotations

import errno
import os

from engine.domain.drafting.versions import DocumentKind, DocumentVersion, NewDocument, checksum
from engine.domain.ports import DocumentStore


class FullDiskStore:
    """Wrap a DocumentStore; `fill_after(n)` lets n more versions in, then the disk is full until `free()`."""

    def __init__(self, inner: DocumentStore) -> None:
        self.inner = inner
        self.refused: list[NewDocument] = []  # the puts the full disk turned away, in order
        self._room: int | None = None  # how many more versions fit; None while the disk is not armed

    def fill_after(self, versions: int = 0) -> None:
        """Arm the fault: the next `versions` new versions are stored, every one after them is refused."""
        if versions < 0:
            raise ValueError(f"room for a negative number of versions: {versions}")
        self._room = versions

    def free(self) -> None:
        """Disarm the fault, as an administrator who cleared the disk: every put goes through again."""
        self._room = None

    @property
    def full(self) -> bool:
        """Whether the next put that writes a version will be refused."""
        return self._room == 0

    def put(self, document: NewDocument) -> DocumentVersion:
        """Store through the wrapped store; raise OSError(ENOSPC) instead when the put would write and the
        disk is full. What `NewDocument.check` refuses is refused first, as by the real stores."""
        if self._room is None:
            return self.inner.put(document)
        document.check()
        if not self._writes(document):
            return self.inner.put(document)
        if self._room == 0:
            self.refused.append(document)
            where = f"{document.duty_id}/{document.kind.value}/{document.filename}"
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), where)
        stored = self.inner.put(document)
        self._room -= 1
        return stored

    def get(self, document_id: str) -> DocumentVersion:
        return self.inner.get(document_id)

    def read(self, document_id: str) -> bytes:
        return self.inner.read(document_id)

    def versions(
        self, duty_id: str, kind: DocumentKind | None = None, variant: str | None = None
    ) -> list[DocumentVersion]:
        return self.inner.versions(duty_id, kind, variant)

    def latest(self, duty_id: str, kind: DocumentKind, variant: str = "") -> DocumentVersion | None:
        return self.inner.latest(duty_id, kind, variant)

    def _writes(self, document: NewDocument) -> bool:
        """Whether storing the document would add a version (its bytes are not the newest version's)."""
        newest = self.inner.latest(document.duty_id, document.kind, document.variant)
        return newest is None or newest.checksum != checksum(document.data)


def _conforms(store: FullDiskStore) -> None:
    """mypy checks here that the fault is what the port says (engine.domain.ports)."""
    checked: DocumentStore = store
    del checked
