"""Signing in and out: cookies, fixation, no enumeration, throttling, safe redirects."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.articles.app import create_app
from services.articles.editor import passwords, security, users
from services.articles.models import User
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests.articles.editor.conftest import (
    PASSWORD,
    Clock,
    add_user,
    client_at,
    counting_hasher,
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


def test_wrong_password_unknown_email_and_disabled_user_get_the_same_answer(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    add_user(settings, "gone@example.org", name="Gone")
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        users.disable_user(session, email="gone@example.org", now=datetime.now(UTC))
    db.dispose()
    wrong = sign_in(client, password="not the right password")
    unknown = sign_in(client, email="nobody@example.org")
    disabled = sign_in(client, email="gone@example.org")  # the right password
    assert wrong.status_code == unknown.status_code == disabled.status_code == 400
    for response in (wrong, unknown, disabled):
        assert "hh_session" not in response.headers.get("set-cookie", "")
    # The same page, word for word, but for the email typed (and the form's token).
    for other, typed in ((unknown, "nobody@example.org"), (disabled, "gone@example.org")):
        assert csrf_out(other.text).replace(typed, "ann@example.org") == csrf_out(wrong.text)


def test_unknown_email_disabled_user_and_wrong_password_each_do_one_real_check(
    settings: ArticlesSettings, client: TestClient
) -> None:
    """The same argon2 work for every failure: the time taken tells nothing."""
    add_user(settings)
    add_user(settings, "gone@example.org", name="Gone")
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        users.disable_user(session, email="gone@example.org", now=datetime.now(UTC))
    db.dispose()
    hasher = counting_hasher(client)
    for email, password in (
        ("nobody@example.org", PASSWORD),
        ("gone@example.org", PASSWORD),
        ("ann@example.org", "not the right password"),
    ):
        before = hasher.verified
        assert sign_in(client, email=email, password=password).status_code == 400
        assert hasher.verified == before + 1, email


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
    limited = sign_in(client)  # even the right password: this address is guessing
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 15 * 60
    # Another email from the same address is limited too (per-address count).
    assert sign_in(client, email="other@example.org").status_code == 429
    clock.advance(minutes=settings.editor_sign_in_window_minutes)
    assert sign_in(client).status_code == 303


def test_failures_from_other_addresses_do_not_lock_an_editor_out(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    for n in range(settings.editor_sign_in_failures):
        attacker = client_at(client, f"203.0.113.{n + 1}")
        assert sign_in(attacker, password="wrong password!").status_code == 400
    assert sign_in(client_at(client, "198.51.100.7")).status_code == 303


def test_the_email_limit_holds_across_addresses(
    settings: ArticlesSettings, client: TestClient
) -> None:
    email_limit = 5
    throttle = client.app.state.editor_sign_in.throttle  # type: ignore[attr-defined]
    throttle.email_limit = email_limit
    add_user(settings)
    for n in range(email_limit):
        attacker = client_at(client, f"203.0.113.{n + 1}")
        assert sign_in(attacker, password="wrong password!").status_code == 400
    # Ann herself, from a fresh address, with the right password: the email is under attack.
    assert sign_in(client_at(client, "198.51.100.7")).status_code == 429
    # Another email from that address is not.
    add_user(settings, "bo@example.org", name="Bo")
    assert sign_in(client_at(client, "198.51.100.7"), "bo@example.org").status_code == 303


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    limit = settings.editor_sign_in_failures
    untrusted = client_at(client, "203.0.113.9")
    for n in range(limit):
        # Each guess claims another address; the peer is not a proxy, so it is the client.
        forged = {"X-Forwarded-For": f"192.0.2.{n + 1}"}
        assert _sign_in_with(untrusted, forged, password="wrong password!").status_code == 400
    assert _sign_in_with(untrusted, {"X-Forwarded-For": "192.0.2.200"}).status_code == 429
    # From the trusted gateway (127.0.0.1), the header names the client: each its own count.
    gateway = client_at(client, "127.0.0.1")
    for _ in range(limit):
        proxied = {"X-Forwarded-For": "192.0.2.50"}
        assert _sign_in_with(gateway, proxied, password="wrong password!").status_code == 400
    assert _sign_in_with(gateway, {"X-Forwarded-For": "192.0.2.50"}).status_code == 429
    assert _sign_in_with(gateway, {"X-Forwarded-For": "192.0.2.51"}).status_code == 303


def test_a_success_clears_the_pair_count_but_not_the_address_count(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    add_user(settings, "bo@example.org", name="Bo")
    limit = settings.editor_sign_in_failures
    for _ in range(limit - 1):
        assert sign_in(client, password="wrong password!").status_code == 400
    assert sign_in(client).status_code == 303  # Ann's pair count is cleared...
    # ...but the address keeps its nine failures (a success is not one): one more failure,
    # for any email, and the address is refused, Ann's right password included.
    assert sign_in(client, "bo@example.org", password="wrong password!").status_code == 400
    assert sign_in(client).status_code == 429
    # Had the success counted as a failure, or the pair not been cleared, the tenth would
    # have been refused before verifying; show the pair alone: a fresh address for Ann.
    assert sign_in(client_at(client, "198.51.100.7")).status_code == 303


def test_parallel_guesses_verify_at_most_the_limit(
    settings: ArticlesSettings, client: TestClient
) -> None:
    """The count is reserved before the password is checked: 30 guesses at once for one
    email from one address verify at most the limit, however the threads interleave."""
    add_user(settings)
    hasher = counting_hasher(client, delay=0.02)
    # Room for all 30 at once: the throttle alone is what this shows (the slots, test_signin).
    client.app.state.editor_sign_in.slots = threading.BoundedSemaphore(30)  # type: ignore[attr-defined]
    form = client.get("/editor/sign-in")
    data = {"email": "ann@example.org", "password": "wrong password!",
            "csrf_token": csrf_from(form.text)}  # fmt: skip
    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(lambda _: client.post("/editor/sign-in", data=data).status_code,
                              range(30)))  # fmt: skip
    assert hasher.verified <= settings.editor_sign_in_failures
    assert codes.count(400) == hasher.verified
    assert set(codes) <= {400, 429}


def _sign_in_with(
    browser: TestClient, headers: dict[str, str], password: str = PASSWORD
) -> httpx.Response:
    form = browser.get("/editor/sign-in")
    response: httpx.Response = browser.post(
        "/editor/sign-in",
        data={"email": "ann@example.org", "password": password, "csrf_token": csrf_from(form.text)},
        headers=headers,
    )
    return response


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example", "https://evil.example", "/\\evil.example", "/elsewhere", "javascript:x",
        "/editor/../api/v1/articles", "/editor/%2e%2e/api/v1/articles", "/editor/%2E%2E/api",
        "/editor/..%2Fapi/v1/articles", "/editor/x/../../api", "/editorial", "/editor..",
        "/%65ditor/../api",
    ],
)  # fmt: skip
def test_next_never_leaves_the_editor(
    settings: ArticlesSettings, client: TestClient, target: str
) -> None:
    add_user(settings)
    response = sign_in(client, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/editor/"


@pytest.mark.parametrize("target", ["/editor", "/editor/articles/1?x=1", "/editor/admin/users"])
def test_next_may_name_any_editor_page(target: str) -> None:
    assert security.safe_next(target) == target


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
    hasher = counting_hasher(client)
    assert sign_in(client, email="a" * 100_000 + "@example.org").status_code == 400
    assert hasher.verified == 1  # an unknown email: checked against the dummy hash
    assert sign_in(client, password="p" * 1_000_000).status_code == 400
    assert hasher.verified == 1  # over the maximum: never hashed
    assert sign_in(client).status_code == 303
    assert hasher.verified == 2
