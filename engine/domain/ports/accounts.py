"""Accounts: the credentials kept beside each user, and the hashing of passwords."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from engine.domain.workflow.accounts import Account, ApiToken


class AccountRepository(Protocol):
    """Each user's credentials and login state (the `User` itself carries no secret)."""

    def get(self, user_id: str) -> Account:
        """Return the user's account; raise UnknownUser when no user has the id."""
        ...

    def save(self, account: Account) -> None:
        """Store the account's credentials and login state; raise UnknownUser when no user has the id."""
        ...

    def add_token(self, token: ApiToken) -> None:
        """Keep a new API token; raise UnknownUser when no user has its user id."""
        ...

    def token(self, digest: str) -> ApiToken | None:
        """Return the token with this SHA-256 digest, revoked or not; None when there is none."""
        ...

    def revoke_tokens(self, user_id: str, now: dt.datetime) -> int:
        """Revoke every token of the user not yet revoked; return how many."""
        ...


class PasswordHasher(Protocol):
    """Hash passwords for keeping, and check a password against a kept hash (argon2 in the adapter)."""

    def hash(self, password: str) -> str:
        """Return a salted hash of the password, fit to store."""
        ...

    def verify(self, password: str, password_hash: str) -> bool:
        """Return whether the password is the one the hash was made from (False for a malformed hash)."""
        ...
