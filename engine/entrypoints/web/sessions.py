"""Portal sessions in a signed cookie: who is logged in, the session generation they logged in with, when they
were last active, and the CSRF token their forms carry.

The cookie is signed with a secret every portal process shares (BANFA_PORTAL_SECRET, or a file kept in the
data directory), so any worker reads any session. It holds no password and nothing a person could change to
become someone else: a tampered cookie fails its signature and reads as no session. Logging out and a password
change bump the account's generation in the database, which ends every session that carries an older one.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "banfa_session"
SECRET_FILE = "portal-secret"


@dataclass(frozen=True)
class PortalSession:
    """What the cookie carries. An anonymous visitor has a session too: the login form needs its CSRF token."""

    csrf: str
    user_id: str | None = None
    generation: int = 0
    last_seen: float = 0.0  # seconds since the epoch, UTC
    must_change: bool = False  # the password must be changed before anything else

    @classmethod
    def anonymous(cls) -> PortalSession:
        return cls(csrf=secrets.token_urlsafe(32))

    def logged_in(self, user_id: str, generation: int, must_change: bool, now: dt.datetime) -> PortalSession:
        """A new session for the user, with a new CSRF token (no token from before the login stays valid)."""
        return PortalSession(secrets.token_urlsafe(32), user_id, generation, now.timestamp(), must_change)

    def seen(self, now: dt.datetime) -> PortalSession:
        return replace(self, last_seen=now.timestamp())

    def idle(self, now: dt.datetime, timeout: dt.timedelta) -> bool:
        return now.timestamp() - self.last_seen > timeout.total_seconds()

    def csrf_matches(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())


class SessionCodec:
    """Sign and read the session cookie."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt="banfa-portal-session")

    def dumps(self, session: PortalSession) -> str:
        return self._serializer.dumps(
            [session.csrf, session.user_id, session.generation, session.last_seen, session.must_change]
        )

    def loads(self, value: str | None) -> PortalSession | None:
        """The session in the cookie; None when there is none or it was not signed with our secret."""
        if not value:
            return None
        try:
            csrf, user_id, generation, last_seen, must_change = self._serializer.loads(value)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(csrf, str) or not (user_id is None or isinstance(user_id, str)):
            return None
        return PortalSession(csrf, user_id, int(generation), float(last_seen), bool(must_change))


def portal_secret(data_dir: Path, given: str | None) -> str:
    """The signing secret: the one given as a setting, else the one kept in the data directory, made once.

    Made with O_EXCL, so two portal workers starting together agree on one secret: the loser reads the winner's.
    """
    if given:
        return given
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the winner may not have written it yet
            text = path.read_text(encoding="ascii").strip()
            if text:
                return text
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(48))
        fh.flush()
        os.fsync(fh.fileno())
    return path.read_text(encoding="ascii").strip()
