"""signin.attempt: at most VERIFY_SLOTS password checks at once; the rest refused at once;
and no password is checked while a write transaction is open (real database)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.articles.editor import signin
from services.articles.editor.sessions import Policy
from services.articles.editor.throttle import Attempt, SignInThrottle
from services.articles.settings import ArticlesSettings
from shared.clients import ClientAddress
from shared.db import Database
from tests.articles.editor.conftest import CountingHasher, add_user

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
POLICY = Policy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


@pytest.fixture
def db(settings: ArticlesSettings) -> Iterator[Database]:
    add_user(settings)
    database = Database(settings.articles_database_url)
    yield database
    database.dispose()


def test_at_most_four_passwords_are_verified_at_once_then_429(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    gate = threading.Event()
    hasher = CountingHasher(gate)
    throttle = SignInThrottle(limit=1, email_limit=100, window=timedelta(minutes=15))
    guard = signin.SignInGuard(throttle, ClientAddress([]), hasher)

    def attempt(n: int) -> signin.Outcome:
        return signin.attempt(
            db, guard=guard, address=f"203.0.113.{n}", email="ann@example.org",
            password="a guess", old_secret="", now=NOW, policy=POLICY,
        )  # fmt: skip

    with ThreadPoolExecutor(signin.VERIFY_SLOTS) as pool:
        held = [pool.submit(attempt, n) for n in range(signin.VERIFY_SLOTS)]
        deadline = time.monotonic() + 10
        while hasher.running < signin.VERIFY_SLOTS and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hasher.running == signin.VERIFY_SLOTS
        # Four password checks are running, and none holds a transaction: a write (a
        # publish, on SQLite the database's write lock) goes through meanwhile.
        started = time.monotonic()
        with db.transaction() as session:
            session.execute(text("UPDATE users SET email = email"))
        assert time.monotonic() - started < 2
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
