"""Restoring a revision after the category or the people it names changed slug, and a
revision the current rules refuse (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from services.articles.models import Article, CategoryRedirect, Revision
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests.helpers import (
    PROBLEM,
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
)


def restore(client: TestClient, token: str, article_id: int, revision: int, version: int) -> Any:
    return client.post(
        f"/api/v1/articles/{article_id}/revisions/{revision}/restore",
        json={"version": version},
        headers=auth(token),
    )


def edit_revision(settings: ArticlesSettings, article_id: int, version: int, **data: Any) -> None:
    """Rewrite a stored revision: keys set to None are removed (a revision saved before
    they were stored), the others replaced."""
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        revision = session.scalars(
            select(Revision).where(Revision.article_id == article_id, Revision.version == version)
        ).one()
        stored = dict(revision.data)
        for key, value in data.items():
            if value is None:
                stored.pop(key, None)
            else:
                stored[key] = value
        revision.data = stored
    db.dispose()


def category_of(settings: ArticlesSettings, article_id: int) -> int:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        category_id = session.get_one(Article, article_id).category_id
    db.dispose()
    return category_id


def rename_category(client: TestClient, admin: str, slug: str, new_slug: str) -> None:
    moved = client.patch(f"/api/v1/categories/{slug}", json={"slug": new_slug}, headers=auth(admin))
    assert moved.status_code == 200, moved.text


def test_restore_after_a_category_reslug_keeps_the_article_in_its_category(
    settings: ArticlesSettings,
) -> None:
    editor, admin = make_token(settings), make_token(settings, "admin", name="admin")
    with articles_client(settings) as client:
        article = create_article(client, editor, category="nutrition")
        aid = article["id"]
        before = category_of(settings, aid)
        client.patch(f"/api/v1/articles/{aid}", json={"title": "Changed", "version": 1},
                     headers=auth(editor))  # fmt: skip
        rename_category(client, admin, "nutrition", "food")
        # A new category takes the freed slug: the article must not move there.
        made = client.post("/api/v1/categories", json={"slug": "nutrition", "name": "New"},
                           headers=auth(admin))  # fmt: skip
        assert made.status_code == 201, made.text
        restored = restore(client, editor, aid, 1, 2)
        assert restored.status_code == 200, restored.text
        assert restored.json()["category"] == "food"
        assert category_of(settings, aid) == before
    # The new category took the old slug over: its redirect (to "food") is gone.
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        assert session.get(CategoryRedirect, "nutrition") is None
    db.dispose()


def test_restore_of_a_revision_without_ids_follows_the_category_redirect(
    settings: ArticlesSettings,
) -> None:
    editor, admin = make_token(settings), make_token(settings, "admin", name="admin")
    with articles_client(settings) as client:
        article = create_article(client, editor, category="nutrition")
        aid = article["id"]
        client.patch(f"/api/v1/articles/{aid}", json={"title": "Changed", "version": 1},
                     headers=auth(editor))  # fmt: skip
        edit_revision(settings, aid, 1, category_id=None, author_ids=None)
        rename_category(client, admin, "nutrition", "food")
        restored = restore(client, editor, aid, 1, 2)
        assert restored.status_code == 200, restored.text
        assert restored.json()["category"] == "food"
        # A new category with the old slug: the redirect still wins, it names the
        # article's own category.
        made = client.post("/api/v1/categories", json={"slug": "nutrition", "name": "New"},
                           headers=auth(admin))  # fmt: skip
        assert made.status_code == 201, made.text
        edit_revision(settings, aid, 1, category_id=None, author_ids=None)
        again = restore(client, editor, aid, 1, 3)
        assert again.status_code == 200, again.text
        assert again.json()["category"] == "food"


def test_restore_after_a_person_reslug_keeps_the_same_person(settings: ArticlesSettings) -> None:
    editor, admin = make_token(settings), make_token(settings, "admin", name="admin")
    with articles_client(settings) as client:
        article = create_article(client, editor, authors=["Dr Ann Lee", "Bo Chan"])
        aid = article["id"]
        client.patch(f"/api/v1/articles/{aid}", json={"title": "Changed", "version": 1},
                     headers=auth(editor))  # fmt: skip
        edit_revision(settings, aid, 2, category_id=None, author_ids=None)  # an old one
        moved = client.patch("/api/v1/people/dr-ann-lee", json={"slug": "ann-lee"},
                             headers=auth(admin))  # fmt: skip
        assert moved.status_code == 200, moved.text
        for revision, version in ((1, 2), (2, 3)):  # by id, then by the stored names
            restored = restore(client, editor, aid, revision, version)
            assert restored.status_code == 200, restored.text
            assert restored.json()["authors"] == ["Dr Ann Lee", "Bo Chan"]
            assert restored.json()["author_slugs"] == ["ann-lee", "bo-chan"]
        people = client.get("/api/v1/people", headers=auth(editor)).json()
        assert sorted(p["slug"] for p in people) == ["ann-lee", "bo-chan"]


def test_restoring_a_revision_the_current_rules_refuse_is_a_409_problem(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        aid = article["id"]
        client.patch(f"/api/v1/articles/{aid}", json={"title": "Changed", "version": 1},
                     headers=auth(token))  # fmt: skip
        edit_revision(settings, aid, 1, title="", tags=["Not A Tag!"] * 3)
        refused = restore(client, token, aid, 1, 2)
        assert refused.headers["content-type"] == PROBLEM
        problem = assert_problem(refused, 409)
        assert "cannot be restored" in problem["detail"]
        assert "title" in problem["fields"]
