"""Session lifetime: idle and absolute expiry on the app's clock, disabled users, touches."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.articles.editor import users
from services.articles.models import EditorSession, User
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests.articles.editor.conftest import Clock, add_user, sign_in


def _rows(settings: ArticlesSettings) -> list[EditorSession]:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        rows = list(session.scalars(select(EditorSession)))
    db.dispose()
    return rows


def test_a_session_unused_for_the_idle_time_ends(
    settings: ArticlesSettings, client: TestClient, clock: Clock
) -> None:
    add_user(settings)
    sign_in(client)
    clock.advance(minutes=settings.editor_idle_minutes - 1)
    assert client.get("/editor/").status_code == 200  # used: the idle window moves on
    clock.advance(minutes=settings.editor_idle_minutes - 1)
    assert client.get("/editor/").status_code == 200
    clock.advance(minutes=settings.editor_idle_minutes)
    expired = client.get("/editor/")
    assert expired.status_code == 303
    assert expired.headers["location"].startswith("/editor/sign-in")


def test_a_session_ends_at_the_absolute_time_however_busy(
    settings: ArticlesSettings, client: TestClient, clock: Clock
) -> None:
    add_user(settings)
    sign_in(client)
    steps = settings.editor_absolute_hours * 60 // 20
    for _ in range(steps - 1):
        clock.advance(minutes=20)
        assert client.get("/editor/").status_code == 200
    clock.advance(minutes=20)
    assert client.get("/editor/").status_code == 303


def test_last_seen_is_written_at_most_once_a_minute(
    settings: ArticlesSettings, client: TestClient, clock: Clock
) -> None:
    add_user(settings)
    sign_in(client)
    signed_in_at = clock.now
    clock.advance(seconds=30)
    client.get("/editor/")
    [row] = _rows(settings)
    assert row.last_seen_at == signed_in_at
    clock.advance(seconds=31)
    client.get("/editor/")
    [row] = _rows(settings)
    assert row.last_seen_at == clock.now
    assert len(row.id_hash) == 64  # only the digest is stored
    assert row.id_hash != client.cookies.get("hh_session")


def test_disabling_a_user_locks_them_out_at_once(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    sign_in(client)
    assert client.get("/editor/").status_code == 200
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        users.disable_user(session, email="ann@example.org", now=datetime.now(UTC))
    db.dispose()
    assert client.get("/editor/").status_code == 303
    assert _rows(settings) == []
    assert sign_in(client).status_code == 400


def test_a_session_checks_its_user_on_every_request_not_only_at_sign_in(
    settings: ArticlesSettings, client: TestClient
) -> None:
    """Even when the sessions rows survive (a user disabled straight in the database, or
    a disable racing a request), a disabled user's cookie stops working."""
    add_user(settings)
    sign_in(client)
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        session.execute(update(User).values(disabled_at=datetime.now(UTC)))
    db.dispose()
    assert len(_rows(settings)) == 1
    assert client.get("/editor/").status_code == 303


def test_expired_sessions_are_cleared_at_the_next_sign_in(
    settings: ArticlesSettings, client: TestClient, clock: Clock
) -> None:
    add_user(settings)
    add_user(settings, "bo@example.org", name="Bo")
    sign_in(client)
    clock.advance(minutes=settings.editor_idle_minutes)
    client.cookies.clear()
    sign_in(client, "bo@example.org")
    [row] = _rows(settings)
    assert row.created_at == clock.now  # only Bo's fresh one is left
