"""Telling the render service about new totals, so pages show a recent count (and the
articles service, which ranks articles due for review by them).

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
from datetime import date, datetime, timedelta

import redis
from celery import Celery

from services.views import repository
from shared.contracts import VIEW_COUNTS_SUBSCRIBERS, ViewCounts
from shared.db import Database

log = logging.getLogger("healthhub.views.notify")

PENDING_KEY = "hh:views:notify:pending"
LAST_SENT_KEY = "hh:views:notify:last"
RECENT_SENT_PREFIX = "hh:views:notify:recent:"
RECENT_DAYS = 7
# Articles per message of the daily 7-day refresh.
REFRESH_CHUNK = 1000


def send_totals(
    celery_app: Celery,
    totals: dict[int, int],
    *,
    now: datetime,
    recent: dict[int, int] | None = None,
) -> bool:
    if not totals:
        return False
    payload = ViewCounts(totals=totals, as_of=now, recent=recent or {}).model_dump(mode="json")
    try:
        # Render (pages) and articles (the review-due ranking) both keep the totals; a failed
        # send re-sends to both, which is harmless: each stores the numbers it is given.
        for queue, task_name in VIEW_COUNTS_SUBSCRIBERS:
            celery_app.send_task(task_name, args=[payload], queue=queue, retry=False)
    except Exception as exc:  # the articles stay pending: sent again on the next flush
        log.warning("could not send view totals: %s", exc)
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


def claim_daily_refresh(r: redis.Redis, today: date) -> bool:
    """True for the first flush run of a UTC day: it sends every recently viewed article's
    7-day figure. Released (release_daily_refresh) if sending fails, so a later run retries."""
    return bool(r.set(RECENT_SENT_PREFIX + today.isoformat(), "1", nx=True, ex=2 * 24 * 3600))


def release_daily_refresh(r: redis.Redis, today: date) -> None:
    r.delete(RECENT_SENT_PREFIX + today.isoformat())


def recent_first_day(today: date) -> date:
    return today - timedelta(days=RECENT_DAYS - 1)


def send_due(
    celery_app: Celery,
    r: redis.Redis,
    db: Database,
    touched: Iterable[int],
    *,
    now: datetime,
    interval_seconds: float,
) -> list[int]:
    """Send the totals (and 7-day figures) of the articles that are due; the ids sent."""
    due = due_articles(r, touched, now=now, interval_seconds=interval_seconds)
    if not due:
        return []
    with db.transaction() as session:
        totals = repository.totals(session, due)
        recent = repository.sums_since(session, due, recent_first_day(now.date()))
    if not send_totals(celery_app, totals, now=now, recent={a: recent.get(a, 0) for a in totals}):
        return []
    mark_sent(r, due, now=now)
    return due


def refresh_recent(celery_app: Celery, r: redis.Redis, db: Database, *, now: datetime) -> int:
    """Once per UTC day: the 7-day figure of every article viewed in the last 9 days, so an
    article nobody reads any more drops out of "most viewed" instead of keeping last
    week's figure. The number of articles sent (0 when another run did it today)."""
    today = now.date()
    if not claim_daily_refresh(r, today):
        return 0
    with db.transaction() as session:
        # Eight days back, one more than the window: a day whose refresh was missed (the
        # service down all day) is caught up the next day.
        ids = repository.viewed_since(session, today - timedelta(days=RECENT_DAYS + 1))
        chunks = [ids[i : i + REFRESH_CHUNK] for i in range(0, len(ids), REFRESH_CHUNK)]
        messages = [
            (
                repository.totals(session, chunk),
                repository.sums_since(session, chunk, recent_first_day(today)),
            )
            for chunk in chunks
        ]
    for totals, recent in messages:
        if not send_totals(
            celery_app, totals, now=now, recent={a: recent.get(a, 0) for a in totals}
        ):
            release_daily_refresh(r, today)
            return 0
    return len(ids)
