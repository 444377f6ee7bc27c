"""The PasswordHasher port's contract, on the fake and on argon2 (pwdlib)."""

from __future__ import annotations

import pytest

from engine.adapters.passwords import Argon2Passwords
from engine.domain.ports import PasswordHasher
from tests.support.fakes import QuickPasswords


@pytest.fixture(params=["fake", "argon2"])
def hasher(request: pytest.FixtureRequest) -> PasswordHasher:
    return QuickPasswords() if request.param == "fake" else Argon2Passwords()


def test_a_hash_checks_its_password_and_no_other(hasher: PasswordHasher) -> None:
    kept = hasher.hash("密码abc12345")
    assert hasher.verify("密码abc12345", kept)
    assert not hasher.verify("密码abc12346", kept) and not hasher.verify("", kept)


def test_a_hash_is_salted_and_never_holds_the_password(hasher: PasswordHasher) -> None:
    first, second = hasher.hash("abc12345"), hasher.hash("abc12345")
    assert first != second and "abc12345" not in first


@pytest.mark.parametrize("kept", ["", "garbage", "$argon2id$v=19$broken", "sha256$$"])
def test_a_malformed_hash_checks_no_password(hasher: PasswordHasher, kept: str) -> None:
    assert not hasher.verify("abc12345", kept)


def test_argon2_is_the_hash_kept() -> None:
    assert Argon2Passwords().hash("abc12345").startswith("$argon2id$")
