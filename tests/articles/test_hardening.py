"""Findings of the security review, on the articles API: control characters that would break
the feed, deep pages, rate limits, spoofed X-Forwarded-For, and Host-header redirects."""

from __future__ import annotations

from typing import Any

import pytest

from services.articles.settings import ArticlesSettings
from tests.helpers import (
    article_body,
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
)


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "Bones\x01"},
        {"title": "a\x1fb"},
        {"summary": "form\x0cfeed"},
        {"body": "vertical\x0btab"},
        {"tags": ["\x08"]},
        {"authors": ["Dr \x1b[31mRed"]},
        {"references": [{"title": "\x02", "url": "https://example.org"}]},
    ],
)
def test_control_characters_that_xml_cannot_carry_are_422(
    settings: ArticlesSettings, fields: dict[str, Any]
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        refused = client.post("/api/v1/articles", json=article_body(**fields), headers=auth(token))
        assert "control characters" in str(assert_problem(refused, 422)["errors"])
        article = create_article(client, token)
        edit = client.patch(
            f"/api/v1/articles/{article['id']}", json={**fields, "version": 1}, headers=auth(token)
        )
        assert_problem(edit, 422)


def test_tabs_and_newlines_stay_allowed(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        create_article(client, token, body="## A\n\n\tindented\r\nline\n")


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"page": "100000"}, 422),  # past the schema's own maximum for page
        ({"page": "501"}, 404),  # each parameter valid, their product past the window
        ({"page": "101", "per_page": "100"}, 404),
    ],
)
def test_deep_pages_are_refused_before_the_database_sees_an_offset(
    settings: ArticlesSettings, params: dict[str, str], status: int
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        assert_problem(client.get("/api/v1/content/articles", params=params), status)
        assert_problem(client.get("/api/v1/articles", params=params, headers=auth(token)), status)
        assert client.get("/api/v1/content/articles", params={"page": "500"}).status_code == 200


def limited(settings: ArticlesSettings, **limits: int) -> ArticlesSettings:
    return settings.model_copy(update=limits)


def test_the_public_content_api_is_rate_limited_per_client(settings: ArticlesSettings) -> None:
    with articles_client(limited(settings, content_rate_limit_per_minute=5)) as client:
        codes = [client.get("/api/v1/content/articles").status_code for _ in range(5)]
        assert codes == [200] * 5
        refused = client.get("/api/v1/content/categories")
        assert_problem(refused, 429)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # A client cannot pose as many: the test client is not a trusted proxy.
        spoofed = client.get("/api/v1/content/articles", headers={"X-Forwarded-For": "192.0.2.9"})
        assert_problem(spoofed, 429)
        assert client.get("/healthz").status_code == 200


def test_searches_have_their_own_tighter_limit(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    tight = limited(settings, search_rate_limit_per_minute=3)
    with articles_client(tight) as client:
        for _ in range(3):
            assert client.get("/api/v1/content/articles", params={"q": "bones"}).status_code == 200
        assert_problem(client.get("/api/v1/content/articles", params={"q": "bones"}), 429)
        assert_problem(
            client.get("/api/v1/articles", params={"q": "bones"}, headers=auth(token)), 429
        )
        # Reading without searching goes on.
        assert client.get("/api/v1/content/articles").status_code == 200
        assert client.get("/api/v1/articles", headers=auth(token)).status_code == 200


def test_a_trailing_slash_never_redirects_to_the_host_the_client_named(
    settings: ArticlesSettings,
) -> None:
    with articles_client(settings) as client:
        for path in ("/api/v1/content/articles/", "/api/v1/articles/", "/healthz/"):
            r = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
            assert "location" not in r.headers, (path, r.headers.get("location"))
            assert_problem(r, 404)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/categories", {"slug": "x", "name": "X", "review_interval_months": True}),
        ("/api/v1/categories", {"slug": "x", "name": "X", "review_interval_months": "6"}),
        ("/api/v1/categories", {"slug": "x", "name": "X", "requires_review": 1}),
        ("/api/v1/categories", {"slug": "x", "name": "X", "requires_review": "yes"}),
    ],
)
def test_numbers_and_flags_must_be_the_json_types_the_schema_states(
    settings: ArticlesSettings, path: str, body: dict[str, Any]
) -> None:
    """pydantic alone reads true as 1 and "yes" as true; the schema says integer and boolean,
    so such a body is a 422 and nothing is created (schemathesis found true accepted)."""
    admin = make_token(settings, role="admin")
    with articles_client(settings) as client:
        assert_problem(client.post(path, json=body, headers=auth(admin)), 422)
        listed = client.get("/api/v1/categories", headers=auth(admin)).json()
        assert "x" not in [c["slug"] for c in listed]
        article = create_article(client, admin)
        url = f"/api/v1/articles/{article['id']}"
        for edit in ({"title": "T", "typo_only": "true"}, {"title": "T", "version": True}):
            assert_problem(client.patch(url, json=edit, headers=auth(admin)), 422)
        assert client.get(url, headers=auth(admin)).json()["version"] == article["version"]
        ok = {"slug": "x", "name": "X", "review_interval_months": 6, "requires_review": True}
        assert client.post(path, json=ok, headers=auth(admin)).status_code == 201
