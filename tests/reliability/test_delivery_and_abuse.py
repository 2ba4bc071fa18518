"""Duplicate and out-of-order delivery, hostile slugs and a beacon flood, against the running
platform."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.render.settings import RenderSettings
from services.render.worker import create_celery
from shared.contracts import (
    RENDER_ARTICLE_CHANGED_TASK,
    RENDER_PAGES_QUEUE,
    ArticleEvent,
    ArticleSnapshot,
    CategoryRef,
)
from tests.e2e.stack import Stack, wait_for

WHEN = datetime(2026, 1, 5, 9, tzinfo=UTC)


def event(version: int, title: str) -> dict[str, object]:
    snapshot = ArticleSnapshot(
        id=90_001, version=version, slug="delivery-order", category=CategoryRef(slug="health", name="Health"),
        title=title, summary="", body="## Body\n\nText.\n", status="published",
        created_at=WHEN, updated_at=WHEN + timedelta(minutes=version), published_at=WHEN,
    )  # fmt: skip
    return ArticleEvent(
        kind="updated", occurred_at=snapshot.updated_at, snapshot=snapshot
    ).model_dump(mode="json")


def test_duplicated_and_reordered_events_leave_the_newest_version_on_the_page(stack: Stack) -> None:
    app = create_celery(RenderSettings(redis_url=stack.redis.url))
    deliveries = [v for v in range(1, 9) for _ in range(3)]  # every version three times
    random.Random(7).shuffle(deliveries)
    deliveries.remove(8)
    deliveries.insert(0, 8)  # the newest arrives first; everything after it is stale
    for version in deliveries:
        app.send_task(
            RENDER_ARTICLE_CHANGED_TASK,
            args=[event(version, f"Version {version}")],
            queue=RENDER_PAGES_QUEUE,
        )
    page = f"{stack.pages}/health/delivery-order"
    wait_for("the page", lambda: httpx.get(page, timeout=5).status_code == 200)
    # Let every queued delivery be processed, then check what stayed.
    wait_for(
        "the render queue to drain",
        lambda: stack.redis_client().llen(RENDER_PAGES_QUEUE) == 0,
        timeout=60,
    )
    html = wait_for(
        "version 8", lambda: (t := httpx.get(page, timeout=5).text) and "Version 8" in t and t
    )
    assert "<h1>Version 8</h1>" in html


@pytest.mark.parametrize(
    "slug",
    [
        "..",
        "%2e%2e",
        "../../etc/passwd",
        "a\x00b",
        "x" * 200,
        "ｈealth",
        "UPPER",
        "a/b",
        "-lead",
        "trail-",
    ],
)
def test_odd_slugs_are_refused_and_nothing_is_written_outside_the_store(
    stack: Stack, editor_token: str, slug: str
) -> None:
    before = {p for p in stack.root.iterdir()}
    r = httpx.post(
        f"{stack.articles}/api/v1/articles",
        json={"title": "Odd", "slug": slug, "category": "health"},
        headers={"Authorization": f"Bearer {editor_token}"},
        timeout=10,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {p for p in stack.root.iterdir()} == before
    outside = {p for p in stack.root.parent.iterdir()}
    assert not any(slug in p.name for p in outside if len(slug) > 3)


def test_a_beacon_flood_from_one_client_is_limited_and_others_are_unaffected(stack: Stack) -> None:
    stack.cli("seed")
    beacon = f"{stack.views}/api/v1/views/1"
    flood = {"User-Agent": "Mozilla/5.0 Flood/1.0", "X-Forwarded-For": "203.0.113.66"}
    # The limit counts per UTC minute, so the flood and the request checked after it must
    # fall in the same one (a new minute starts a new count). A flood that straddled a minute
    # boundary is done again: it then starts at the top of a fresh minute.
    for _ in range(2):
        minute = time.time() // 60
        codes = [httpx.post(beacon, headers=flood, timeout=5).status_code for _ in range(200)]
        limited = httpx.post(beacon, headers=flood, timeout=5)
        if time.time() // 60 == minute:
            break
    else:
        pytest.fail("two floods in a row straddled a minute boundary")
    assert codes.count(429) > 0
    assert limited.status_code == 429
    assert limited.headers["retry-after"]
    assert limited.headers["content-type"].startswith("application/problem+json")
    other = httpx.post(
        beacon,
        headers={"User-Agent": "Mozilla/5.0 Reader/1.0", "X-Forwarded-For": "203.0.113.67"},
        timeout=5,
    )
    assert other.status_code == 202
    assert other.json()["status"] == "counted"


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b"x" * 5_000_000, "application/json", 413),
        (b"{broken", "application/json", 422),
        (b"\xff\xfe\x00", "application/json", 400),
        (b'{"title": 5}', "application/json", 422),
        (b"title=x", "application/x-www-form-urlencoded", 422),
    ],
)
def test_oversized_and_malformed_bodies_are_4xx(
    stack: Stack, editor_token: str, content: bytes, content_type: str, expected: int
) -> None:
    r = httpx.post(
        f"{stack.articles}/api/v1/articles",
        content=content,
        headers={"Authorization": f"Bearer {editor_token}", "Content-Type": content_type},
        timeout=30,
    )
    assert r.status_code == expected, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    big_beacon = httpx.post(
        f"{stack.views}/api/v1/views/1",
        content=b"x" * 10_000,
        headers={"User-Agent": "Mozilla/5.0"},
        timeout=10,
    )
    assert big_beacon.status_code == 413
