"""Telling the render service about new totals, so pages show a recent count.

Render re-renders an article page when its total changes. Sending every flush's totals
would re-render a popular page every few seconds, all day; instead each article is sent at
most once per ``page_count_interval_seconds``. An article counted meanwhile waits in a
pending set and goes with the first flush run after its interval, so the count written into
the page is at most that interval plus one flush interval (plus a render) behind. The page's
own script reads the live count from the counts API besides.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

import redis
from celery import Celery

from shared.contracts import RENDER_LISTINGS_QUEUE, RENDER_VIEW_COUNTS_TASK, ViewCounts

log = logging.getLogger("healthhub.views.notify")

PENDING_KEY = "hh:views:notify:pending"
LAST_SENT_KEY = "hh:views:notify:last"


def send_totals(celery_app: Celery, totals: dict[int, int], *, now: datetime) -> bool:
    if not totals:
        return False
    payload = ViewCounts(totals=totals, as_of=now).model_dump(mode="json")
    try:
        celery_app.send_task(
            RENDER_VIEW_COUNTS_TASK, args=[payload], queue=RENDER_LISTINGS_QUEUE, retry=False
        )
    except Exception as exc:  # the articles stay pending: sent again on the next flush
        log.warning("could not send view totals to render: %s", exc)
        return False
    return True


def due_articles(
    r: redis.Redis, touched: Iterable[int], *, now: datetime, interval_seconds: float
) -> list[int]:
    """Mark ``touched`` articles pending; return the pending ones whose interval has passed."""
    touched = list(touched)
    if touched:
        r.sadd(PENDING_KEY, *touched)
    pending = sorted(int(a) for a in r.smembers(PENDING_KEY))
    if not pending:
        return []
    last = r.hmget(LAST_SENT_KEY, [str(a) for a in pending])
    cutoff = now.timestamp() - interval_seconds
    return [a for a, ts in zip(pending, last, strict=True) if ts is None or float(ts) <= cutoff]


def mark_sent(r: redis.Redis, articles: list[int], *, now: datetime) -> None:
    if not articles:
        return
    pipe = r.pipeline()
    pipe.hset(LAST_SENT_KEY, mapping={str(a): now.timestamp() for a in articles})
    pipe.srem(PENDING_KEY, *articles)
    pipe.execute()
