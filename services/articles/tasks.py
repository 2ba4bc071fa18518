"""Celery tasks the articles service consumes: thin, the logic lives in outbox.py and
scheduling.py."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from celery import current_app, shared_task
from sqlalchemy.exc import IntegrityError, OperationalError

from services.articles import outbox, scheduling
from services.articles import people_repository as people_repo
from services.articles.settings import get_settings
from shared.contracts import (
    ARTICLES_VIEW_COUNTS_TASK,
    OUTBOX_RELAY_TASK,
    PUBLISH_SCHEDULED_TASK,
    ViewCounts,
)
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


# A conflict with a concurrent insert of the same article's row (PostgreSQL), or a database
# briefly away: the retry writes the numbers again.
@shared_task(
    name=ARTICLES_VIEW_COUNTS_TASK,
    ignore_result=True,
    autoretry_for=(OperationalError, IntegrityError),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=50,
)
def view_counts(payload: dict[str, Any]) -> int:
    """Keep the totals the views service reports (the review-due list ranks by them).
    Idempotent: a redelivered message writes the same numbers again."""
    counts = ViewCounts.model_validate(payload)
    now = datetime.now(UTC)
    with _database().transaction() as session:
        for article_id, total in sorted(counts.totals.items()):
            people_repo.upsert_views(session, article_id, total, counts.recent.get(article_id), now)
    return len(counts.totals)
