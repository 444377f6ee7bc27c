"""Hand mail over: to an SMTP server, or, with none configured, to a local outbox of .eml files.

An adapter. smtplib's errors are translated at this boundary into the three outcomes the sender must tell
apart: MailUnavailable (no session: nothing was sent), MailRejected (the server said no to this message: it
was not sent) and MailUncertain (the connection broke while the message was being handed over: the server may
have it). One SMTP connection carries a whole batch.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path
from typing import Literal

from engine.atomic import write_atomic
from engine.errors import MailRejected, MailUnavailable, MailUncertain
from engine.ports import Outgoing

Security = Literal["none", "starttls", "ssl"]


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int = 25
    security: Security = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None  # a private CA to trust besides the system's (an intranet relay's own)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"


class SmtpSession:
    def __init__(self, client: smtplib.SMTP, server: str) -> None:
        self.client, self.server = client, server

    def send(self, mail: Outgoing) -> None:
        # Recipients refused among others are not an error: the message went, and a retry would duplicate it.
        try:
            self.client.sendmail(mail.sender, list(mail.recipients), mail.data)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailRejected(mail.message_id, str(exc), permanent=min(codes) >= 500) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise MailRejected(mail.message_id, str(exc), permanent=exc.smtp_code >= 500) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise MailUncertain(mail.message_id, str(exc) or "连接中断") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUncertain(mail.message_id, str(exc)) from exc


class SmtpTransport:
    """An SMTP server, reached over plain SMTP, STARTTLS or SSL, with optional login."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def _connect(self) -> smtplib.SMTP:
        """An open, secured and logged-in client; on any failure the connection is closed again."""
        s = self.server
        context = ssl.create_default_context(cafile=s.ca_file)
        if s.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                client.starttls(context=context)
            if s.username:
                client.login(s.username, s.password or "")
        except BaseException:
            client.close()
            raise
        return client

    @contextmanager
    def session(self) -> Iterator[SmtpSession]:
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(self.server.name, str(exc) or type(exc).__name__) from exc
        except UnicodeEncodeError as exc:  # smtplib sends the login as ASCII
            raise MailUnavailable(self.server.name, "用户名和口令只能包含 ASCII 字符") from exc
        try:
            yield SmtpSession(client, self.server.name)
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


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
