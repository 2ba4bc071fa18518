"""Password hashing: argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile).

``verify`` answers a second hash when the stored one was made with other parameters, so
raising the cost later upgrades each password the next time its owner signs in. An unknown
email is verified against a dummy hash, so its answer takes as long as a wrong password's.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
# Long enough for any passphrase; short enough that nobody makes us hash a megabyte.
MAX_LENGTH = 256
HASHER = PasswordHasher()


class PasswordRejected(ValueError):
    """A new password that does not meet the rules (too short, too long)."""


def check_new(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"A password has at most {MAX_LENGTH} characters.")


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    check_new(password)
    return hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return HASHER.hash("not anybody's password, only something to verify against")


def verify(
    stored: str | None, password: str, hasher: PasswordHasher = HASHER
) -> tuple[bool, str | None]:
    """(matches, new hash or None). ``stored`` None: no such user; the work is done anyway.
    A password over the maximum never matches and is not hashed (its length is not a
    secret: it says nothing about any account)."""
    if len(password) > MAX_LENGTH:
        return False, None
    try:
        hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored is None:
        return False, None
    if hasher.check_needs_rehash(stored):
        return True, hasher.hash(password)
    return True, None
