"""Fixtures of the editor tests: an app with a clock the test moves, users, signing in."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.articles.app import create_app
from services.articles.editor import users
from services.articles.models import User
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests import conftest as root_conftest

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite only, for most editor tests: the screens are a layer over the API's own
    functions, whose tests run on both databases. A module whose screens query the database
    for themselves (lists and search, review due, the numbers' read model) runs on both: it
    imports ``both_backends`` from here as ``backend``."""
    return str(request.param)


both_backends = root_conftest.backend


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: ArticlesSettings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def add_user(
    settings: ArticlesSettings,
    email: str = "ann@example.org",
    role: str = "editor",
    password: str = PASSWORD,
    name: str = "Ann Lee",
) -> None:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        users.create_user(
            session, email=email, name=name, role=role, password=password,
            now=datetime.now(UTC),
        )  # fmt: skip
    db.dispose()


def is_disabled(settings: ArticlesSettings, email: str) -> bool:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        disabled = user.disabled_at is not None
    db.dispose()
    return disabled


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def sign_in(
    client: TestClient, email: str = "ann@example.org", password: str = PASSWORD, next: str = ""
) -> httpx.Response:
    form = client.get("/editor/sign-in")
    assert form.status_code == 200
    response: httpx.Response = client.post(
        "/editor/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(form.text),
            "next": next,
        },
    )
    return response


def page_token(client: TestClient, path: str = "/editor/") -> str:
    """The CSRF token of the signed-in session, as a page carries it."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def set_session_cookie(client: TestClient, value: str) -> None:
    """Put ``value`` in the browser's hh_session cookie, as a replayed or planted one."""
    for cookie in list(client.cookies.jar):
        if cookie.name == "hh_session":
            client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    # The cookie jar files a host without a dot under "<host>.local" (RFC 2965).
    client.cookies.set("hh_session", value, domain="testserver.local", path="/editor")


class CountingHasher(PasswordHasher):
    """The real argon2id hasher (cheap parameters), counting its verifications and how many
    ran at once. ``gate``, when given, holds each verification until it is set; ``delay``
    makes each last that long (as a real one does), so that concurrent requests overlap."""

    def __init__(self, gate: threading.Event | None = None, delay: float = 0.0) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.gate = gate
        self.delay = delay
        self.verified = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.verified += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.gate is not None:
                assert self.gate.wait(10), "the test never opened the gate"
            time.sleep(self.delay)
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


def counting_hasher(client: TestClient, delay: float = 0.0) -> CountingHasher:
    """Put a counting hasher in the app's sign-in (what every password check goes through)."""
    hasher = CountingHasher(delay=delay)
    client.app.state.editor_sign_in.hasher = hasher  # type: ignore[attr-defined]
    return hasher


def client_at(client: TestClient, address: str) -> TestClient:
    """Another browser on the same app, at ``address`` (the ASGI peer)."""
    return TestClient(
        client.app, client=(address, 50000), raise_server_exceptions=False, follow_redirects=False
    )
