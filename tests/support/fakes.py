"""Fakes of Banfa's ports, for fast service tests; each passes the same contract tests as the real adapter."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from engine.domain.drafting.versions import (
    DocumentKind,
    DocumentVersion,
    NewDocument,
    checksum,
)
from engine.domain.ports import (
    Dispatcher,
    DocumentStore,
    MailSession,
    MailTransport,
    Outgoing,
    PasswordHasher,
)
from engine.errors import DocumentNotFound, MailUnavailable


class InMemoryDocumentStore:
    """Keep document versions and their bytes in memory: the fake of the `DocumentStore` port."""

    def __init__(self) -> None:
        self._records: list[DocumentVersion] = []
        self._data: dict[str, bytes] = {}

    def put(self, document: NewDocument) -> DocumentVersion:
        """Store bytes as the next version; return the newest version unchanged when its checksum matches.

        Raise ValueError for what `NewDocument.check` refuses.
        """
        document.check()
        newest = self.latest(document.duty_id, document.kind, document.variant)
        if newest is not None and newest.checksum == checksum(document.data):
            return newest
        record = document.as_version(newest.version + 1 if newest else 1)
        self._records.append(record)
        self._data[record.id] = document.data
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


class RecordingDispatcher:
    """The fake of the Dispatcher port: remembers what it was asked to advance, and does no machine work."""

    def __init__(self) -> None:
        self.advanced: list[tuple[str, dt.datetime]] = []

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        self.advanced.append((duty_id, now))

    def reconcile(self, now: dt.datetime) -> list[str]:
        return []


class QuickPasswords:
    """The fake of the PasswordHasher port: salted SHA-256, fast where argon2 takes a tenth of a second."""

    def hash(self, password: str) -> str:
        salt = secrets.token_hex(8)
        return f"sha256${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"

    def verify(self, password: str, password_hash: str) -> bool:
        scheme, _, rest = password_hash.partition("$")
        salt, _, digest = rest.partition("$")
        if scheme != "sha256" or not digest:
            return False
        return secrets.compare_digest(hashlib.sha256((salt + password).encode()).hexdigest(), digest)


def _conforms(
    store: InMemoryDocumentStore,
    mailbox: MemoryMailbox,
    dispatcher: RecordingDispatcher,
    hasher: QuickPasswords,
) -> None:
    """mypy checks here that each fake is what its port says (engine.domain.ports)."""
    checked: tuple[DocumentStore, MailTransport, MailSession, Dispatcher, PasswordHasher] = (
        store,
        mailbox,
        mailbox,
        dispatcher,
        hasher,
    )
    del checked
