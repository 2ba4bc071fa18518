"""Server-side editor sessions.

The cookie holds a random id; the table holds its SHA-256 only. Every sign-in makes a new
id (a session id planted before sign-in is worth nothing after it). A session ends when
unused for the idle time, at the absolute time after sign-in, at sign-out, or when its user
is disabled (checked on every request, not only at sign-in). ``last_seen_at`` is written at
most once a minute, so a busy editor does not cost a write per request; the idle window may
therefore end up to a minute early, never late.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.articles.editor import repository as repo
from services.articles.models import EditorSession, User

COOKIE = "hh_session"
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Policy:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class SignedIn:
    user: User
    row: EditorSession
    secret: str

    @property
    def csrf_token(self) -> str:
        return self.row.csrf_secret


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(session: Session, *, user: User, now: datetime, policy: Policy) -> str:
    """A new session for ``user``; returns the cookie's value (the only time it exists)."""
    # Expired rows are refused anyway; clearing them here keeps the table as small as the
    # number of people signed in, with no job to schedule.
    repo.delete_expired_sessions(session, now)
    secret = secrets.token_urlsafe(32)
    session.add(
        EditorSession(
            id_hash=digest(secret),
            user_id=user.id,
            csrf_secret=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            idle_expires_at=now + policy.idle,
            absolute_expires_at=now + policy.absolute,
        )
    )
    user.last_sign_in_at = now
    session.flush()
    return secret


def load(session: Session, *, secret: str, now: datetime, policy: Policy) -> SignedIn | None:
    """The live session this cookie names, or None (unknown, expired, user disabled)."""
    if not secret or len(secret) > 100:
        return None
    row = repo.get_session(session, digest(secret))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now >= row.absolute_expires_at or now >= row.idle_expires_at:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        row.idle_expires_at = min(now + policy.idle, row.absolute_expires_at)
    return SignedIn(user=user, row=row, secret=secret)


def end(session: Session, *, secret: str) -> None:
    if secret:
        repo.delete_session(session, digest(secret))


def csrf_matches(signed: SignedIn, supplied: str) -> bool:
    return hmac.compare_digest(signed.row.csrf_secret.encode(), supplied.encode())
