"""Fakes of Banfa's ports, for fast service tests; each passes the same contract tests as the real adapter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from engine.drafting.versions import (
    DOCX_MEDIA_TYPE,
    DocumentKind,
    DocumentVersion,
    Origin,
    check_put,
    checksum,
    document_id,
)
from engine.errors import DocumentNotFound, MailUnavailable
from engine.ports import Outgoing


class InMemoryDocumentStore:
    """Keep document versions and their bytes in memory: the fake of the `DocumentStore` port."""

    def __init__(self) -> None:
        self._records: list[DocumentVersion] = []
        self._data: dict[str, bytes] = {}

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
        """Store bytes as the next version; return the newest version unchanged when its checksum matches.

        Raise ValueError for a naive `now`, a duty id that is not an ASCII slug, or a variant that is not one.
        """
        check_put(duty_id, variant, now)
        newest = self.latest(duty_id, kind, variant)
        if newest is not None and newest.checksum == checksum(data):
            return newest
        number = newest.version + 1 if newest else 1
        record = DocumentVersion(
            id=document_id(duty_id, kind, variant, number),
            duty_id=duty_id,
            kind=kind,
            variant=variant,
            version=number,
            checksum=checksum(data),
            size=len(data),
            author=author,
            created=now,
            filename=filename,
            media_type=media_type,
            origin=origin,
            warnings=tuple(warnings),
        )
        self._records.append(record)
        self._data[record.id] = data
        return record

    def get(self, document_id: str) -> DocumentVersion:
        """Return a version's record; raise DocumentNotFound."""
        found = next((r for r in self._records if r.id == document_id), None)
        if found is None:
            raise DocumentNotFound(document_id)
        return found

    def read(self, document_id: str) -> bytes:
        """Return a version's bytes; raise DocumentNotFound."""
        return self._data[self.get(document_id).id]

    def versions(
        self, duty_id: str, kind: DocumentKind | None = None, variant: str | None = None
    ) -> list[DocumentVersion]:
        """List a duty's versions in the order stored, optionally of one kind and variant."""
        return [
            r
            for r in self._records
            if r.duty_id == duty_id and kind in (None, r.kind) and variant in (None, r.variant)
        ]

    def latest(self, duty_id: str, kind: DocumentKind, variant: str = "") -> DocumentVersion | None:
        """Return the newest version of a duty's document of one kind and variant, or None."""
        return max(self.versions(duty_id, kind, variant), key=lambda r: r.version, default=None)


class MemoryMailbox:
    """Keep handed-over mail in a list: the fake of the `MailTransport` port. `down` makes it unreachable."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.down = False

    @contextmanager
    def session(self) -> Iterator[MemoryMailbox]:
        if self.down:
            raise MailUnavailable("memory", "down")
        yield self

    def send(self, mail: Outgoing) -> None:
        self.sent.append(mail)
