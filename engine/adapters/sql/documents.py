"""Keep document versions in the database: the SQL adapter of the `DocumentStore` port.

Each version is one row of `documents`, record and bytes together; `seq` keeps the order of storing. There is
no foreign key to `duties`: `banfa draft` renders documents before a duty row exists.

Each put is one transaction, and puts for the same duty take turns before reading the newest version: on
SQLite the transaction begins IMMEDIATE (one writer at a time), on PostgreSQL it takes an advisory lock on the
duty. Retrying on a unique-key conflict instead is not enough: under steady load the loser of one race can
lose the next one too. The unique key (duty, kind, variant, version) still guards against any other writer.

Errors are those of the file adapter: an unknown or malformed id, or bytes that no longer match the recorded
checksum, raise `DocumentNotFound`; a naive `now`, or a duty id or variant that is not an ASCII slug, raise
ValueError before anything is written. A put the database cannot take (its disk is full, it stays locked, it
cannot be reached) raises DatabaseUnavailable, an OSError, as a full disk does in the file adapter, and the
transaction leaves no row behind.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from engine.adapters.sql.connection import begin_immediate, connected, take_turns, unavailable
from engine.adapters.sql.schema import documents
from engine.domain.drafting.versions import (
    DocumentKind,
    DocumentVersion,
    NewDocument,
    Origin,
    checksum,
)
from engine.domain.intake.specs import ID_PATTERN
from engine.errors import DocumentNotFound

_DUTY_ID_LENGTH = 80
_DOCUMENT_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9-]+){1,2}\.v[1-9][0-9]*")
_RECORD = [documents.c[f.name] for f in fields(DocumentVersion)]  # every column but seq and the bytes


class SqlDocumentStore:
    """Store document versions and their bytes as rows of the `documents` table."""

    def __init__(self, db_engine: Engine) -> None:
        self.db_engine = db_engine

    def put(self, document: NewDocument) -> DocumentVersion:
        """Store bytes as the next version; return the newest version unchanged when its checksum matches.

        Raise ValueError for what `NewDocument.check` refuses, and for a duty id longer than 80 characters.
        """
        document.check()
        if not _is_duty_id(document.duty_id):
            raise ValueError(
                f"duty id must be an ASCII slug of at most {_DUTY_ID_LENGTH} characters: {document.duty_id!r}"
            )
        return self._store(document)

    def get(self, document_id: str) -> DocumentVersion:
        """Return a version's record; raise DocumentNotFound."""
        if not _DOCUMENT_ID.fullmatch(document_id):
            raise DocumentNotFound(document_id)
        with connected(self.db_engine) as conn:
            row = conn.execute(sa.select(*_RECORD).where(documents.c.id == document_id)).first()
        if row is None:
            raise DocumentNotFound(document_id)
        return _version(row)

    def read(self, document_id: str) -> bytes:
        """Return a version's bytes; raise DocumentNotFound, also when they no longer match the checksum."""
        if not _DOCUMENT_ID.fullmatch(document_id):
            raise DocumentNotFound(document_id)
        query = sa.select(documents.c.data, documents.c.checksum).where(documents.c.id == document_id)
        with connected(self.db_engine) as conn:
            row = conn.execute(query).first()
        if row is None or checksum(row.data) != row.checksum:
            raise DocumentNotFound(document_id)
        return bytes(row.data)

    def versions(
        self, duty_id: str, kind: DocumentKind | None = None, variant: str | None = None
    ) -> list[DocumentVersion]:
        """List a duty's versions, oldest first, optionally of one kind and variant.

        Oldest first is the order of storing. A duty id that is not an ASCII slug has no versions.
        """
        if not _is_duty_id(duty_id):
            return []
        query = sa.select(*_RECORD).where(documents.c.duty_id == duty_id).order_by(documents.c.seq)
        if kind is not None:
            query = query.where(documents.c.kind == kind.value)
        if variant is not None:
            query = query.where(documents.c.variant == variant)
        with connected(self.db_engine) as conn:
            return [_version(row) for row in conn.execute(query)]

    def latest(self, duty_id: str, kind: DocumentKind, variant: str = "") -> DocumentVersion | None:
        """Return the newest version of a duty's document of one kind and variant, or None."""
        if not _is_duty_id(duty_id):
            return None
        with connected(self.db_engine) as conn:
            return _newest(conn, duty_id, kind, variant)

    def _store(self, document: NewDocument) -> DocumentVersion:
        """In one write transaction, return the newest version if it holds these bytes, else add the next."""
        try:
            with begin_immediate(self.db_engine) as conn:
                take_turns(conn, f"banfa.documents:{document.duty_id}")
                newest = _newest(conn, document.duty_id, document.kind, document.variant)
                if newest is not None and newest.checksum == checksum(document.data):
                    return newest
                record = document.as_version(newest.version + 1 if newest else 1)
                conn.execute(sa.insert(documents).values(**_row(record), data=document.data))
        except sa.exc.OperationalError as exc:  # its message would carry the SQL and the document's bytes
            raise unavailable(self.db_engine, exc) from exc
        return record


def _is_duty_id(duty_id: str) -> bool:
    """Tell whether a duty id is an ASCII slug that fits the duty_id column."""
    return len(duty_id) <= _DUTY_ID_LENGTH and ID_PATTERN.fullmatch(duty_id) is not None


def _newest(conn: Connection, duty_id: str, kind: DocumentKind, variant: str) -> DocumentVersion | None:
    """Read the newest version of one document of a duty, or None."""
    query = (
        sa.select(*_RECORD)
        .where(documents.c.duty_id == duty_id, documents.c.kind == kind.value, documents.c.variant == variant)
        .order_by(documents.c.version.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else _version(row)


def _row(record: DocumentVersion) -> dict[str, Any]:
    """Turn a record into column values: enums as their values, warnings as a JSON list."""
    values = {f.name: getattr(record, f.name) for f in fields(record)}
    return {
        **values,
        "kind": record.kind.value,
        "origin": record.origin.value,
        "warnings": list(record.warnings),
    }


def _version(row: sa.Row[Any]) -> DocumentVersion:
    """Rebuild a record from a row of the record columns."""
    values = dict(row._mapping)
    return DocumentVersion(
        **{
            **values,
            "kind": DocumentKind(values["kind"]),
            "origin": Origin(values["origin"]),
            "warnings": tuple(values["warnings"]),
        }
    )
