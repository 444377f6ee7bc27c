"""Hand mail over to an SMTP server: plain, STARTTLS or SSL, with an optional login and a private CA.

smtplib's errors are translated at this boundary into the three outcomes the sender must tell apart:
MailUnavailable (no session: nothing was sent), MailRejected (the server said no to this message: it was not
sent) and MailUncertain (the connection broke while the message was being handed over: the server may have
it). One SMTP connection carries a whole batch.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from engine.domain.ports import Outgoing
from engine.errors import MailRejected, MailUnavailable, MailUncertain

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
