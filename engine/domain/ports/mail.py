"""How mail leaves Banfa: a transport opens a session, and a session hands over rendered messages."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """One rendered mail, ready for a transport: the envelope and the message's bytes."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]  # To and Cc addresses
    data: bytes
    keys: tuple[str, ...]  # the reminders it carries
    sent_on: dt.date
    reported: str = ""  # for a digest: the keys of the reminders it lists, space-separated


class MailSession(Protocol):
    """One open session with a mail server (or the outbox), for a batch of mails."""

    def send(self, mail: Outgoing) -> None:
        """Hand over one mail. Raise MailRejected when it was not sent (`permanent` says whether to try
        again later), MailUncertain when the server may have it, MailUnavailable when the session is gone."""
        ...


class MailTransport(Protocol):
    """SMTP, or the local outbox of .eml files."""

    def session(self) -> AbstractContextManager[MailSession]:
        """Open one session for a batch of mails; raise MailUnavailable when the server cannot be reached
        (nothing was sent)."""
        ...
