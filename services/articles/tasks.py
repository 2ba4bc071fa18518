"""Celery tasks the articles service consumes: thin, the logic lives in outbox.py and
scheduling.py."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from celery import current_app, shared_task

from services.articles import outbox, scheduling
from services.articles.settings import get_settings
from shared.contracts import OUTBOX_RELAY_TASK, PUBLISH_SCHEDULED_TASK
from shared.db import Database


@lru_cache
def _database() -> Database:
    return Database(get_settings().articles_database_url)


@shared_task(name=OUTBOX_RELAY_TASK, ignore_result=True)
def relay_outbox() -> int:
    settings = get_settings()
    return outbox.relay(
        _database(),
        current_app,
        now=datetime.now(UTC),
        grace_seconds=settings.relay_grace_seconds,
        batch_size=settings.relay_batch_size,
    )


@shared_task(name=PUBLISH_SCHEDULED_TASK, ignore_result=True)
def publish_scheduled() -> int:
    return scheduling.publish_due(_database(), current_app, now=datetime.now(UTC))
