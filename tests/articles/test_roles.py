"""Tokens and roles: every write endpoint refuses no token, a revoked token and the wrong
role; admins manage categories, deletes and tokens."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from services.articles.models import ApiToken
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests.helpers import (
    article_body,
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
)

# (method, path, json): every endpoint that writes, and what it needs.
Call = tuple[str, str, object]
EDITOR_WRITES: list[Call] = [
    ("post", "/api/v1/articles", article_body()),
    ("patch", "/api/v1/articles/{id}", {"title": "T", "version": 1}),
    ("post", "/api/v1/articles/{id}/publish", None),
    ("post", "/api/v1/articles/{id}/unpublish", None),
    ("post", "/api/v1/articles/{id}/archive", None),
    ("post", "/api/v1/articles/{id}/revisions/1/restore", {"version": 1}),
]
EDITOR_READS: list[Call] = [
    ("get", "/api/v1/articles", None),
    ("get", "/api/v1/articles/{id}", None),
    ("get", "/api/v1/articles/{id}/revisions", None),
    ("get", "/api/v1/articles/{id}/revisions/1", None),
    ("get", "/api/v1/categories", None),
    ("get", "/api/v1/tags", None),
    ("get", "/api/v1/authors", None),
]
# Editors' endpoints outside the article editing flow above (a reviewer gets none of them).
# The media upload is multipart: the role check answers before the body is read.
EDITOR_ONLY: list[Call] = [
    ("post", "/api/v1/media", None),
    ("get", "/api/v1/media", None),
    ("delete", "/api/v1/media/999", None),
    ("post", "/api/v1/articles/{id}/submit", {"version": 1}),
]
# What every token may read, reviewers included.
STAFF_READS: list[Call] = [
    ("get", "/api/v1/articles/{id}/reviews", None),
    ("get", "/api/v1/review-due", None),
    ("get", "/api/v1/people", None),
]
REVIEWER_ONLY: list[Call] = [
    ("post", "/api/v1/articles/{id}/reviews", {"outcome": "approved", "version": 1}),
]
ADMIN_ONLY: list[Call] = [
    ("delete", "/api/v1/articles/{id}", None),
    ("post", "/api/v1/people", {"name": "Dr New"}),
    ("patch", "/api/v1/people/dr-new", {"credentials": "MD"}),
    ("delete", "/api/v1/people/dr-new", None),
    ("post", "/api/v1/categories", {"slug": "new-one", "name": "New one"}),
    ("delete", "/api/v1/categories/nutrition", None),
    ("patch", "/api/v1/categories/nutrition", {"name": "Food"}),
    ("get", "/api/v1/tokens", None),
    ("post", "/api/v1/tokens", {"name": "cms"}),
    ("delete", "/api/v1/tokens/1", None),
]


def call(
    client: TestClient, method: str, path: str, body: object, headers: dict[str, str]
) -> Response:
    response: Response = (
        client.request(method.upper(), path, headers=headers)
        if body is None
        else client.request(method.upper(), path, json=body, headers=headers)
    )
    return response


ALL_CALLS = EDITOR_WRITES + EDITOR_READS + EDITOR_ONLY + STAFF_READS + REVIEWER_ONLY + ADMIN_ONLY


@pytest.mark.parametrize(("method", "path", "body"), ALL_CALLS)
def test_no_token_a_bad_token_and_a_revoked_token_get_401(
    settings: ArticlesSettings, method: str, path: str, body: object
) -> None:
    editor = make_token(settings)
    revoked = make_token(settings, name="leaver")
    admin = make_token(settings, "admin")
    with articles_client(settings) as client:
        article = create_article(client, editor)
        url = path.format(id=article["id"])
        leaver_id = next(
            t["id"] for t in client.get("/api/v1/tokens", headers=auth(admin)).json()
            if t["name"] == "leaver"
        )  # fmt: skip
        assert client.delete(f"/api/v1/tokens/{leaver_id}", headers=auth(admin)).status_code == 204
        for headers in ({}, auth("hh_unknown"), {"Authorization": "Token x"}, auth(revoked)):
            response = call(client, method, url, body, headers)
            problem = assert_problem(response, 401)
            assert "token" in problem["detail"].lower()
        assert (
            client.get(f"/api/v1/articles/{article['id']}", headers=auth(editor)).json()["version"]
            == 1
        )  # nothing was written


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_admin_endpoints_refuse_an_editor_with_403(
    settings: ArticlesSettings, method: str, path: str, body: object
) -> None:
    editor = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, editor)
        response = call(client, method, path.format(id=article["id"]), body, auth(editor))
        assert "admin" in assert_problem(response, 403)["detail"]
        assert (
            client.get(f"/api/v1/articles/{article['id']}", headers=auth(editor)).status_code == 200
        )


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_admin_endpoints_refuse_a_reviewer_with_403(
    settings: ArticlesSettings, method: str, path: str, body: object
) -> None:
    editor, reviewer = make_token(settings), make_token(settings, "reviewer", "rev")
    with articles_client(settings) as client:
        article = create_article(client, editor)
        response = call(client, method, path.format(id=article["id"]), body, auth(reviewer))
        assert "needs the admin role" in assert_problem(response, 403)["detail"]


@pytest.mark.parametrize(("method", "path", "body"), EDITOR_WRITES + EDITOR_ONLY)
def test_a_reviewer_never_edits_publishes_submits_or_uploads(
    settings: ArticlesSettings, method: str, path: str, body: object
) -> None:
    editor, reviewer = make_token(settings), make_token(settings, "reviewer", "rev")
    with articles_client(settings) as client:
        article = create_article(client, editor)
        response = call(client, method, path.format(id=article["id"]), body, auth(reviewer))
        detail = assert_problem(response, 403)["detail"]
        assert "needs the editor role; your token has reviewer" in detail
        after = client.get(f"/api/v1/articles/{article['id']}", headers=auth(editor)).json()
        assert (after["version"], after["status"]) == (1, "draft")  # nothing was written


@pytest.mark.parametrize(("method", "path", "body"), REVIEWER_ONLY)
def test_an_editor_never_reviews(
    settings: ArticlesSettings, method: str, path: str, body: object
) -> None:
    editor = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, editor)
        response = call(client, method, path.format(id=article["id"]), body, auth(editor))
        assert (
            "needs the reviewer role; your token has editor"
            in assert_problem(response, 403)["detail"]
        )


@pytest.mark.parametrize(("method", "path", "body"), EDITOR_READS[:2] + STAFF_READS)
def test_a_reviewer_reads_articles_their_reviews_and_review_due(
    settings: ArticlesSettings, method: str, path: str, body: object
) -> None:
    editor, reviewer = make_token(settings), make_token(settings, "reviewer", "rev")
    with articles_client(settings) as client:
        article = create_article(client, editor)
        response = call(client, method, path.format(id=article["id"]), body, auth(reviewer))
        assert response.status_code == 200, response.text


def test_a_reviewer_linked_to_a_person_reviews_a_submitted_article(
    settings: ArticlesSettings,
) -> None:
    editor, admin = make_token(settings), make_token(settings, "admin")
    with articles_client(settings) as client:
        person = client.post("/api/v1/people", json={"name": "Dr Rae"}, headers=auth(admin))
        assert person.status_code == 201, person.text
        made = client.post(
            "/api/v1/tokens",
            json={"name": "rae", "role": "reviewer", "person": person.json()["slug"]},
            headers=auth(admin),
        )
        reviewer = made.json()["token"]
        article = create_article(client, editor)
        path = f"/api/v1/articles/{article['id']}"
        assert client.post(f"{path}/submit", headers=auth(editor)).status_code == 200
        reviewed = client.post(
            f"{path}/reviews", json={"outcome": "approved", "version": 2}, headers=auth(reviewer)
        )
        assert reviewed.status_code == 201, reviewed.text
        assert client.get(path, headers=auth(editor)).json()["status"] == "approved"


@pytest.mark.parametrize(("method", "path", "body"), EDITOR_WRITES + EDITOR_READS)
def test_editor_endpoints_accept_an_admin_too(
    settings: ArticlesSettings, method: str, path: str, body: object
) -> None:
    admin = make_token(settings, "admin")
    with articles_client(settings) as client:
        article = create_article(client, admin)
        response = call(client, method, path.format(id=article["id"]), body, auth(admin))
        # Past the role check (unpublishing a draft is still a 409 of the workflow).
        assert response.status_code in (200, 201, 409), response.text
        assert response.headers.get("www-authenticate") is None


def test_tokens_over_http_are_shown_once_and_stored_hashed(
    settings: ArticlesSettings, caplog: pytest.LogCaptureFixture
) -> None:
    admin = make_token(settings, "admin")
    caplog.set_level(logging.DEBUG)
    with articles_client(settings) as client:
        created = client.post(
            "/api/v1/tokens", json={"name": "cms", "role": "editor"}, headers=auth(admin)
        )
        assert created.status_code == 201
        secret = created.json()["token"]
        assert client.get("/api/v1/articles", headers=auth(secret)).status_code == 200
        listed = client.get("/api/v1/tokens", headers=auth(admin)).json()
        assert [t["name"] for t in listed] == ["test", "cms"]
        assert all("token" not in t for t in listed)
        assert_problem(
            client.post("/api/v1/tokens", json={"name": "x", "role": "root"}, headers=auth(admin)),
            422,
        )
        assert_problem(client.delete("/api/v1/tokens/999", headers=auth(admin)), 404)
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        stored = [(t.token_hash, t.prefix) for t in session.scalars(select(ApiToken))]
    db.dispose()
    assert all(secret not in h and len(h) == 64 for h, _ in stored)
    assert secret not in caplog.text


def test_admins_manage_categories_and_everyone_sees_tags_and_authors(
    settings: ArticlesSettings,
) -> None:
    admin, editor = make_token(settings, "admin"), make_token(settings)
    with articles_client(settings) as client:
        made = client.post(
            "/api/v1/categories",
            json={"slug": "sleep", "name": "Sleep", "description": "Rest.", "parent": "health"},
            headers=auth(admin),
        )
        assert made.status_code == 201, made.text
        assert made.json() == {
            "slug": "sleep",
            "name": "Sleep",
            "description": "Rest.",
            "parent": "health",
            "requires_review": False,
            "review_interval_months": 12,
        }
        assert_problem(
            client.post(
                "/api/v1/categories", json={"slug": "sleep", "name": "Again"}, headers=auth(admin)
            ),
            409,
        )
        assert_problem(
            client.post(
                "/api/v1/categories",
                json={"slug": "orphan", "name": "Orphan", "parent": "nowhere"},
                headers=auth(admin),
            ),
            422,
        )
        create_article(client, editor, category="sleep", tags=["rest", "mood"], authors=["Ann Lee"])
        create_article(client, editor, tags=["mood"], authors=["Ann Lee", "Bo Chan"])
        assert client.get("/api/v1/tags", headers=auth(editor)).json() == [
            {"tag": "mood", "articles": 2},
            {"tag": "rest", "articles": 1},
        ]
        assert client.get("/api/v1/authors", headers=auth(editor)).json() == [
            {"name": "Ann Lee", "articles": 2},
            {"name": "Bo Chan", "articles": 1},
        ]
        # A category in use, or with sub-categories, stays; an empty one goes.
        assert_problem(client.delete("/api/v1/categories/sleep", headers=auth(admin)), 409)
        assert_problem(client.delete("/api/v1/categories/health", headers=auth(admin)), 409)
        assert_problem(client.delete("/api/v1/categories/missing", headers=auth(admin)), 404)
        assert client.delete("/api/v1/categories/nutrition", headers=auth(admin)).status_code == 204
        slugs = [c["slug"] for c in client.get("/api/v1/content/categories").json()]
        assert "nutrition" not in slugs
        assert "sleep" in slugs
