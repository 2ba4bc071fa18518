"""Admin screens: who may use them (admins only, with CSRF), editor users and API tokens."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from tests.articles.editor.admin_helpers import ADMIN, api_get, assert_html, sign_in_admin
from tests.articles.editor.conftest import PASSWORD, add_user, page_token, sign_in
from tests.helpers import auth, make_token

SCREENS = (
    "/editor/admin/people",
    "/editor/admin/people/new",
    "/editor/admin/people/anyone/edit",
    "/editor/admin/categories",
    "/editor/admin/categories/new",
    "/editor/admin/categories/health/edit",
    "/editor/admin/users",
    "/editor/admin/tokens",
    "/editor/admin/tokens/1/revoke",
)
ACTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    ("/editor/admin/people/new", {"name": "Eve"}),
    ("/editor/admin/people/anyone/edit", {"name": "Eve", "slug": "eve"}),
    ("/editor/admin/categories/new", {"name": "X", "slug": "x", "review_interval_months": "6"}),
    ("/editor/admin/categories/health/edit",
     {"name": "Hacked", "slug": "health", "review_interval_months": "6"}),
    ("/editor/admin/users",
     {"email": "eve@example.org", "name": "Eve", "role": "admin", "password": PASSWORD}),
    ("/editor/admin/users/disable", {"email": ADMIN}),
    ("/editor/admin/users/role", {"email": "ann@example.org", "role": "admin"}),
    ("/editor/admin/tokens", {"name": "Eve's", "role": "admin"}),
    ("/editor/admin/tokens/1/revoke", {}),
)  # fmt: skip
_SECRET = re.compile(r"hh_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def token(settings: ArticlesSettings) -> str:
    return make_token(settings, "admin", name="the test's token")


def _state(client: TestClient, token: str) -> object:
    """What the API sees of everything an admin screen can change."""
    return [
        api_get(client, token, path)
        for path in ("/api/v1/people", "/api/v1/categories", "/api/v1/tokens")
    ]


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_every_admin_screen_and_action_is_403_without_the_admin_role(
    settings: ArticlesSettings, client: TestClient, token: str, role: str
) -> None:
    add_user(settings, ADMIN, role="admin", name="Root")
    add_user(settings, role=role)
    sign_in(client)
    csrf = page_token(client)
    before = _state(client, token)
    for path in SCREENS:
        assert "needs the admin role" in assert_html(client.get(path), 403), path
    for path, data in ACTIONS:
        refused = client.post(path, data={**data, "csrf_token": csrf})
        assert "needs the admin role" in assert_html(refused, 403), path
    assert _state(client, token) == before
    assert sign_in(client, "eve@example.org").status_code != 303  # no user was made
    nav = client.get("/editor/").text
    assert "/editor/admin/" not in nav  # the navigation does not offer them


def test_admin_posts_without_the_csrf_token_are_refused_and_change_nothing(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    sign_in_admin(settings, client)
    before = _state(client, token)
    for path, data in ACTIONS:
        for csrf in ({}, {"csrf_token": "forged"}):
            refused = client.post(path, data={**data, **csrf})
            assert "Request refused" in assert_html(refused, 403), path
    assert _state(client, token) == before
    for path in SCREENS:  # all open to an admin (nobody has the slug "anyone": 404)
        expected = 404 if path.endswith("anyone/edit") else 200
        assert_html(client.get(path), expected)
    nav = client.get("/editor/").text
    for screen in ("people", "categories", "users", "tokens"):
        assert f'href="/editor/admin/{screen}"' in nav


def test_a_token_made_on_the_screen_works_against_the_api_and_is_shown_once(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    made = client.post(
        "/editor/admin/tokens", data={"name": "Newsroom CMS", "role": "editor", "csrf_token": csrf}
    )
    html = assert_html(made, 201)
    assert "will not be shown again" in html
    [secret] = set(_SECRET.findall(html))
    # The secret works as an editor token: it lists articles, and may not manage tokens.
    assert client.get("/api/v1/articles", headers=auth(secret)).status_code == 200
    assert client.get("/api/v1/tokens", headers=auth(secret)).status_code == 403
    listed = {t["name"]: t for t in api_get(client, token, "/api/v1/tokens")}
    assert listed["Newsroom CMS"]["role"] == "editor"
    assert secret.startswith(listed["Newsroom CMS"]["prefix"])
    # Never again: not on the list, not on the revoke page.
    page = client.get("/editor/admin/tokens").text
    assert "Newsroom CMS" in page and secret not in page and not _SECRET.search(page)
    revoke_page = client.get(f"/editor/admin/tokens/{listed['Newsroom CMS']['id']}/revoke")
    assert secret not in revoke_page.text


def test_a_reviewer_token_acts_as_a_person_and_an_unknown_person_is_a_form_error(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    client.post(
        "/api/v1/people",
        json={"name": "Dr Amara Lindqvist", "slug": "amara-lindqvist"},
        headers=auth(token),
    )
    data = {"name": "Amara's", "role": "reviewer", "csrf_token": csrf}
    made = client.post("/editor/admin/tokens", data={**data, "person": "amara-lindqvist"})
    assert_html(made, 201)
    refused = client.post("/editor/admin/tokens", data={**data, "person": "nobody-here"})
    html = assert_html(refused, 422)
    assert "No person with slug &#39;nobody-here&#39;" in html
    assert 'value="Amara&#39;s"' in html  # the input is kept
    roles = {t["name"]: t["person"] for t in api_get(client, token, "/api/v1/tokens")}
    assert roles == {"the test's token": None, "Amara's": "amara-lindqvist"}


def test_token_form_errors_are_422_beside_the_fields(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    for data, field in (
        ({"name": "   ", "role": "editor"}, "name"),
        ({"name": "x" * 201, "role": "editor"}, "name"),
        ({"name": "Bad role", "role": "owner"}, "role"),
        ({"role": "editor"}, "name"),
        ({"name": "No role"}, "role"),
        ({"name": "Nul\x00", "role": "editor"}, "name"),
    ):
        html = assert_html(
            client.post("/editor/admin/tokens", data={**data, "csrf_token": csrf}), 422
        )
        assert f'id="{field}-error"' in html, data
        assert f'aria-describedby="{field}-hint {field}-error" aria-invalid="true"' in html
    assert len(api_get(client, token, "/api/v1/tokens")) == 1


def test_revoking_asks_first_then_the_token_stops_working(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    victim = make_token(settings, "editor", name="Old CMS")
    [row] = [t for t in api_get(client, token, "/api/v1/tokens") if t["name"] == "Old CMS"]
    confirm = assert_html(client.get(f"/editor/admin/tokens/{row['id']}/revoke"), 200)
    assert "cannot be undone" in confirm and "Old CMS" in confirm
    assert client.get("/api/v1/articles", headers=auth(victim)).status_code == 200  # not yet
    done = client.post(f"/editor/admin/tokens/{row['id']}/revoke", data={"csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/editor/admin/tokens"
    assert client.get("/api/v1/articles", headers=auth(victim)).status_code == 401
    again = assert_html(client.get(f"/editor/admin/tokens/{row['id']}/revoke"), 200)
    assert "already revoked" in again and 'action="/editor/admin/tokens/' not in again
    assert client.get("/api/v1/articles", headers=auth(token)).status_code == 200  # others live


@pytest.mark.parametrize(
    "odd", ["999", "0", "-1", "abc", "99999999999", "1" * 5000, "2147483648", "%C2%B2", "1.0"]
)
def test_odd_token_ids_are_404_pages(
    settings: ArticlesSettings, client: TestClient, token: str, odd: str
) -> None:
    csrf = sign_in_admin(settings, client)
    assert_html(client.get(f"/editor/admin/tokens/{odd}/revoke"), 404)
    assert_html(client.post(f"/editor/admin/tokens/{odd}/revoke", data={"csrf_token": csrf}), 404)
    assert all(t["revoked_at"] is None for t in api_get(client, token, "/api/v1/tokens"))


def test_an_admin_creates_a_user_who_can_then_sign_in(
    settings: ArticlesSettings, client: TestClient
) -> None:
    csrf = sign_in_admin(settings, client)
    data = {"email": " Bo@Example.org ", "name": "Bo <script>x</script>", "role": "reviewer"}
    made = client.post(
        "/editor/admin/users", data={**data, "password": PASSWORD, "csrf_token": csrf}
    )
    assert made.status_code == 303 and made.headers["location"] == "/editor/admin/users"
    page = client.get("/editor/admin/users").text
    assert "bo@example.org" in page
    assert "Bo &lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    other = TestClient(client.app, raise_server_exceptions=False, follow_redirects=False)
    assert sign_in(other, "bo@example.org").status_code == 303
    assert other.get("/editor/").status_code == 200
    assert other.get("/editor/admin/users").status_code == 403  # a reviewer


def test_user_form_errors_keep_the_input_but_never_the_password(
    settings: ArticlesSettings, client: TestClient
) -> None:
    csrf = sign_in_admin(settings, client)
    good = {"email": "bo@example.org", "name": "Bo", "role": "editor", "password": PASSWORD}
    cases = (
        ({"email": "not-an-email"}, "email", 422),
        ({"name": " "}, "name", 422),
        ({"role": "owner"}, "role", 422),
        ({"password": "short"}, "password", 422),
        ({"person": "nobody"}, "person", 422),
        ({"email": ADMIN.upper()}, "email", 409),
    )
    for change, field, status in cases:
        sent = {**good, **change, "csrf_token": csrf}
        html = assert_html(client.post("/editor/admin/users", data=sent), status)
        assert f'id="{field}-error"' in html, change
        assert PASSWORD not in html and 'value="short"' not in html
        assert f'value="{sent["name"]}"' in html  # kept
    assert "bo@example.org" not in client.get("/editor/admin/users").text


def test_an_admin_changes_another_users_role_but_not_their_own(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings, "bo@example.org", role="editor", name="Bo")
    csrf = sign_in_admin(settings, client)
    bo = TestClient(client.app, raise_server_exceptions=False, follow_redirects=False)
    sign_in(bo, "bo@example.org")
    assert bo.get("/editor/admin/people").status_code == 403
    changed = client.post(
        "/editor/admin/users/role",
        data={"email": "bo@example.org", "role": "admin", "csrf_token": csrf},
    )
    assert changed.status_code == 303
    assert bo.get("/editor/admin/people").status_code == 200  # at once, same session
    for data, status in (
        ({"email": ADMIN, "role": "editor"}, 409),
        ({"email": "nobody@example.org", "role": "editor"}, 404),
        ({"email": "bo@example.org", "role": "owner"}, 422),
        ({}, 422),
    ):
        assert_html(
            client.post("/editor/admin/users/role", data={**data, "csrf_token": csrf}), status
        )
    assert client.get("/editor/admin/people").status_code == 200  # still an admin


def test_signed_out_visitors_are_sent_to_sign_in_from_every_admin_screen(
    client: TestClient,
) -> None:
    for path in SCREENS:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/editor/sign-in?next=")


def test_odd_bodies_get_a_4xx_page_never_a_500(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    header = {"X-CSRF-Token": csrf}
    answers = [
        client.post("/editor/admin/people/new", json={"name": "Eve"}, headers=header),
        client.post("/editor/admin/tokens", content=b"\xff\xfe=\x00", headers={
            **header, "Content-Type": "application/x-www-form-urlencoded"}),
        client.post("/editor/admin/categories/new", files={"name": ("a.txt", b"x")},
                    data={"slug": "x", "review_interval_months": "1"}, headers=header),
        client.post("/editor/admin/people/new", data={"name": "x" * 100_000}, headers=header),
        client.post("/editor/admin/users", data={"email": "a@b.c" * 1000, "name": "A",
                    "role": "editor", "password": "p" * 10_000}, headers=header),
    ]  # fmt: skip
    for response in answers:
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith("text/html")
    assert len(api_get(client, token, "/api/v1/tokens")) == 1
    assert api_get(client, token, "/api/v1/people") == []


def test_token_names_are_escaped_on_every_token_page(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    xss = '"><script>alert(1)</script>'
    made = client.post(
        "/editor/admin/tokens", data={"name": xss, "role": "admin", "csrf_token": csrf}
    )
    pages = [assert_html(made, 201)]
    [row] = [t for t in api_get(client, token, "/api/v1/tokens") if t["name"] == xss]
    pages.append(assert_html(client.get("/editor/admin/tokens"), 200))
    pages.append(assert_html(client.get(f"/editor/admin/tokens/{row['id']}/revoke"), 200))
    for html in pages:
        assert "<script>alert(1)" not in html and "&#34;&gt;&lt;script&gt;alert(1)" in html
