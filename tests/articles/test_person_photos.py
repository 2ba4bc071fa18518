"""A person's photo comes from the media library, like a hero: external photo URLs are
retired (reader privacy), the photo travels in PersonRef, and an image that is someone's
photo cannot be deleted (SQLite and PostgreSQL, real broker)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from tests.articles.test_people import make_person, queued_person_events
from tests.conftest import RedisDbs
from tests.helpers import (
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
    queued_events,
)
from tests.images import jpeg


def uploaded(client: TestClient, token: str, data: bytes) -> dict[str, Any]:
    response = client.post(
        "/api/v1/media",
        files={"file": ("portrait.jpg", data, "image/jpeg")},
        data={"alt": "A portrait"},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


def test_external_photo_urls_are_refused_and_only_library_images_are_taken(
    settings: ArticlesSettings,
) -> None:
    admin = make_token(settings, "admin", name="admin")
    with articles_client(settings) as client:
        refused = client.post(
            "/api/v1/people",
            json={"name": "Ann", "photo_url": "https://tracker.example/ann.jpg"},
            headers=auth(admin),
        )
        assert "media library" in assert_problem(refused, 422)["detail"] + refused.text
        unknown = client.post(
            "/api/v1/people", json={"name": "Ann", "photo_media_id": 4242}, headers=auth(admin)
        )
        assert "4242" in assert_problem(unknown, 422)["detail"]
        make_person(client, admin, name="Ann Lee")
        patch_url = client.patch(
            "/api/v1/people/ann-lee", json={"photo_url": "https://x.example/a.jpg"},
            headers=auth(admin),
        )  # fmt: skip
        assert_problem(patch_url, 422)
        patch_unknown = client.patch(
            "/api/v1/people/ann-lee", json={"photo_media_id": 4242}, headers=auth(admin)
        )
        assert_problem(patch_unknown, 422)
        # null drops an old one, and is fine.
        ok = client.patch("/api/v1/people/ann-lee", json={"photo_url": None}, headers=auth(admin))
        assert ok.status_code == 200, ok.text


def test_the_photo_travels_with_the_person_and_blocks_deleting_the_image(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    admin = make_token(settings, "admin", name="admin")
    with articles_client(settings) as client:
        image = uploaded(client, admin, jpeg(800, 1000, seed=3))
        make_person(client, admin, name="Ann Lee", photo_media_id=image["id"])
        article = create_article(client, admin, author_slugs=["ann-lee"])
        client.post(f"/api/v1/articles/{article['id']}/publish", json={"version": 1},
                    headers=auth(admin))  # fmt: skip
        in_use = assert_problem(
            client.delete(f"/api/v1/media/{image['id']}", headers=auth(admin)), 409
        )
        assert in_use["people"] == ["ann-lee"]
        assert "ann-lee" in in_use["detail"]
        # Dropping the photo frees the image.
        dropped = client.patch(
            "/api/v1/people/ann-lee", json={"photo_media_id": None}, headers=auth(admin)
        )
        assert dropped.status_code == 200, dropped.text
        assert client.delete(f"/api/v1/media/{image['id']}", headers=auth(admin)).status_code == 204
    created, dropped_event = queued_person_events(redis_dbs)[-2:]
    assert created.person.photo is not None
    assert created.person.photo.id == image["id"]
    assert created.person.photo.sha256 == image["sha256"]
    assert dropped_event.person.photo is None
    snap = queued_events(redis_dbs, "render-pages")[-1].snapshot
    assert snap.author_people[0].photo == created.person.photo
