"""Signing in and out: cookies, fixation, no enumeration, throttling, safe redirects."""

from __future__ import annotations

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.articles.app import create_app
from services.articles.editor import passwords
from services.articles.models import User
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests.articles.editor.conftest import (
    PASSWORD,
    Clock,
    add_user,
    csrf_from,
    set_session_cookie,
    sign_in,
)


def _set_cookie(response: httpx.Response, name: str) -> str:
    headers = response.headers.get_list("set-cookie")
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert found, headers
    return str(found[0])


def test_signing_in_sets_a_locked_down_cookie_and_goes_where_asked(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    asked = client.get("/editor/articles/1?x=1")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/editor/sign-in?next=%2Feditor%2Farticles%2F1%3Fx%3D1"
    response = sign_in(client, next="/editor/articles/1?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/editor/articles/1?x=1"
    cookie = _set_cookie(response, "hh_session").lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/editor" in cookie
    assert "secure" not in cookie  # HEALTHHUB_ENVIRONMENT=test; production sets Secure
    assert client.get("/editor/").status_code == 200


def test_each_sign_in_makes_a_new_session_id_and_ends_the_old_one(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    sign_in(client)
    first = client.cookies.get("hh_session")
    sign_in(client)
    second = client.cookies.get("hh_session")
    assert first and second and first != second
    set_session_cookie(client, first)
    assert client.get("/editor/").status_code == 303


def test_a_planted_session_id_is_not_kept_by_sign_in(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    set_session_cookie(client, "chosen-by-the-attacker")
    sign_in(client)
    assert client.cookies.get("hh_session") != "chosen-by-the-attacker"


def test_wrong_password_unknown_email_and_disabled_user_get_the_same_answer(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    wrong = sign_in(client, password="not the right password")
    unknown = sign_in(client, email="nobody@example.org")
    assert wrong.status_code == unknown.status_code == 400
    assert "hh_session" not in wrong.headers.get("set-cookie", "")
    # The same page, word for word, but for the email typed (and the form's token).
    unknown_page = csrf_out(unknown.text).replace("nobody@example.org", "ann@example.org")
    assert unknown_page == csrf_out(wrong.text)


def csrf_out(html: str) -> str:
    return html.replace(csrf_from(html), "TOKEN")


def test_an_empty_form_is_re_rendered_with_422(
    settings: ArticlesSettings, client: TestClient
) -> None:
    response = sign_in(client, email="", password="")
    assert response.status_code == 422
    assert 'id="email"' in response.text and "Enter your email" in response.text


def test_ten_failures_then_429_with_retry_after_until_the_window_passes(
    settings: ArticlesSettings, client: TestClient, clock: Clock
) -> None:
    add_user(settings)
    for _ in range(settings.editor_sign_in_failures):
        assert sign_in(client, password="wrong password!").status_code == 400
    limited = sign_in(client)  # even the right password: the email is being guessed
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 15 * 60
    # Another email from the same address is limited too (per-address count).
    assert sign_in(client, email="other@example.org").status_code == 429
    clock.advance(minutes=settings.editor_sign_in_window_minutes)
    assert sign_in(client).status_code == 303


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "/\\evil.example", "/elsewhere", "javascript:x"],
)
def test_next_never_leaves_the_editor(
    settings: ArticlesSettings, client: TestClient, target: str
) -> None:
    add_user(settings)
    response = sign_in(client, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/editor/"


def test_the_sign_in_form_is_csrf_protected(settings: ArticlesSettings, client: TestClient) -> None:
    add_user(settings)
    client.get("/editor/sign-in")
    forged = client.post(
        "/editor/sign-in",
        data={"email": "ann@example.org", "password": "correct horse battery staple",
              "csrf_token": "guessed"},
    )  # fmt: skip
    assert forged.status_code == 403
    assert "hh_session" not in client.cookies
    foreign = client.post(
        "/editor/sign-in",
        data={"email": "ann@example.org", "password": "correct horse battery staple",
              "csrf_token": csrf_from(client.get("/editor/sign-in").text)},
        headers={"Origin": "https://evil.example"},
    )  # fmt: skip
    assert foreign.status_code == 403
    assert "hh_session" not in client.cookies


def test_sign_out_ends_the_session_and_the_old_cookie_no_longer_works(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    sign_in(client)
    old = client.cookies.get("hh_session")
    token = csrf_from(client.get("/editor/").text)
    out = client.post("/editor/sign-out", data={"csrf_token": token})
    assert out.status_code == 303
    assert out.headers["location"] == "/editor/sign-in"
    assert old
    set_session_cookie(client, old)
    replay = client.get("/editor/")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/editor/sign-in")


def test_in_production_the_cookies_are_secure(settings: ArticlesSettings, clock: Clock) -> None:
    add_user(settings)
    # model_copy skips validation: the production checks (passwords in URLs) are not the point.
    production = settings.model_copy(update={"environment": "production"})
    app = create_app(production, clock=clock)
    https = "https://testserver"  # a browser sends Secure cookies back over https only
    with TestClient(app, base_url=https, follow_redirects=False) as client:
        form = client.get("/editor/sign-in")
        assert "secure" in _set_cookie(form, "hh_sign_in").lower()
        response = client.post(
            "/editor/sign-in",
            data={
                "email": "ann@example.org",
                "password": PASSWORD,
                "csrf_token": csrf_from(form.text),
            },
        )
        assert response.status_code == 303
        assert "secure" in _set_cookie(response, "hh_session").lower()


def test_signing_in_replaces_a_hash_made_with_older_parameters(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        session.execute(update(User).values(password_hash=weak))
    assert sign_in(client).status_code == 303
    with db.transaction() as session:
        stored = session.scalars(select(User.password_hash)).one()
    db.dispose()
    assert stored != weak
    assert not passwords.HASHER.check_needs_rehash(stored)


def test_an_enormous_email_or_password_is_an_ordinary_failure(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    assert sign_in(client, email="a" * 100_000 + "@example.org").status_code == 400
    assert sign_in(client, password="p" * 1_000_000).status_code == 400
    assert sign_in(client).status_code == 303
