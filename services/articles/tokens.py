"""API tokens: random secrets shown once, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from services.articles import people, repository
from services.articles.errors import TokenNotFound
from services.articles.models import ApiToken
from services.articles.token_schemas import TokenCreate

Role = Literal["editor", "reviewer", "admin"]
# What a dependency may ask for: a role, or "staff" (anyone with a token may read drafts).
Needed = Literal["staff", "editor", "reviewer", "admin"]
# Roles are not a ladder any more: a medical reviewer reads and reviews but never edits or
# publishes, an editor writes and publishes but never approves their own work, and an admin
# does everything. Each role grants a set of what it may do.
ROLE_GRANTS: dict[str, frozenset[str]] = {
    "editor": frozenset({"staff", "editor"}),
    "reviewer": frozenset({"staff", "reviewer"}),
    "admin": frozenset({"staff", "editor", "reviewer", "admin"}),
}
TOKEN_PREFIX = "hh_"  # noqa: S105 - a public prefix, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, *, name: str, role: Role, now: datetime, person_id: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret (the only time it exists in clear).
    ``person_id``: the person a reviewer token acts as (its reviews are recorded in their name)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        role=role,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_at=now,
        person_id=person_id,
    )
    session.add(row)
    session.flush()
    return row, secret


def create_from(session: Session, *, data: TokenCreate, now: datetime) -> tuple[ApiToken, str]:
    """A token as the API and the editor ask for one: ``data.person`` names (by slug) the
    person it acts as; PersonNotFound if nobody has that slug."""
    person_id = people.resolve(session, [data.person])[0].id if data.person else None
    return create_token(session, name=data.name, role=data.role, now=now, person_id=person_id)


def get(session: Session, *, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise TokenNotFound(token_id)
    return row


def authenticate(session: Session, secret: str) -> ApiToken | None:
    """The live token for this secret, or None (unknown or revoked)."""
    row = repository.get_token_by_hash(session, hash_token(secret))
    if row is None or row.revoked_at is not None:
        return None
    return row


def role_grants(role: str, needed: Needed) -> bool:
    """Whether ``role`` may do what ``needed`` names: the one rule for API tokens and for
    people signed in to the editor."""
    return needed in ROLE_GRANTS.get(role, frozenset())


def has_role(token: ApiToken, needed: Needed) -> bool:
    return role_grants(token.role, needed)


def revoke(session: Session, *, token_id: int, now: datetime) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = now
    return True
