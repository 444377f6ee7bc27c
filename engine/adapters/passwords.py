"""Hash and check passwords with argon2 (pwdlib): the PasswordHasher port."""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher


class Argon2Passwords:
    """argon2id with pwdlib's defaults (about 50 ms a hash here, which is what makes guessing slow)."""

    def __init__(self) -> None:
        self._hash = PasswordHash((Argon2Hasher(),))

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        try:
            return self._hash.verify(password, password_hash)
        except PwdlibError:  # a hash no enabled hasher knows: not this password
            return False
