"""A frozen broker (Redis SIGSTOPped: connections accepted, nothing answered) does not hold
up an editor: the publish answers in well under 200 ms, and the relay delivers the event once
Redis wakes up."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from services.articles import outbox
from services.articles.settings import ArticlesSettings
from services.articles.worker import create_celery
from shared.db import Database
from tests.helpers import articles_client, auth, create_article, make_token, seed_categories
from tests.resources import RedisServer


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer.launch()
    yield server
    if server.proc is not None:
        os.kill(server.proc.pid, signal.SIGCONT)
    server.close()


def render_queue(server: RedisServer) -> int:
    return int(redis.Redis.from_url(f"{server.url}/0").llen("render-pages"))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_publishes_answer_fast_while_redis_is_frozen_and_arrive_after(
    articles_settings: ArticlesSettings, own_redis: RedisServer
) -> None:
    settings = articles_settings.model_copy(update={"redis_url": own_redis.url, "broker_db": 0})
    seed_categories(settings)
    token = make_token(settings)
    with articles_client(settings) as client:
        ids = [create_article(client, token, slug=f"frozen-{i}")["id"] for i in range(5)]
        assert own_redis.proc is not None
        os.kill(own_redis.proc.pid, signal.SIGSTOP)
        try:
            timings = []
            for article_id in ids:
                started = time.perf_counter()
                r = client.post(f"/api/v1/articles/{article_id}/publish", headers=auth(token))
                timings.append(time.perf_counter() - started)
                assert r.status_code == 200, r.text
        finally:
            os.kill(own_redis.proc.pid, signal.SIGCONT)
        print(f"publish with a frozen broker: slowest {max(timings) * 1000:.0f} ms")
        assert max(timings) < 0.2, timings
    # Redis is awake: what the frozen sends did not deliver, the relay does, exactly once
    # per event (consumers are idempotent, but nothing is sent twice here either).
    db = Database(settings.articles_database_url)
    try:
        outbox.relay(
            db, create_celery(settings), now=datetime.now(UTC), grace_seconds=0, batch_size=100
        )
        assert render_queue(own_redis) == len(ids)
    finally:
        db.dispose()
