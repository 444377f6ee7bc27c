"""The embedded default for mail: each message becomes an .eml file in `<data dir>/outbox`, listed on demand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path

from engine.adapters.atomic import write_atomic
from engine.domain.ports import Outgoing
from engine.errors import MailUnavailable, MailUncertain

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def outbox_name(mail: Outgoing) -> str:
    """The file name of a mail in the outbox: its day, then its message id made safe for a file system."""
    return f"{mail.sent_on.isoformat()}_{_UNSAFE.sub('_', mail.message_id.strip('<>'))}.eml"


class OutboxSession:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, mail: Outgoing) -> None:
        """Write the message atomically; the same message id always lands in the same file."""
        try:
            write_atomic(self.folder / outbox_name(mail), mail.data)
        except OSError as exc:
            raise MailUncertain(mail.message_id, str(exc)) from exc


class OutboxTransport:
    """The embedded default: each mail becomes one .eml file in `<data dir>/outbox`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def session(self) -> Iterator[OutboxSession]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MailUnavailable(str(self.folder), str(exc)) from exc
        yield OutboxSession(self.folder)


@dataclass(frozen=True)
class OutboxEntry:
    path: Path
    date: str
    to: str
    subject: str
    kind: str
    duty: str


def read_outbox(folder: Path) -> list[OutboxEntry]:
    """List the outbox's messages in file-name order (their day first), with the headers people look for."""
    parser = BytesHeaderParser(policy=default)
    entries = []
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
        with path.open("rb") as fh:
            headers = parser.parse(fh)
        entries.append(
            OutboxEntry(
                path,
                str(headers.get("Date", "")),
                str(headers.get("To", "")),
                str(headers.get("Subject", "")),
                str(headers.get("X-Banfa-Kind", "")),
                str(headers.get("X-Banfa-Duty", "")),
            )
        )
    return entries
