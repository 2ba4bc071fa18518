"""The rules of view counting, as plain functions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

import redis
import redis.asyncio as aioredis
from sqlalchemy.orm import Session

from services.views import buffer, repository
from services.views.models import KnownArticle
from shared.contracts import ArticleSnapshot

SALT_TTL_SECONDS = 2 * 24 * 3600


class Outcome(Enum):
    COUNTED = "counted"
    DUPLICATE = "duplicate"
    UNKNOWN = "unknown"
    RATE_LIMITED = "rate_limited"
    IGNORED = "ignored"  # bot or prefetch


_OUTCOMES = {
    buffer.COUNTED: Outcome.COUNTED,
    buffer.DUPLICATE: Outcome.DUPLICATE,
    buffer.UNKNOWN: Outcome.UNKNOWN,
    buffer.RATE_LIMITED: Outcome.RATE_LIMITED,
}


class DailySalt:
    """Today's salt, shared by every views process through Redis, cached in-process."""

    def __init__(self) -> None:
        self._day: date | None = None
        self._salt = ""

    async def get(self, r: aioredis.Redis, today: date) -> str:
        if self._day == today:
            return self._salt
        key = buffer.salt_key(today)
        await r.set(key, secrets.token_hex(16), nx=True, ex=SALT_TTL_SECONDS)
        value = await r.get(key)
        self._salt = value.decode() if isinstance(value, bytes) else str(value)
        self._day = today
        return self._salt


class ViewRecorder:
    """Counts one view in one Redis round trip (see buffer.RECORD_VIEW_LUA)."""

    def __init__(self, r: aioredis.Redis, *, window_seconds: int, rate_per_minute: int) -> None:
        self.r = r
        self.window = window_seconds
        self.rate = rate_per_minute
        self.script = r.register_script(buffer.RECORD_VIEW_LUA)

    async def record(self, *, article_id: int, reader: str, now: datetime) -> Outcome:
        minute = int(now.timestamp()) // 60
        code = await self.script(
            keys=[
                buffer.LIVE_KEY,
                buffer.seen_key(reader, article_id),
                buffer.BUFFER_KEY,
                buffer.rate_key(reader, minute),
                buffer.ACCEPTED_KEY,
            ],
            args=[article_id, self.window, buffer.buffer_field(article_id, now.date()), self.rate],
        )
        return _OUTCOMES[int(code)]


def learn_article(
    session: Session, r: redis.Redis, snapshot: ArticleSnapshot, now: datetime
) -> bool:
    """Apply an article event: only a newer version changes what we know. True if applied."""
    known = repository.get_known(session, snapshot.id)
    if known is not None and known.version >= snapshot.version:
        return False
    if known is None:
        known = KnownArticle(article_id=snapshot.id)
        session.add(known)
    known.version = snapshot.version
    known.slug = snapshot.slug
    known.category_slug = snapshot.category.slug
    known.live = snapshot.is_live
    known.updated_at = now
    session.flush()
    if snapshot.is_live:
        r.sadd(buffer.LIVE_KEY, snapshot.id)
    else:
        r.srem(buffer.LIVE_KEY, snapshot.id)
    return True


@dataclass(frozen=True)
class Counts:
    article_id: int
    total: int
    today: int
    last_7_days: int
    last_30_days: int


class UnknownArticle(Exception):
    def __init__(self, ref: int | str) -> None:
        super().__init__(f"No article {ref!r} is known to the views service.")


def counts(session: Session, *, article_id: int, today: date) -> Counts:
    if repository.get_known(session, article_id) is None:
        raise UnknownArticle(article_id)
    return Counts(
        article_id=article_id,
        total=repository.total(session, article_id),
        today=repository.sum_since(session, article_id, today),
        last_7_days=repository.sum_since(session, article_id, today - timedelta(days=6)),
        last_30_days=repository.sum_since(session, article_id, today - timedelta(days=29)),
    )


def daily(session: Session, *, article_id: int, today: date, days: int) -> list[tuple[date, int]]:
    """The last ``days`` days up to today, oldest first, days without views as 0."""
    if repository.get_known(session, article_id) is None:
        raise UnknownArticle(article_id)
    first = today - timedelta(days=days - 1)
    found = repository.daily(session, article_id, first)
    return [(d, found.get(d, 0)) for d in (first + timedelta(days=i) for i in range(days))]


# "Most viewed" windows: days counted back from today (today included); None = all time.
TOP_WINDOWS: dict[str, int | None] = {"1d": 1, "7d": 7, "30d": 30, "all": None}


@dataclass(frozen=True)
class TopEntry:
    article_id: int
    slug: str
    category: str
    views: int


def top(
    session: Session, *, window: str, category: str | None, limit: int, today: date
) -> list[TopEntry]:
    """The most viewed live articles in a window, most viewed first (ties: lower id first)."""
    days = TOP_WINDOWS[window]
    if days is None:
        rows = repository.top_all_time(session, category=category, limit=limit)
    else:
        first = today - timedelta(days=days - 1)
        rows = repository.top_since(session, first, category=category, limit=limit)
    return [TopEntry(*row) for row in rows]


def import_totals(
    session: Session, rows: list[tuple[str, int]], *, now: datetime
) -> dict[int, int]:
    """Set historic totals by article slug, for a site moving here. Idempotent: importing
    the same file twice leaves the same totals. Unknown slugs raise before anything is
    written. Returns the new totals by article id."""
    resolved: list[tuple[int, int]] = []
    for slug, n in rows:
        known = repository.known_by_slug(session, slug)
        if known is None:
            raise UnknownArticle(slug)
        resolved.append((known.article_id, n))
    for article_id, n in resolved:
        repository.set_imported(session, article_id, n, now)
    session.flush()
    return repository.totals(session, [aid for aid, _ in resolved])
