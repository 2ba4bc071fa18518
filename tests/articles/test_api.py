"""The articles API against real databases (SQLite and PostgreSQL) and a real Redis broker."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from services.articles.settings import ArticlesSettings
from tests.conftest import RedisDbs
from tests.helpers import (
    article_body,
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
    queued_events,
    seed_categories,
)


@pytest.fixture
def settings(articles_settings: ArticlesSettings) -> ArticlesSettings:
    seed_categories(articles_settings)
    return articles_settings


def test_create_returns_a_draft_with_a_generated_slug(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        response = client.post("/api/v1/articles", json=article_body(), headers=auth(token))
        assert response.status_code == 201
        data = response.json()
        assert data["status"] == "draft"
        assert data["version"] == 1
        assert data["slug"] == "is-osteoporosis-an-autoimmune-disease"
        assert data["path"] == "/health/is-osteoporosis-an-autoimmune-disease"
        assert response.headers["location"] == f"/api/v1/articles/{data['id']}"
        assert response.headers["etag"] == '"1"'
        again = client.get(f"/api/v1/articles/{data['id']}", headers=auth(token)).json()
        assert again["title"] == "Is osteoporosis an autoimmune disease?"


def test_slugs_are_unicode_aware_and_unique(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        first = create_article(client, token, title="Ärger über Ödeme – was hilft?")
        second = create_article(client, token, title="Ärger über Ödeme – was hilft?")
        assert first["slug"] == "arger-uber-odeme-was-hilft"
        assert second["slug"] == "arger-uber-odeme-was-hilft-2"
        taken = client.post(
            "/api/v1/articles", json=article_body(slug=first["slug"]), headers=auth(token)
        )
        assert_problem(taken, 409)


def test_publish_writes_the_event_and_sends_it_to_render_and_views(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        response = client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        assert response.status_code == 200
        published = response.json()
        assert published["status"] == "published"
        assert published["version"] == 2
        assert published["published_at"] is not None
    for queue in ("render-pages", "views"):
        events = queued_events(redis_dbs, queue)
        assert [(e.kind, e.snapshot.id, e.snapshot.version) for e in events] == [
            ("published", article["id"], 2)
        ]
        assert events[0].snapshot.category.slug == "health"
        assert events[0].snapshot.status == "published"


def test_publishing_twice_changes_nothing(settings: ArticlesSettings, redis_dbs: RedisDbs) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        again = client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        assert again.status_code == 200
        assert again.json()["version"] == 2
    assert len(queued_events(redis_dbs, "render-pages")) == 1


def test_updating_a_published_article_emits_an_update_and_drafts_emit_nothing(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        edited = client.patch(
            f"/api/v1/articles/{article['id']}",
            json={"summary": "Draft edit", "version": 1},
            headers=auth(token),
        )
        assert edited.status_code == 200
        assert queued_events(redis_dbs, "render-pages") == []
        client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        updated = client.patch(
            f"/api/v1/articles/{article['id']}",
            json={"title": "Osteoporosis and autoimmunity"},
            headers={**auth(token), "If-Match": '"3"'},
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["version"] == 4
    kinds = [
        (e.kind, e.snapshot.version, e.snapshot.title)
        for e in queued_events(redis_dbs, "render-pages")
    ]
    assert kinds == [
        ("published", 3, "Is osteoporosis an autoimmune disease?"),
        ("updated", 4, "Osteoporosis and autoimmunity"),
    ]


def test_an_update_without_a_version_is_refused_and_a_stale_one_conflicts(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        url = f"/api/v1/articles/{article['id']}"
        assert_problem(client.patch(url, json={"title": "New"}, headers=auth(token)), 428)
        assert (
            client.patch(url, json={"title": "New", "version": 1}, headers=auth(token)).status_code
            == 200
        )
        stale = assert_problem(
            client.patch(url, json={"title": "Newer", "version": 1}, headers=auth(token)), 409
        )
        assert stale["current_version"] == 2
        bad_etag = client.patch(
            url, json={"title": "x"}, headers={**auth(token), "If-Match": "yesterday"}
        )
        # Not a version at all: the header does not match its documented pattern.
        problem = assert_problem(bad_etag, 422)
        assert problem["errors"][0]["loc"] == ["header", "if-match"]


def test_two_racing_updates_one_wins_one_gets_409(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        url = f"/api/v1/articles/{article['id']}"

        def edit(title: str) -> int:
            response = client.patch(url, json={"title": title, "version": 1}, headers=auth(token))
            return int(response.status_code)

        for _ in range(5):
            current = client.get(url, headers=auth(token)).json()["version"]

            def edit_at(title: str, version: int = current) -> int:
                response = client.patch(
                    url, json={"title": title, "version": version}, headers=auth(token)
                )
                return int(response.status_code)

            with ThreadPoolExecutor(2) as pool:
                codes = sorted(pool.map(edit_at, ["Left", "Right"]))
            assert codes == [200, 409]
            assert client.get(url, headers=auth(token)).json()["version"] == current + 1
        assert edit("late") == 409


def test_unpublish_emits_an_event_and_the_public_api_forgets_the_article(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        public = f"/api/v1/content/articles/{article['slug']}"
        assert_problem(client.get(public), 404)  # drafts are not public
        client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        seen = client.get(public)
        assert seen.status_code == 200
        assert seen.json()["category"]["slug"] == "health"
        assert "status" not in seen.json()
        assert seen.headers["etag"] == '"2"'
        assert "max-age" in seen.headers["cache-control"]
        off = client.post(f"/api/v1/articles/{article['id']}/unpublish", headers=auth(token))
        assert off.json()["status"] == "unpublished"
        assert_problem(client.get(public), 404)
        assert_problem(
            client.post(f"/api/v1/articles/{article['id']}/unpublish", headers=auth(token)), 409
        )
    assert [e.kind for e in queued_events(redis_dbs, "views")] == ["published", "unpublished"]


def test_a_changed_slug_redirects_the_public_api(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        moved = client.patch(
            f"/api/v1/articles/{article['id']}",
            json={"slug": "osteoporosis-and-autoimmunity", "version": 2},
            headers=auth(token),
        )
        assert moved.status_code == 200
        old = client.get(f"/api/v1/content/articles/{article['slug']}", follow_redirects=False)
        assert old.status_code == 301
        assert old.headers["location"] == "/api/v1/content/articles/osteoporosis-and-autoimmunity"
        # The old slug stays reserved for the redirect.
        assert_problem(
            client.post(
                "/api/v1/articles", json=article_body(slug=article["slug"]), headers=auth(token)
            ),
            409,
        )
    last = queued_events(redis_dbs, "render-pages")[-1]
    assert last.snapshot.slug == "osteoporosis-and-autoimmunity"
    assert last.snapshot.former_slugs == (article["slug"],)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/articles"),
        ("get", "/api/v1/articles/1"),
        ("patch", "/api/v1/articles/1"),
        ("post", "/api/v1/articles/1/publish"),
        ("post", "/api/v1/articles/1/unpublish"),
        ("get", "/api/v1/categories"),
    ],
)
def test_editor_endpoints_refuse_missing_and_unknown_tokens(
    settings: ArticlesSettings, method: str, path: str
) -> None:
    with articles_client(settings) as client:
        missing = getattr(client, method)(path)
        assert_problem(missing, 401)
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert_problem(getattr(client, method)(path, headers=auth("hh_not-a-real-token")), 401)
        assert_problem(getattr(client, method)(path, headers={"Authorization": "Basic abc"}), 401)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"title": "x" * 201, "category": "health"}, 422),
        ({"title": "", "category": "health"}, 422),
        ({"title": "Fine", "category": "health", "colour": "red"}, 422),
        ({"title": "Fine", "category": "no-such-category"}, 422),
        ({"title": "Fine", "category": "health", "slug": "../etc/passwd"}, 422),
        ({"title": "Fine", "category": "health", "slug": "Bad Slug"}, 422),
        ({"title": "Fine", "category": "health", "tags": "not-a-list"}, 422),
        ({"title": "Fine", "category": "health", "hero_image_url": "javascript:alert(1)"}, 422),
        (
            {
                "title": "Fine",
                "category": "health",
                "references": [{"title": "x", "url": "ftp://x"}],
            },
            422,
        ),
        ({"title": "Fine", "category": "health", "body": "a" * 1_000_001}, 413),
        ([1, 2, 3], 422),
    ],
)
def test_bad_input_gets_a_clear_problem_and_writes_nothing(
    settings: ArticlesSettings, payload: object, status: int
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        assert_problem(client.post("/api/v1/articles", json=payload, headers=auth(token)), status)
        public = client.get("/api/v1/content/categories")
        assert public.status_code == 200


def test_malformed_json_oversized_requests_and_bad_ids_are_4xx(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        raw = client.post(
            "/api/v1/articles",
            content=b"{not json",
            headers={**auth(token), "Content-Type": "application/json"},
        )
        assert_problem(raw, 422)
        huge = client.post(
            "/api/v1/articles",
            content=b"x" * 3_000_000,
            headers={**auth(token), "Content-Type": "application/json"},
        )
        assert_problem(huge, 413)
        assert_problem(client.get("/api/v1/articles/abc", headers=auth(token)), 422)
        assert_problem(client.get("/api/v1/articles/99999999999", headers=auth(token)), 422)
        assert_problem(client.get("/api/v1/articles/424242", headers=auth(token)), 404)
        assert_problem(client.get("/api/v1/content/articles/..%2f..%2fetc"), 404)
        assert_problem(client.get("/api/v1/content/articles/BAD"), 422)
