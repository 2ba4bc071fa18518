"""The sign-in flow as one plain function: throttle, bounded password work, a new session.

Each argon2 verification takes 64 MiB and a core for a while: at most ``VERIFY_SLOTS`` run
at once per process. The slot is taken without waiting: when all are busy the answer is 429
with Retry-After at once, rather than a queue of requests holding threads (and memory) that
a burst of guesses could grow without bound. A sign-in refused that way never verified a
password, so its throttle reservation is taken back.

The password is checked outside any transaction: on SQLite a write transaction holds the
database's write lock, and an argon2 check inside one would make every publish wait for it.
The stored hash is read first; the session is written after, in a short transaction that
checks the user was not disabled, nor the password changed, meanwhile.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from argon2 import PasswordHasher

from services.articles.editor import passwords, sessions, users
from services.articles.editor.throttle import Attempt, SignInThrottle
from shared.clients import ClientAddress
from shared.db import Database

log = logging.getLogger("healthhub.articles.editor")
VERIFY_SLOTS = 4
BUSY_RETRY_SECONDS = 2


@dataclass
class SignInGuard:
    """What every sign-in of a process shares; built once, in ``install``."""

    throttle: SignInThrottle
    client_address: ClientAddress
    hasher: PasswordHasher = passwords.HASHER
    slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(VERIFY_SLOTS)
    )


@dataclass(frozen=True)
class Outcome:
    kind: Literal["signed_in", "refused", "throttled", "busy"]
    secret: str = ""  # the new session's cookie value, when signed in
    retry_after: int = 0


def attempt(
    db: Database,
    *,
    guard: SignInGuard,
    address: str,
    email: str,
    password: str,
    old_secret: str,
    now: datetime,
    policy: sessions.Policy,
) -> Outcome:
    tried = Attempt(address=address, email=users.normalise_email(email))
    wait = guard.throttle.reserve(tried, now)
    if wait:
        log.warning("editor: sign-in throttled for %s (retry in %ss)", address, wait)
        return Outcome("throttled", retry_after=wait)
    if not guard.slots.acquire(blocking=False):
        guard.throttle.release(tried, now)
        log.warning("editor: sign-in refused, %s password checks running", VERIFY_SLOTS)
        return Outcome("busy", retry_after=BUSY_RETRY_SECONDS)
    try:
        with db.reading() as session:
            found = users.credentials(session, email=email)
        ok, new_hash = passwords.verify(
            found.password_hash if found else None, password, guard.hasher
        )
    finally:
        guard.slots.release()
    if not ok or found is None:
        return Outcome("refused")  # the reservation stands as the failure
    with db.transaction() as session:
        user = users.confirm(session, found, new_hash)
        if user is None:
            return Outcome("refused")
        guard.throttle.succeeded(tried, now)
        # A new id on every sign-in: any id the browser held before (planted or not) ends
        # here.
        sessions.end(session, secret=old_secret)
        secret = sessions.start(session, user=user, now=now, policy=policy)
    return Outcome("signed_in", secret=secret)
