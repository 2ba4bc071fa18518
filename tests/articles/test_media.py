"""The media library over HTTP, against real databases (SQLite and PostgreSQL) and files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

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
from tests.images import CAMERA_MAKE, GPS_IFD, jpeg, jpeg_with_gps, png_bomb, png_with_alpha


@pytest.fixture
def settings(articles_settings: ArticlesSettings) -> ArticlesSettings:
    seed_categories(articles_settings)
    return articles_settings


def upload(
    client: TestClient,
    token: str,
    data: bytes,
    *,
    name: str = "picture.jpg",
    content_type: str = "image/jpeg",
    alt: str | None = "A drawn picture",
) -> Any:
    form = {} if alt is None else {"alt": alt}
    return client.post(
        "/api/v1/media",
        files={"file": (name, data, content_type)},
        data=form,
        headers=auth(token),
    )


def uploaded(client: TestClient, token: str, data: bytes, **kwargs: Any) -> dict[str, Any]:
    response = upload(client, token, data, **kwargs)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


def stored(settings: ArticlesSettings, url: str) -> Path:
    assert url.startswith("/media/")
    return settings.media_root / url.removeprefix("/media/")


def test_an_upload_is_cleaned_named_by_content_and_resized(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        item = uploaded(client, token, jpeg(1500, 1000))
        assert (item["width"], item["height"]) == (1500, 1000)
        assert [r["width"] for r in item["renditions"]] == [320, 640, 960, 1280, 1500]
        original = stored(settings, item["original_url"])
        assert original.name == f"{item['sha256']}.jpg"
        assert hashlib.sha256(original.read_bytes()).hexdigest() == item["sha256"]
        for rendition in item["renditions"]:
            for key, fmt in (("webp", "WEBP"), ("jpeg", "JPEG")):
                path = stored(settings, rendition[key])
                assert path.name.startswith(f"{item['sha256']}-{rendition['width']}.")
                with Image.open(path) as image:
                    assert image.format == fmt
                    assert image.size == (rendition["width"], rendition["height"])
                    image.load()  # decodes completely: a valid file
        assert item["markdown"] == f"![A drawn picture](media:{item['id']})"
        again = client.get(f"/api/v1/media/{item['id']}", headers=auth(token))
        assert again.status_code == 200 and again.json() == item


def test_a_small_image_is_never_upscaled(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        item = uploaded(client, token, jpeg(200, 120))
    assert [(r["width"], r["height"]) for r in item["renditions"]] == [(200, 120)]


def test_a_transparent_png_keeps_its_alpha_in_the_original_and_webp(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        item = uploaded(client, token, png_with_alpha(), name="logo.png", content_type="image/png")
    original = stored(settings, item["original_url"])
    assert original.suffix == ".png"
    with Image.open(original) as image:
        assert image.mode == "RGBA"
    with Image.open(stored(settings, item["renditions"][0]["webp"])) as image:
        assert image.mode == "RGBA"
    with Image.open(stored(settings, item["renditions"][0]["jpeg"])) as image:
        assert image.mode == "RGB"


def test_the_same_picture_twice_is_one_image_with_one_name(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    data = jpeg(900, 600, seed=3)
    with articles_client(settings) as client:
        first = uploaded(client, token, data)
        second = upload(client, token, data, name="another-name.jpg", alt="Other words")
        assert second.status_code == 200
        assert second.json()["id"] == first["id"]
        assert second.json()["sha256"] == first["sha256"]
        other = uploaded(client, token, jpeg(900, 600, seed=40))
        assert other["sha256"] != first["sha256"]
        listing = client.get("/api/v1/media", headers=auth(token)).json()
    assert listing["total"] == 2
    assert [m["id"] for m in listing["items"]] == [other["id"], first["id"]]


def test_exif_and_the_gps_position_are_gone_from_every_stored_file(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        item = uploaded(client, token, jpeg_with_gps())
    files = sorted(settings.media_root.glob(f"{item['sha256']}*"))
    assert len(files) == 1 + 2 * len(item["renditions"])
    for path in files:
        raw = path.read_bytes()
        assert CAMERA_MAKE.encode() not in raw, path.name
        assert b"Exif\x00\x00" not in raw, path.name
        with Image.open(path) as image:
            exif = image.getexif()
            assert dict(exif) == {}, path.name
            assert not exif.get_ifd(GPS_IFD), path.name
            assert "exif" not in image.info and "icc_profile" not in image.info


def test_a_text_file_named_jpg_is_refused_as_not_an_image(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        response = upload(client, token, b"Just some words, not a picture.\n" * 20)
        problem = assert_problem(response, 415)
        assert "decoding" in problem["detail"]
        # An image's first bytes with garbage after them is not an image either.
        truncated = upload(client, token, jpeg(800, 600)[:300])
        assert_problem(truncated, 415)
        assert client.get("/api/v1/media", headers=auth(token)).json()["total"] == 0
    assert not settings.media_root.exists() or list(settings.media_root.iterdir()) == []


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(
    articles_settings: ArticlesSettings,
) -> None:
    settings = articles_settings.model_copy(update={"media_max_pixels": 1_000_000})
    token = make_token(settings)
    with articles_client(settings) as client:
        bomb = png_bomb(6000, 6000)  # 36 megapixels in a few kilobytes
        assert len(bomb) < 10_000
        problem = assert_problem(upload(client, token, bomb, name="bomb.png"), 422)
        assert "6000 x 6000" in problem["detail"]
        # Far past Pillow's own limit (2 x Image.MAX_IMAGE_PIXELS): refused as well.
        huge = png_bomb(20000, 20000)
        assert_problem(upload(client, token, huge, name="huge.png"), 422)
        # Few pixels but a side longer than WebP can encode: refused, not a 500.
        tall = png_bomb(40, 20000)
        assert (
            "40 x 20000"
            in assert_problem(upload(client, token, tall, name="tall.png"), 422)["detail"]
        )
        assert client.get("/api/v1/media", headers=auth(token)).json()["total"] == 0


def test_an_oversized_file_is_refused_with_413(articles_settings: ArticlesSettings) -> None:
    settings = articles_settings.model_copy(update={"media_max_bytes": 20_000})
    token = make_token(settings)
    with articles_client(settings) as client:
        big = jpeg(1200, 900)
        assert len(big) > 20_000
        problem = assert_problem(upload(client, token, big), 413)
        assert "20000 bytes" in problem["detail"]
        # Far larger: the body limit in front of the app answers before anything is parsed.
        assert_problem(upload(client, token, b"\xff" * 200_000), 413)
        small = uploaded(client, token, jpeg(100, 80))
        assert small["width"] == 100


def test_alt_text_is_required(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        assert_problem(upload(client, token, jpeg(300, 200), alt=None), 422)
        assert_problem(upload(client, token, jpeg(300, 200), alt="   "), 422)
        assert client.get("/api/v1/media", headers=auth(token)).status_code == 200
        assert client.post("/api/v1/media", headers=auth(token)).status_code == 422


def test_uploading_needs_an_editor_token(settings: ArticlesSettings) -> None:
    with articles_client(settings) as client:
        response = client.post(
            "/api/v1/media",
            files={"file": ("a.jpg", jpeg(100, 100), "image/jpeg")},
            data={"alt": "x"},
        )
        assert_problem(response, 401)


def test_an_image_in_use_cannot_be_deleted(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        hero = uploaded(client, token, jpeg(800, 500, seed=1))
        inline = uploaded(client, token, jpeg(800, 500, seed=2))
        article = create_article(
            client,
            token,
            hero_media_id=hero["id"],
            body=f"Intro.\n\n![A diagram](media:{inline['id']})\n",
        )
        assert article["hero_media_id"] == hero["id"]
        for item in (hero, inline):
            response = client.delete(f"/api/v1/media/{item['id']}", headers=auth(token))
            problem = assert_problem(response, 409)
            assert problem["articles"] == [article["id"]]
        assert stored(settings, hero["original_url"]).is_file()
        # Take both off the article: now they can go, files included.
        patched = client.patch(
            f"/api/v1/articles/{article['id']}",
            json={"hero_media_id": None, "body": "No pictures now.", "version": 1},
            headers=auth(token),
        )
        assert patched.status_code == 200, patched.text
        for item in (hero, inline):
            assert (
                client.delete(f"/api/v1/media/{item['id']}", headers=auth(token)).status_code == 204
            )
            assert_problem(client.get(f"/api/v1/media/{item['id']}", headers=auth(token)), 404)
            assert list(settings.media_root.glob(f"{item['sha256']}*")) == []
        assert_problem(client.delete(f"/api/v1/media/{hero['id']}", headers=auth(token)), 404)


def test_an_article_may_only_name_images_the_library_has(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        response = client.post(
            "/api/v1/articles",
            json={"title": "Pictures", "category": "health", "hero_media_id": 999},
            headers=auth(token),
        )
        assert "999" in assert_problem(response, 422)["detail"]
        response = client.post(
            "/api/v1/articles",
            json={"title": "Pictures", "category": "health", "body": "![x](media:77)"},
            headers=auth(token),
        )
        assert "77" in assert_problem(response, 422)["detail"]


def test_new_external_hero_urls_are_refused_old_ones_may_stay_or_go(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        response = client.post(
            "/api/v1/articles",
            json={
                "title": "Tracked",
                "category": "health",
                "hero_image_url": "https://tracker.example/pixel.jpg",
            },
            headers=auth(token),
        )
        problem = assert_problem(response, 422)
        assert [e["loc"][-1] for e in problem["errors"]] == ["hero_image_url"]
        assert "media library" in problem["errors"][0]["msg"]
        article = create_article(client, token, title="Plain")
        dropped = client.patch(
            f"/api/v1/articles/{article['id']}",
            json={"hero_image_url": None, "version": 1},
            headers=auth(token),
        )
        assert dropped.status_code == 200 and dropped.json()["hero_image_url"] is None


def test_the_published_snapshot_carries_the_images_with_their_sizes(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        hero = uploaded(client, token, jpeg(1000, 500, seed=5), alt="Library alt")
        inline = uploaded(client, token, jpeg(400, 300, seed=6))
        article = create_article(
            client,
            token,
            hero_media_id=hero["id"],
            hero_image_alt="The article's own alt",
            body=f"![One](media:{inline['id']}) and again ![Two](media:{inline['id']})",
        )
        published = client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        assert published.status_code == 200
    (event,) = queued_events(redis_dbs, "render-pages")
    snap = event.snapshot
    assert snap.hero_media is not None
    assert (snap.hero_media.id, snap.hero_media.sha256) == (hero["id"], hero["sha256"])
    assert (snap.hero_media.width, snap.hero_media.height) == (1000, 500)
    assert snap.hero_media.widths == (320, 640, 960, 1000)
    assert snap.hero_media.alt == "The article's own alt"
    assert [m.id for m in snap.media] == [inline["id"]]
    assert snap.media[0].widths == (320, 400)


def test_a_restored_revision_brings_its_library_hero_back(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        hero = uploaded(client, token, jpeg(640, 480, seed=9))
        article = create_article(client, token, hero_media_id=hero["id"])
        cleared = client.patch(
            f"/api/v1/articles/{article['id']}",
            json={"hero_media_id": None, "version": 1},
            headers=auth(token),
        )
        assert cleared.json()["hero_media_id"] is None
        restored = client.post(
            f"/api/v1/articles/{article['id']}/revisions/1/restore",
            json={"version": 2},
            headers=auth(token),
        )
        assert restored.status_code == 200, restored.text
        assert restored.json()["hero_media_id"] == hero["id"]
        assert_problem(client.delete(f"/api/v1/media/{hero['id']}", headers=auth(token)), 409)


def test_an_image_of_a_deleted_article_can_be_deleted(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    admin = make_token(settings, role="admin", name="boss")
    with articles_client(settings) as client:
        hero = uploaded(client, token, jpeg(640, 480, seed=11))
        article = create_article(client, token, hero_media_id=hero["id"])
        assert (
            client.delete(f"/api/v1/articles/{article['id']}", headers=auth(admin)).status_code
            == 204
        )
        assert client.delete(f"/api/v1/media/{hero['id']}", headers=auth(token)).status_code == 204
    assert list(settings.media_root.glob(f"{hero['sha256']}*")) == []


def test_the_public_content_api_gives_the_library_hero_ready_for_srcset(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        hero = uploaded(client, token, jpeg(1000, 600, seed=13), alt="A hip model")
        article = create_article(client, token, hero_media_id=hero["id"])
        client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        public = client.get(f"/api/v1/content/articles/{article['slug']}").json()
    image = public["hero_image"]
    assert (image["width"], image["height"], image["alt"]) == (1000, 600, "A hip model")
    assert image["src"] == f"/media/{hero['sha256']}-1000.jpg"
    assert [w for _, w in (p.rsplit(" ", 1) for p in image["srcset_webp"].split(", "))] == [
        "320w",
        "640w",
        "960w",
        "1000w",
    ]
    assert public["hero_image_url"] is None


def test_a_reference_style_image_counts_as_in_use(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        image = uploaded(client, token, jpeg(800, 500, seed=4))
        body = f"Intro.\n\n![A diagram [with brackets]][fig]\n\n[fig]: media:{image['id']}\n"
        article = create_article(client, token, body=body)
        response = client.delete(f"/api/v1/media/{image['id']}", headers=auth(token))
        assert assert_problem(response, 409)["articles"] == [article["id"]]
        missing = client.post(
            "/api/v1/articles",
            json={**article_body(slug="other"), "body": "![x][f]\n\n[f]: media:4242\n"},
            headers=auth(token),
        )
        assert_problem(missing, 422)
