"""Celery tasks the views service consumes: thin, the logic lives in flusher.py/service.py."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import current_app, shared_task
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError
from sqlalchemy.exc import OperationalError

from services.views import buffer, flusher, notify, service
from services.views.runtime import get_runtime
from shared.contracts import VIEWS_ARTICLE_CHANGED_TASK, VIEWS_FLUSH_TASK, ArticleEvent

log = logging.getLogger("healthhub.views.tasks")
RETRY = {
    # A full views Redis (maxmemory, noeviction) refuses writes until the flusher and
    # expiring dedupe keys make room: an article event must wait for that, not be dropped.
    "autoretry_for": (OperationalError, RedisConnectionError, OutOfMemoryError),
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "max_retries": 50,
    "ignore_result": True,
}


@shared_task(name=VIEWS_ARTICLE_CHANGED_TASK, **RETRY)
def article_changed(payload: dict[str, Any]) -> bool:
    event = ArticleEvent.model_validate(payload)
    rt = get_runtime()
    with rt.db.transaction() as session:
        return service.learn_article(session, rt.redis, event.snapshot, datetime.now(UTC))


@shared_task(name=VIEWS_FLUSH_TASK, **RETRY)
def flush() -> int:
    rt = get_runtime()
    now = datetime.now(UTC)
    if not rt.redis.exists(buffer.LIVE_KEY):
        flusher.sync_live_set(rt.redis, rt.db)
    result = flusher.flush(rt.redis, rt.db, now=now)
    if result.views:
        log.info("flushed %d view(s) in %d batch(es)", result.views, result.batches)
    settings = rt.settings
    notify.send_due(
        current_app, rt.redis, rt.db, result.touched, now=now,
        interval_seconds=settings.page_count_interval_seconds,
    )  # fmt: skip
    notify.refresh_recent(current_app, rt.redis, rt.db, now=now)
    flusher.prune_dimensions(
        rt.redis, rt.db, today=now.date(), retention_days=settings.analytics_retention_days
    )
    return result.views
