"""Scheduled publishing: the scheduler's periodic task lands here.

Publishing goes through service.publish (same revision, same outbox event as a manual
publish); the events are dispatched only after the transaction committed, like a request.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import Celery

from services.articles import outbox, workflow
from shared.db import Database

log = logging.getLogger("healthhub.articles.scheduling")


def publish_due(db: Database, celery_app: Celery, *, now: datetime, batch_size: int = 100) -> int:
    """Publish every scheduled article whose time is ``now`` or earlier; returns how many."""
    total = 0
    while True:
        with db.transaction() as session:
            published, held = workflow.publish_due(session, now=now, limit=batch_size)
            pending = outbox.take_pending(session)
        outbox.dispatch(db, celery_app, pending, now=now)
        total += len(published)
        if published:
            log.info("scheduled publishing: %s", ", ".join(str(a.id) for a in published))
        # Those sent back to draft are logged one by one (workflow.unschedule_unreviewed).
        if len(published) + len(held) < batch_size:
            return total
