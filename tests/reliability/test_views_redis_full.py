"""A beacon flood fills the views' own Redis (maxmemory, noeviction, as views-redis in
compose) and nothing else: beacons get 503 with Retry-After (never a 500), the Celery broker
on the other Redis keeps working (a publish made during the flood reaches the site), the
flusher keeps moving buffered counts into the database, and every acknowledged view is
counted exactly once."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.stack import Stack, start_stack, wait_for
from tests.reliability.drills import (
    BeaconLoad,
    record,
    send_beacon,
    steady_total,
    wait_for_total,
)
from tests.resources import RedisServer

ARTICLE = 1  # the sample osteoporosis article
# Room for about a thousand new readers' keys above what the platform itself holds; the
# compose file's 256mb fills the same way, only later.
HEADROOM = 512 * 1024


@pytest.fixture
def views_redis() -> Iterator[RedisServer]:
    server = RedisServer.launch()
    yield server
    server.close()


@pytest.fixture
def stack(tmp_path: Path, views_redis: RedisServer) -> Iterator[Stack]:
    running = start_stack(tmp_path, HEALTHHUB_VIEWS_REDIS=f"{views_redis.url}/0")
    yield running
    running.stop()


def used_memory(client: redis.Redis) -> int:
    info: dict[str, int] = client.info("memory")
    return int(info["used_memory"])


def test_a_beacon_flood_fills_only_the_views_redis_and_the_broker_keeps_working(
    stack: Stack, views_redis: RedisServer
) -> None:
    stack.cli("seed")
    headers = {"Authorization": f"Bearer {stack.token()}"}
    beacon = f"{stack.views}/api/v1/views/{ARTICLE}"
    wait_for("the article to be live", lambda: httpx.get(beacon, timeout=5).status_code == 200)
    before = steady_total(beacon)
    views = redis.Redis.from_url(f"{views_redis.url}/0")
    broker = stack.redis_client(0)
    limit = used_memory(views) + HEADROOM
    views.config_set("maxmemory", limit)

    load = BeaconLoad(beacon, threads=3).start()
    try:
        full = wait_for("the views Redis to fill", lambda: load.unacknowledged(), timeout=40)
        assert full[0].status == 503, full[0]
        full_at = time.monotonic()
        # The broker is untouched: a publish made now reaches the site.
        created = httpx.post(
            f"{stack.articles}/api/v1/articles",
            json={"title": "During the flood", "slug": "during-the-flood", "category": "health",
                  "body": "## Part\n\nText."},
            headers=headers, timeout=10,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        published = httpx.post(
            f"{stack.articles}/api/v1/articles/{created.json()['id']}/publish",
            headers=headers,
            timeout=10,
        )
        assert published.status_code == 200, published.text
        wait_for(
            "the page published during the flood",
            lambda: (
                httpx.get(f"{stack.pages}/health/during-the-flood", timeout=5).status_code == 200
            ),
            timeout=40,
        )
        time.sleep(1)
    finally:
        load.stop()
    flood_seconds = time.monotonic() - full_at

    counted, refused = load.counted(), load.unacknowledged()
    assert {a.status for a in refused} == {503}, {a.status for a in refused}
    assert all(a.problem and a.retry_after == "2" for a in refused)
    assert used_memory(views) > limit * 0.9  # it really was full
    # No views key on the broker's Redis, in any of its databases.
    keyspace: dict[str, Any] = broker.info("keyspace")
    assert keyspace, "the broker's Redis holds no keys at all: the check would mean nothing"
    for name in keyspace:
        with stack.redis_client(int(name.removeprefix("db"))) as db:
            assert not list(db.scan_iter(match="hh:views:*", count=1000)), name

    # The article event of the publish made during the flood waited (a full views Redis
    # refuses its write) and was not dropped: once there is room, the views know the article.
    views.config_set("maxmemory", 0)
    new_beacon = f"{stack.views}/api/v1/views/{created.json()['id']}"
    readers = (f"203.0.{n >> 8}.{n % 256}" for n in itertools.count(1))
    with httpx.Client(timeout=10) as client:

        def new_article_counted() -> bool:
            answer = send_beacon(client, new_beacon, next(readers))
            return answer.status == 202 and answer.outcome == "counted"

        wait_for(
            "a beacon for the article published during the flood",
            new_article_counted,
            timeout=90,
            interval=0.5,
        )
    # A full Redis refuses a script before its first write: a refused beacon left nothing
    # behind, and the flusher (RENAME, read, DEL: allowed when full) moved every
    # acknowledged one into the database.
    expected = before + len(counted)
    total = wait_for_total(beacon, expected)
    assert total == expected, (total, expected)
    record(
        "views-redis-full",
        scenario="A beacon flood fills the views' own Redis (maxmemory, noeviction)",
        does=(
            "views count into a Redis of their own (like `views-redis` in compose) whose "
            "maxmemory is set 512 KiB above its contents; three clients send beacons from new "
            "readers until it is full, and an editor publishes meanwhile "
            "(`tests/reliability/test_views_redis_full.py`)"
        ),
        checks=(
            "beacons over the limit get 503 problem+json with Retry-After (never 500); no "
            "views key in any database of the broker's Redis; the article published during the "
            "flood is served, and once the views Redis has room again its beacons are counted "
            "(the article event waited, not dropped); the total equals the views before + "
            "acknowledged, exactly"
        ),
        figure=(
            f"{len(counted)} acknowledged before the limit, {len(refused)} refused over "
            f"{flood_seconds:.1f} s while full; publish during the flood served; total exact"
        ),
        acknowledged=len(counted),
        refused=len(refused),
        seconds_full=round(flood_seconds, 1),
        total=total,
        expected=expected,
    )
