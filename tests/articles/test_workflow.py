"""The editorial workflow: schedule, archive, delete, revisions and restore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from tests.conftest import RedisDbs
from tests.helpers import (
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
    queued_events,
)


def post(client: TestClient, token: str, path: str, **body: Any) -> Any:
    return client.post(path, json=body or None, headers=auth(token))


def test_publish_with_a_future_time_schedules_without_telling_readers(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    at = datetime.now(UTC) + timedelta(hours=1)
    with articles_client(settings) as client:
        article = create_article(client, token)
        url = f"/api/v1/articles/{article['id']}"
        scheduled = post(client, token, f"{url}/publish", at=at.isoformat(), version=1)
        assert scheduled.status_code == 200, scheduled.text
        data = scheduled.json()
        assert data["status"] == "scheduled"
        assert datetime.fromisoformat(data["scheduled_at"]) == at
        assert data["published_at"] is None
        assert_problem(client.get(f"/api/v1/content/articles/{article['slug']}"), 404)
        # Cancelling a schedule (unpublish) sends the article back to draft.
        cancelled = post(client, token, f"{url}/unpublish")
        assert cancelled.json()["status"] == "draft"
        assert cancelled.json()["scheduled_at"] is None
    assert queued_events(redis_dbs, "render-pages") == []


def test_a_naive_or_past_time_and_a_published_article_are_handled(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        url = f"/api/v1/articles/{article['id']}/publish"
        assert_problem(post(client, token, url, at="2030-01-01T09:00:00"), 422)  # no offset
        past = post(client, token, url, at="2020-01-01T09:00:00Z")
        assert past.json()["status"] == "published"  # a time that has come: now
        again = post(client, token, url, at="2099-01-01T09:00:00Z")
        assert_problem(again, 409)
    assert [e.kind for e in queued_events(redis_dbs, "render-pages")] == ["published"]


def test_archiving_a_published_article_takes_it_off_the_site(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        url = f"/api/v1/articles/{article['id']}"
        post(client, token, f"{url}/publish")
        archived = post(client, token, f"{url}/archive", version=2)
        assert archived.status_code == 200
        assert archived.json()["status"] == "archived"
        assert_problem(client.get(f"/api/v1/content/articles/{article['slug']}"), 404)
        assert_problem(post(client, token, f"{url}/archive", version=1), 409)  # stale
        republished = post(client, token, f"{url}/publish")
        assert republished.json()["status"] == "published"
    events = queued_events(redis_dbs, "render-pages")
    assert [(e.kind, e.snapshot.status, e.snapshot.version) for e in events] == [
        ("published", "published", 2),
        ("unpublished", "archived", 3),
        ("published", "published", 4),
    ]


def test_delete_needs_an_admin_and_emits_a_deleted_event(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    editor = make_token(settings)
    admin = make_token(settings, "admin")
    with articles_client(settings) as client:
        article = create_article(client, editor)
        url = f"/api/v1/articles/{article['id']}"
        post(client, editor, f"{url}/publish")
        assert_problem(client.delete(url, headers=auth(editor)), 403)
        assert_problem(client.delete(url, headers={**auth(admin), "If-Match": '"1"'}), 409)
        gone = client.delete(url, headers={**auth(admin), "If-Match": '"2"'})
        assert gone.status_code == 204
        assert_problem(client.get(url, headers=auth(editor)), 404)
        assert_problem(client.delete(url, headers=auth(admin)), 404)
        assert_problem(client.get(f"/api/v1/content/articles/{article['slug']}"), 404)
        listed = client.get("/api/v1/articles", headers=auth(editor)).json()
        assert listed["total"] == 0
    for queue in ("render-pages", "views"):
        events = queued_events(redis_dbs, queue)
        assert [(e.kind, e.snapshot.status, e.snapshot.version) for e in events] == [
            ("published", "published", 2),
            ("deleted", "deleted", 3),
        ]


def test_deleting_a_never_published_draft_tells_nobody(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    editor, admin = make_token(settings), make_token(settings, "admin")
    with articles_client(settings) as client:
        article = create_article(client, editor)
        assert (
            client.delete(f"/api/v1/articles/{article['id']}", headers=auth(admin)).status_code
            == 204
        )
    assert queued_events(redis_dbs, "render-pages") == []


def test_every_save_is_a_revision_and_a_restore_is_a_new_one(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token, authors=["Dr A. Jones"])
        url = f"/api/v1/articles/{article['id']}"
        client.patch(
            url,
            json={"title": "Second title", "body": "New body", "tags": ["bones"], "version": 1},
            headers=auth(token),
        )
        post(client, token, f"{url}/publish")
        revisions = client.get(f"{url}/revisions", headers=auth(token)).json()
        assert [(r["version"], r["title"], r["status"]) for r in revisions] == [
            (3, "Second title", "published"),
            (2, "Second title", "draft"),
            (1, "Is osteoporosis an autoimmune disease?", "draft"),
        ]
        first = client.get(f"{url}/revisions/1", headers=auth(token)).json()
        assert first["data"]["body"] == article["body"]
        assert first["data"]["tags"] == ["osteoporosis", "autoimmune"]
        assert first["created_by"] == "test"

        assert_problem(client.post(f"{url}/revisions/1/restore", headers=auth(token)), 428)
        assert_problem(post(client, token, f"{url}/revisions/1/restore", version=2), 409)
        restored = post(client, token, f"{url}/revisions/1/restore", version=3)
        assert restored.status_code == 200, restored.text
        data = restored.json()
        assert (data["version"], data["status"]) == (4, "published")
        assert data["title"] == "Is osteoporosis an autoimmune disease?"
        assert data["tags"] == ["osteoporosis", "autoimmune"]
        assert data["body"] == article["body"]
        latest = client.get(f"{url}/revisions", headers=auth(token)).json()[0]
        assert (latest["version"], latest["title"]) == (4, data["title"])
        # The tag rows follow the restore: filtering by the old tag finds it again.
        found = client.get("/api/v1/articles", params={"tag": "autoimmune"}, headers=auth(token))
        assert [a["id"] for a in found.json()["items"]] == [article["id"]]
        assert_problem(client.get(f"{url}/revisions/99", headers=auth(token)), 404)
        assert_problem(client.get("/api/v1/articles/4242/revisions", headers=auth(token)), 404)
    # A restore of a published article is an update readers see.
    last = queued_events(redis_dbs, "render-pages")[-1]
    assert (last.kind, last.snapshot.version, last.snapshot.title) == (
        "updated",
        4,
        "Is osteoporosis an autoimmune disease?",
    )


def test_restoring_an_old_slug_moves_the_article_back_and_keeps_a_redirect(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token, slug="first-slug")
        url = f"/api/v1/articles/{article['id']}"
        post(client, token, f"{url}/publish")
        client.patch(url, json={"slug": "second-slug", "version": 2}, headers=auth(token))
        restored = post(client, token, f"{url}/revisions/1/restore", version=3)
        assert restored.json()["slug"] == "first-slug"
        assert client.get("/api/v1/content/articles/first-slug").status_code == 200
        moved = client.get("/api/v1/content/articles/second-slug", follow_redirects=False)
        assert moved.status_code == 301
        assert moved.headers["location"] == "/api/v1/content/articles/first-slug"
    last = queued_events(redis_dbs, "render-pages")[-1]
    assert last.snapshot.slug == "first-slug"
    assert last.snapshot.former_slugs == ("second-slug",)


def test_changing_the_category_of_a_published_article_is_an_update(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        url = f"/api/v1/articles/{article['id']}"
        post(client, token, f"{url}/publish")
        moved = client.patch(
            url, json={"category": "bones-and-joints", "version": 2}, headers=auth(token)
        )
        assert moved.json()["path"] == f"/bones-and-joints/{article['slug']}"
    last = queued_events(redis_dbs, "render-pages")[-1]
    assert last.kind == "updated"
    assert last.snapshot.category.slug == "bones-and-joints"
    assert [c.slug for c in last.snapshot.category.parents] == ["health"]
