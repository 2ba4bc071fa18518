"""signin.attempt: at most VERIFY_SLOTS password checks at once; the rest refused at once.

Through the app on SQLite the requests queue at the database's write lock before any
password check, so the slots are shown here, on the function, with the lookup replaced."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2.exceptions import VerificationError
from sqlalchemy.orm import Session

from services.articles.editor import signin
from services.articles.editor.sessions import Policy
from services.articles.editor.throttle import Attempt, SignInThrottle
from shared.clients import ClientAddress
from tests.articles.editor.conftest import CountingHasher

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
POLICY = Policy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


def test_at_most_four_passwords_are_verified_at_once_then_429(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    gate = threading.Event()
    hasher = CountingHasher(gate)
    stored = hasher.hash("the stored password")

    def authenticate(session: Session, *, email: str, password: str, hasher: Any) -> None:
        """users.authenticate's password check, without the database."""
        with contextlib.suppress(VerificationError):
            hasher.verify(stored, password)

    monkeypatch.setattr(signin.users, "authenticate", authenticate)
    throttle = SignInThrottle(limit=1, email_limit=100, window=timedelta(minutes=15))
    guard = signin.SignInGuard(throttle, ClientAddress([]), hasher)

    def attempt(n: int) -> signin.Outcome:
        return signin.attempt(
            Session(), guard=guard, address=f"203.0.113.{n}", email="ann@example.org",
            password="a guess", old_secret="", now=NOW, policy=POLICY,
        )  # fmt: skip

    with ThreadPoolExecutor(signin.VERIFY_SLOTS) as pool:
        held = [pool.submit(attempt, n) for n in range(signin.VERIFY_SLOTS)]
        deadline = time.monotonic() + 10
        while hasher.running < signin.VERIFY_SLOTS and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hasher.running == signin.VERIFY_SLOTS
        # Every slot is taken: the next attempts are refused at once, with no password check.
        for n in range(100, 104):
            assert attempt(n) == signin.Outcome("busy", retry_after=signin.BUSY_RETRY_SECONDS)
        gate.set()
        assert [f.result().kind for f in held] == ["refused"] * signin.VERIFY_SLOTS
    assert hasher.verified == signin.VERIFY_SLOTS
    assert hasher.most_at_once == signin.VERIFY_SLOTS
    assert any("password checks running" in r.getMessage() for r in caplog.records)
    # A refusal for want of a slot is no failure: its reservation was taken back (with a
    # limit of one, a reservation left behind would refuse this).
    assert throttle.reserve(Attempt("203.0.113.100", "ann@example.org"), NOW) == 0
    assert throttle.reserve(Attempt("203.0.113.0", "ann@example.org"), NOW) > 0  # a failure
