"""The beacon: what counts as a view and what is dropped, through the pure-ASGI fast path and
through the FastAPI routes alike (real Redis; the views DB on SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import pytest
import redis

from services.views import buffer
from services.views.pixel import PIXEL
from services.views.settings import ViewsSettings
from tests.helpers import assert_problem
from tests.views.builders import (
    BROWSER,
    Clock,
    accepted,
    beacon,
    buffered_views,
    flush,
    learn,
    snapshot,
    views_client,
    views_redis,
)


@pytest.fixture(params=[True, False], ids=["fast-path", "fastapi-route"])
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def settings(views_settings: ViewsSettings) -> ViewsSettings:
    learn(views_settings, snapshot(1), snapshot(2), snapshot(3))
    return views_settings


def buffered(settings: ViewsSettings) -> dict[str, int]:
    """The buffered view counts (``article:day``), without the dimension fields."""
    r: redis.Redis = views_redis(settings)
    try:
        return buffered_views(r)
    finally:
        r.close()


def test_a_reader_is_counted_once_per_article_within_the_window(
    settings: ViewsSettings, fast_path: bool
) -> None:
    with views_client(settings, fast_path=fast_path) as client:
        first = client.post("/api/v1/views/1", headers={"User-Agent": BROWSER})
        assert first.status_code == 202
        assert first.json() == {"status": "counted"}
        again = client.post("/api/v1/views/1", headers={"User-Agent": BROWSER})
        assert again.status_code == 202
        assert again.json() == {"status": "duplicate"}
        assert beacon(client, 2) == 202  # another article: a view of its own
    assert buffered(settings) == {"1:2026-03-10": 1, "2:2026-03-10": 1}
    assert accepted(settings) == 2
    # The dedupe key lives exactly as long as the window (default 30 minutes).
    r = views_redis(settings)
    ttls = [r.ttl(k) for k in r.scan_iter(match=buffer.SEEN_PREFIX + "*")]
    r.close()
    assert len(ttls) == 2
    assert all(1790 < t <= 1800 for t in ttls)


def test_a_reader_counts_again_once_the_window_has_passed(views_settings: ViewsSettings) -> None:
    settings = views_settings.model_copy(update={"dedupe_window_seconds": 1})
    learn(settings, snapshot(1))
    with views_client(settings) as client:
        assert client.post("/api/v1/views/1", headers={"User-Agent": BROWSER}).json() == {
            "status": "counted"
        }
        r = views_redis(settings)
        seen = next(iter(r.scan_iter(match=buffer.SEEN_PREFIX + "*")))
        # Wait for Redis to expire the window's key (not a timing assertion: a precondition).
        for _ in range(100):
            if not r.exists(seen):
                break
            time.sleep(0.05)
        r.close()
        assert client.post("/api/v1/views/1", headers={"User-Agent": BROWSER}).json() == {
            "status": "counted"
        }
    assert accepted(settings) == 2


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0",
        "",
    ],
)
def test_bots_and_crawlers_are_answered_but_not_counted(
    settings: ViewsSettings, fast_path: bool, user_agent: str
) -> None:
    with views_client(settings, fast_path=fast_path) as client:
        response = client.post("/api/v1/views/1", headers={"User-Agent": user_agent})
        assert response.status_code == 204
        pixel = client.get("/api/v1/views/1/pixel.gif", headers={"User-Agent": user_agent})
        assert pixel.status_code == 200
        assert pixel.content == PIXEL
    assert buffered(settings) == {}
    assert accepted(settings) == 0


@pytest.mark.parametrize(
    "header",
    [
        {"Sec-Purpose": "prefetch"},
        {"Sec-Purpose": "prefetch;prerender"},
        {"Purpose": "prefetch"},
        {"X-Moz": "prefetch"},
        {"X-Purpose": "preview"},
    ],
)
def test_prefetch_and_prerender_requests_are_not_counted(
    settings: ViewsSettings, fast_path: bool, header: dict[str, str]
) -> None:
    with views_client(settings, fast_path=fast_path) as client:
        r = client.post("/api/v1/views/1", headers={"User-Agent": BROWSER, **header})
        assert r.status_code == 204
        # The real view that follows the prefetch is counted.
        assert beacon(client, 1) == 202
    assert buffered(settings) == {"1:2026-03-10": 1}


def test_unknown_and_unpublished_articles_get_404_and_count_nothing(
    views_settings: ViewsSettings, fast_path: bool
) -> None:
    learn(views_settings, snapshot(1), snapshot(2, status="draft"), snapshot(3))
    learn(views_settings, snapshot(3, status="unpublished", version=2))
    with views_client(views_settings, fast_path=fast_path) as client:
        for article_id in (2, 3, 999):
            response = client.post(f"/api/v1/views/{article_id}", headers={"User-Agent": BROWSER})
            assert_problem(response, 404)
        # The pixel never shows a broken image, and counts nothing either.
        pixel = client.get("/api/v1/views/999/pixel.gif", headers={"User-Agent": BROWSER})
        assert pixel.content == PIXEL
        assert beacon(client, 1) == 202
    assert buffered(views_settings) == {"1:2026-03-10": 1}


def test_an_article_published_again_counts_again(views_settings: ViewsSettings) -> None:
    learn(views_settings, snapshot(7, status="unpublished", version=2))
    with views_client(views_settings) as client:
        assert beacon(client, 7) == 404
        learn(views_settings, snapshot(7, version=3))
        assert beacon(client, 7) == 202
        # An older event arriving late changes nothing.
        learn(views_settings, snapshot(7, status="unpublished", version=2))
        assert beacon(client, 7, ua=BROWSER + " other") == 202


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "2147483648", "99999999999999"])
def test_malformed_ids_get_422_and_touch_no_redis_key(
    settings: ViewsSettings, fast_path: bool, bad: str
) -> None:
    r = views_redis(settings)
    keys_before = sorted(r.keys("*"))
    with views_client(settings, fast_path=fast_path) as client:
        assert_problem(client.post(f"/api/v1/views/{bad}", headers={"User-Agent": BROWSER}), 422)
        assert_problem(client.get(f"/api/v1/views/{bad}/pixel.gif"), 422)
    assert sorted(r.keys("*")) == keys_before
    r.close()


def test_a_large_body_is_refused_with_413(settings: ViewsSettings, fast_path: bool) -> None:
    with views_client(settings, fast_path=fast_path) as client:
        response = client.post(
            "/api/v1/views/1", content=b"x" * 4096, headers={"User-Agent": BROWSER}
        )
        assert_problem(response, 413)
        # sendBeacon's usual small body is fine.
        small = client.post("/api/v1/views/1", content=b"{}", headers={"User-Agent": BROWSER})
        assert small.status_code == 202
    assert accepted(settings) == 1


def test_the_pixel_counts_readers_without_javascript(
    settings: ViewsSettings, fast_path: bool
) -> None:
    with views_client(settings, fast_path=fast_path) as client:
        first = client.get("/api/v1/views/2/pixel.gif", headers={"User-Agent": BROWSER})
        assert first.status_code == 200
        assert first.headers["content-type"] == "image/gif"
        assert first.headers["cache-control"] == "no-store"
        assert first.content == PIXEL
        client.get("/api/v1/views/2/pixel.gif", headers={"User-Agent": BROWSER})
    assert buffered(settings) == {"2:2026-03-10": 1}


def test_wrong_methods_are_refused_with_405(settings: ViewsSettings) -> None:
    with views_client(settings) as client:
        assert_problem(client.put("/api/v1/views/1"), 405)
        assert_problem(client.post("/api/v1/views/1/pixel.gif"), 405)


def test_no_address_or_user_agent_is_stored_in_redis(settings: ViewsSettings) -> None:
    with views_client(settings, peer="198.51.100.23") as client:
        assert beacon(client, 1, ua="Mozilla/5.0 UniqueAgent/42") == 202
    r = views_redis(settings)
    keys: list[bytes] = list(r.scan_iter(match="*"))
    strings = [r.get(k) for k in keys if r.type(k) == b"string"]
    dump = b" ".join(keys) + b" " + b" ".join(v for v in strings if isinstance(v, bytes))
    r.close()
    for secret in (b"198.51.100.23", b"UniqueAgent"):
        assert secret not in dump


def test_counts_flow_from_beacons_to_the_counts_api(settings: ViewsSettings) -> None:
    clock = Clock()
    with views_client(settings, clock) as client:
        for n in range(3):
            assert beacon(client, 1, ua=f"{BROWSER} reader{n}") == 202
        flush(settings, clock.now)
        counts = client.get("/api/v1/views/1").json()
    assert counts == {
        "article_id": 1,
        "total": 3,
        "today": 3,
        "last_7_days": 3,
        "last_30_days": 3,
    }


def test_metrics_count_what_each_beacon_was_answered(
    settings: ViewsSettings, fast_path: bool
) -> None:
    """healthhub_views_beacons{outcome}: what this process did with each beacon or pixel,
    duplicates included (tests/e2e/test_browser.py proves with it that none went missing)."""
    with views_client(settings, fast_path=fast_path) as client:
        assert beacon(client, 1) == 202
        assert beacon(client, 1) == 202  # a duplicate
        assert client.get("/api/v1/views/1/pixel.gif", headers={"User-Agent": BROWSER}).content
        assert beacon(client, 1, ua="curl/8.5.0") == 204
        assert beacon(client, 999) == 404
        text = client.get("/metrics").text
    found = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("healthhub_views_beacons_total{")
    }
    assert found == {
        "counted": 1, "duplicate": 2, "unknown": 1, "rate_limited": 0, "capped": 0, "ignored": 1,
    }  # fmt: skip
