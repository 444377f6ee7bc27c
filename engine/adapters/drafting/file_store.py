"""Keep document versions as files: the file adapter of the `DocumentStore` port.

Layout under `root` (`<data dir>/documents`):

    <duty_id>/manifest.json                   every version of the duty, a JSON list in the order stored
    <duty_id>/.lock                           held with flock during a put, so processes take turns
    <duty_id>/<kind>[/<variant>]/v<N><ext>    the bytes; ext from the filename (.docx, .pdf, …), else .bin

The manifest is the truth; a file it does not list is ignored. Every write is atomic (a temporary file in the
same folder, fsync, os.replace), and the bytes are written before the manifest entry, so a crash in between
leaves an orphan file that the next put of that version replaces: no duplicate version, and no entry pointing
at a missing file. Readers take no lock: they see the old manifest or the new one, never half of one.

Errors: an unknown or malformed id, an entry whose path leaves the duty's folder, a listed file that is
missing, and a file whose bytes no longer match the recorded checksum all raise `DocumentNotFound`: the
document as recorded is not available. A naive `now` or a duty id that is not an ASCII slug raises ValueError
(the caller's mistake). A manifest that is not valid JSON or not a list of version records raises
DocumentStoreCorrupt (an OSError): the store itself is damaged, and put refuses to write over the history.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from engine.adapters.atomic import write_atomic
from engine.domain.drafting.versions import (
    DocumentKind,
    DocumentVersion,
    NewDocument,
    Origin,
    checksum,
)
from engine.domain.intake.specs import ID_PATTERN
from engine.errors import DocumentNotFound, DocumentStoreCorrupt

_DUTY_ID = ID_PATTERN
_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")
_MANIFEST = "manifest.json"
_LOCK = ".lock"
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Entry:
    """A manifest record: the version and its file, relative to the duty's folder."""

    version: DocumentVersion
    file: str


class FileDocumentStore:
    """Store document versions as files under one root, with a JSON manifest per duty."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, document: NewDocument) -> DocumentVersion:
        """Store bytes as the next version; return the newest version unchanged when its checksum matches.

        Raise ValueError for what `NewDocument.check` refuses.
        """
        document.check()
        folder = self._folder(document.duty_id)
        assert folder is not None  # check refused anything else
        return _store(folder, document)

    def get(self, document_id: str) -> DocumentVersion:
        """Return a version's record; raise DocumentNotFound, also when its file is missing."""
        return self._locate(document_id)[0]

    def read(self, document_id: str) -> bytes:
        """Return a version's bytes; raise DocumentNotFound, also when they no longer match the checksum."""
        record, path = self._locate(document_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise DocumentNotFound(document_id) from exc
        if checksum(data) != record.checksum:
            raise DocumentNotFound(document_id)
        return data

    def versions(
        self, duty_id: str, kind: DocumentKind | None = None, variant: str | None = None
    ) -> list[DocumentVersion]:
        """List a duty's versions, oldest first, optionally of one kind and variant.

        Oldest first is the order of storing. A duty id that is not an ASCII slug has no versions.
        """
        folder = self._folder(duty_id)
        if folder is None:
            return []
        return [
            e.version
            for e in _load(folder)
            if (kind is None or e.version.kind == kind) and (variant is None or e.version.variant == variant)
        ]

    def latest(self, duty_id: str, kind: DocumentKind, variant: str = "") -> DocumentVersion | None:
        """Return the newest version of a duty's document of one kind and variant, or None."""
        return max(self.versions(duty_id, kind, variant), key=lambda v: v.version, default=None)

    def _folder(self, duty_id: str) -> Path | None:
        """Return the duty's folder, or None when the id is not a slug and so must not become a path."""
        return self.root / duty_id if _DUTY_ID.fullmatch(duty_id) else None

    def _locate(self, document_id: str) -> tuple[DocumentVersion, Path]:
        """Find a version's record and file by its id alone, never building a path from the id itself."""
        folder = self._folder(document_id.split(".", 1)[0])
        if folder is None:
            raise DocumentNotFound(document_id)
        entry = next((e for e in _load(folder) if e.version.id == document_id), None)
        if entry is None:
            raise DocumentNotFound(document_id)
        path = (folder / entry.file).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            raise DocumentNotFound(document_id)
        return entry.version, path


def _store(folder: Path, document: NewDocument) -> DocumentVersion:
    """Under the duty's lock, return the newest version if it holds these bytes, else add the next one."""
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / _LOCK):
        entries = _load(folder)
        newest = max(
            (
                e.version
                for e in entries
                if (e.version.kind, e.version.variant) == (document.kind, document.variant)
            ),
            key=lambda v: v.version,
            default=None,
        )
        if newest is not None and newest.checksum == checksum(document.data):
            return newest
        record = document.as_version(newest.version + 1 if newest else 1)
        entry = _Entry(record, _relative_file(record))
        write_atomic(folder / entry.file, document.data)
        _save(folder, [*entries, entry])
    return record


def _relative_file(record: DocumentVersion) -> str:
    """Name a version's file: kind, variant when there is one, v<N> and the filename's extension."""
    suffix = Path(record.filename).suffix.lower()
    ext = suffix if _EXTENSION.fullmatch(suffix) else ".bin"
    return "/".join(p for p in (record.kind.value, record.variant, f"v{record.version}{ext}") if p)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created when missing); closing the descriptor releases it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _save(folder: Path, entries: list[_Entry]) -> None:
    """Write the manifest: indented UTF-8 JSON, Chinese as written, keys sorted, datetimes in ISO 8601."""
    items = [
        {
            **asdict(e.version),
            "created": e.version.created.isoformat(),
            "warnings": list(e.version.warnings),
            "file": e.file,
        }
        for e in entries
    ]
    text = json.dumps(items, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    write_atomic(folder / _MANIFEST, text.encode("utf-8"))


def _load(folder: Path) -> list[_Entry]:
    """Read the manifest; a missing one is empty, a damaged one raises DocumentStoreCorrupt."""
    path = folder / _MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    try:
        items = json.loads(raw.decode("utf-8"))
        if not isinstance(items, list):
            raise TypeError("the manifest is not a JSON list")
        return [_entry(item) for item in items]
    except (ValueError, TypeError, KeyError) as exc:
        raise DocumentStoreCorrupt(str(path), str(exc)) from exc


def _entry(item: Any) -> _Entry:
    """Rebuild one manifest record; raise TypeError, KeyError or ValueError when it is malformed."""
    if not isinstance(item, dict):
        raise TypeError(f"a record is not a JSON object: {item!r}")
    warnings = _field(item, "warnings", list)
    if not all(isinstance(w, str) for w in warnings):
        raise TypeError(f"warnings must be strings: {warnings!r}")
    created = dt.datetime.fromisoformat(_field(item, "created", str))
    if created.utcoffset() is None:
        raise ValueError(f"created has no UTC offset: {created!r}")
    text = {k: _field(item, k, str) for k in ("id", "duty_id", "variant", "checksum", "author", "filename")}
    version = DocumentVersion(
        **text,
        kind=DocumentKind(_field(item, "kind", str)),
        version=_field(item, "version", int),
        size=_field(item, "size", int),
        created=created,
        media_type=_field(item, "media_type", str),
        origin=Origin(_field(item, "origin", str)),
        warnings=tuple(warnings),
    )
    return _Entry(version, _field(item, "file", str))


def _field(item: dict[str, Any], key: str, kind: type[_T]) -> _T:
    """Return item[key] when it has the expected JSON type (a bool is not an int here)."""
    value = item[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{key} must be {kind.__name__}: {value!r}")
    return value
