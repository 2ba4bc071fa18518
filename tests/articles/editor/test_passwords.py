"""Password hashing: argon2id, limits, rehash when the parameters change, dummy verification."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from services.articles.editor import passwords
from tests.articles.editor.conftest import CountingHasher


def test_a_password_is_stored_as_an_argon2id_hash_that_verifies() -> None:
    stored = passwords.hash_password("a long enough password")
    assert stored.startswith("$argon2id$")
    assert "a long enough password" not in stored
    assert passwords.verify(stored, "a long enough password") == (True, None)
    assert passwords.verify(stored, "a long enough passworD") == (False, None)


def test_a_hash_made_with_older_parameters_is_replaced_on_verify() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    stored = passwords.hash_password("a long enough password", hasher=weak)
    ok, new_hash = passwords.verify(stored, "a long enough password")
    assert ok
    assert new_hash is not None and new_hash != stored
    assert not passwords.HASHER.check_needs_rehash(new_hash)
    assert passwords.verify(new_hash, "a long enough password") == (True, None)
    # A wrong password never earns a new hash.
    assert passwords.verify(stored, "not the password") == (False, None)


@pytest.mark.parametrize("password", ["short", "x" * 11, "x" * 257])
def test_passwords_too_short_or_too_long_are_refused(password: str) -> None:
    with pytest.raises(passwords.PasswordRejected):
        passwords.hash_password(password)


def test_a_huge_password_is_not_hashed_and_an_unknown_user_never_matches() -> None:
    hasher = CountingHasher()
    stored = hasher.hash("a long enough password")
    assert passwords.verify(stored, "x" * 1_000_000, hasher) == (False, None)
    assert hasher.verified == 0
    assert passwords.verify(None, "a long enough password", hasher) == (False, None)
    assert hasher.verified == 1  # against the dummy hash, as long as a real check


def test_an_unknown_user_and_a_wrong_password_each_cost_one_real_check() -> None:
    hasher = CountingHasher()
    stored = hasher.hash("a long enough password")
    passwords.verify(None, "a long enough password", hasher)
    assert hasher.verified == 1
    passwords.verify(stored, "the wrong password", hasher)
    assert hasher.verified == 2
