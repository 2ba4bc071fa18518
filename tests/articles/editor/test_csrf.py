"""CSRF: every non-GET editor request needs the session's token and this site's origin."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from tests.articles.editor.conftest import add_user, is_disabled, page_token, sign_in


def _admin_and_target(settings: ArticlesSettings, client: TestClient) -> None:
    add_user(settings, "root@example.org", role="admin", name="Root")
    add_user(settings, "bo@example.org", role="editor", name="Bo")
    assert sign_in(client, "root@example.org").status_code == 303


def test_a_post_without_the_token_is_refused_and_changes_nothing(
    settings: ArticlesSettings, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    _admin_and_target(settings, client)
    for data in ({"email": "bo@example.org"}, {"email": "bo@example.org", "csrf_token": "x"}):
        refused = client.post("/editor/admin/users/disable", data=data)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "Request refused" in refused.text
    assert not is_disabled(settings, "bo@example.org")
    refusals = [r for r in caplog.records if "without a valid CSRF token" in r.getMessage()]
    assert len(refusals) == 2
    # Sign-out is a POST too: without the token the session survives.
    assert client.post("/editor/sign-out").status_code == 403
    assert client.get("/editor/").status_code == 200


def test_the_form_token_or_the_htmx_header_lets_it_through(
    settings: ArticlesSettings, client: TestClient
) -> None:
    _admin_and_target(settings, client)
    token = page_token(client, "/editor/admin/users")
    done = client.post(
        "/editor/admin/users/disable", data={"email": "bo@example.org", "csrf_token": token}
    )
    assert done.status_code == 303
    assert is_disabled(settings, "bo@example.org")
    out = client.post("/editor/sign-out", headers={"X-CSRF-Token": token})
    assert out.status_code == 303
    assert client.get("/editor/").status_code == 303


def test_a_request_from_another_origin_is_refused_even_with_the_token(
    settings: ArticlesSettings, client: TestClient
) -> None:
    _admin_and_target(settings, client)
    token = page_token(client, "/editor/admin/users")
    for origin in ("https://evil.example", "null", "http://[::1", "https://[v"):
        refused = client.post(
            "/editor/admin/users/disable",
            data={"email": "bo@example.org", "csrf_token": token},
            headers={"Origin": origin},
        )
        assert refused.status_code == 403
    assert not is_disabled(settings, "bo@example.org")
    same = client.post(
        "/editor/admin/users/disable",
        data={"email": "bo@example.org", "csrf_token": token},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 303
    assert is_disabled(settings, "bo@example.org")


def test_a_token_belongs_to_its_session(settings: ArticlesSettings, client: TestClient) -> None:
    _admin_and_target(settings, client)
    old_token = page_token(client, "/editor/admin/users")
    sign_in(client, "root@example.org")  # a new session, a new token
    refused = client.post(
        "/editor/admin/users/disable", data={"email": "bo@example.org", "csrf_token": old_token}
    )
    assert refused.status_code == 403
    assert not is_disabled(settings, "bo@example.org")
