"""What the views service tells render: totals after flushes, each article at most once per
interval, nothing lost when the broker is down (real Redis and a real broker queue)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import redis

from services.views import notify
from services.views.settings import ViewsSettings
from services.views.worker import create_celery
from shared.contracts import (
    ARTICLES_QUEUE,
    ARTICLES_VIEW_COUNTS_TASK,
    RENDER_LISTINGS_QUEUE,
    RENDER_VIEW_COUNTS_TASK,
    ViewCounts,
)
from tests.conftest import RedisDbs
from tests.resources import free_port
from tests.views.builders import T0, views_redis


def test_an_article_is_due_at_once_then_once_per_interval(views_settings: ViewsSettings) -> None:
    r: redis.Redis = views_redis(views_settings)
    due = notify.due_articles(r, [1, 2], now=T0, interval_seconds=30)
    assert due == [1, 2]
    notify.mark_sent(r, due, now=T0)
    # Counted again 10 s later: pending, not yet due.
    assert notify.due_articles(r, [1], now=T0 + timedelta(seconds=10), interval_seconds=30) == []
    # No new views, but a later flush run sends what waited.
    later = T0 + timedelta(seconds=31)
    assert notify.due_articles(r, [], now=later, interval_seconds=30) == [1]
    notify.mark_sent(r, [1], now=later)
    assert notify.due_articles(r, [], now=later + timedelta(seconds=60), interval_seconds=30) == []
    r.close()


def test_an_interval_of_zero_sends_every_flush(views_settings: ViewsSettings) -> None:
    r = views_redis(views_settings)
    for step in range(3):
        now = T0 + timedelta(seconds=step)
        assert notify.due_articles(r, [5], now=now, interval_seconds=0) == [5]
        notify.mark_sent(r, [5], now=now)
    r.close()


def test_totals_reach_the_render_queue_as_view_counts(
    views_settings: ViewsSettings, redis_dbs: RedisDbs
) -> None:
    assert notify.send_totals(create_celery(views_settings), {3: 17, 4: 2}, now=T0)
    raw = redis_dbs.client(redis_dbs.broker_db).lrange(RENDER_LISTINGS_QUEUE, 0, -1)
    assert len(raw) == 1
    message = json.loads(raw[0])
    assert message["headers"]["task"] == RENDER_VIEW_COUNTS_TASK
    payload = json.loads(base64.b64decode(message["body"]))[0][0]
    assert ViewCounts.model_validate(payload) == ViewCounts(totals={3: 17, 4: 2}, as_of=T0)
    # The same counts go to the articles service (its review-due list ranks by them).
    to_articles = redis_dbs.client(redis_dbs.broker_db).lrange(ARTICLES_QUEUE, 0, -1)
    assert len(to_articles) == 1
    message = json.loads(to_articles[0])
    assert message["headers"]["task"] == ARTICLES_VIEW_COUNTS_TASK
    payload = json.loads(base64.b64decode(message["body"]))[0][0]
    assert ViewCounts.model_validate(payload).totals == {3: 17, 4: 2}


def test_with_the_broker_down_nothing_is_sent_and_the_articles_stay_pending(
    views_settings: ViewsSettings,
) -> None:
    broker_down = views_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}"}
    )
    r = views_redis(views_settings)
    due = notify.due_articles(r, [8], now=T0, interval_seconds=30)
    assert not notify.send_totals(create_celery(broker_down), {8: 1}, now=T0)
    # The caller marks sent only on success: the article is due again next time.
    assert notify.due_articles(r, [], now=T0 + timedelta(seconds=1), interval_seconds=30) == due
    r.close()
