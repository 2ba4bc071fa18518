"""One-line builders for the views tests: article snapshots, a controllable clock, clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from fastapi.testclient import TestClient

from services.views import buffer, flusher, service
from services.views.app import create_app
from services.views.settings import ViewsSettings
from shared.contracts import ArticleSnapshot, CategoryRef
from shared.contracts import ArticleStatus as Status
from shared.db import Database

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def snapshot(
    article_id: int,
    *,
    status: Status = "published",
    version: int = 1,
    slug: str | None = None,
    category: str = "health",
) -> ArticleSnapshot:
    return ArticleSnapshot(
        id=article_id,
        version=version,
        slug=slug or f"article-{article_id}",
        category=CategoryRef(slug=category, name=category.title()),
        title=f"Article {article_id}",
        status=status,
        created_at=T0,
        updated_at=T0,
        published_at=T0 if status == "published" else None,
    )


def views_redis(settings: ViewsSettings) -> redis.Redis:
    return redis.Redis.from_url(settings.views_redis_url)


def learn(settings: ViewsSettings, *snapshots: ArticleSnapshot) -> None:
    """Apply article events as the views worker would."""
    db = Database(settings.views_database_url)
    r = views_redis(settings)
    try:
        for snap in snapshots:
            with db.transaction() as session:
                service.learn_article(session, r, snap, T0)
    finally:
        db.dispose()
        r.close()


def flush(settings: ViewsSettings, now: datetime = T0) -> flusher.FlushResult:
    db = Database(settings.views_database_url)
    r = views_redis(settings)
    try:
        return flusher.flush(r, db, now=now)
    finally:
        db.dispose()
        r.close()


def accepted(settings: ViewsSettings) -> int:
    r = views_redis(settings)
    try:
        return int(r.get(buffer.ACCEPTED_KEY) or 0)
    finally:
        r.close()


@contextmanager
def views_client(
    settings: ViewsSettings,
    clock: Clock | None = None,
    *,
    fast_path: bool = True,
    peer: str = "203.0.113.50",
) -> Iterator[TestClient]:
    app = create_app(settings, clock or Clock(), fast_path=fast_path)
    with TestClient(app, raise_server_exceptions=False, client=(peer, 40000)) as client:
        yield client


def beacon(client: TestClient, article_id: int | str, *, ua: str = BROWSER, **headers: str) -> int:
    """POST a beacon; the status code."""
    sent = {"User-Agent": ua, **{k.replace("_", "-"): v for k, v in headers.items()}}
    status: int = client.post(f"/api/v1/views/{article_id}", headers=sent).status_code
    return status


def buffered_views(r: redis.Redis) -> dict[str, int]:
    """The views the buffer holds per ``article:day``, whatever the dimensions of their
    count fields (``1:2026-03-10;referrer=direct;device=desktop`` counts for ``1:2026-03-10``)."""
    raw: dict[bytes, bytes] = r.hgetall(buffer.BUFFER_KEY)  # type: ignore[assignment]
    views: dict[str, int] = {}
    for key, value in raw.items():
        parsed = buffer.parse_field(key.decode())
        if parsed.views:
            name = f"{parsed.article_id}:{parsed.day.isoformat()}"
            views[name] = views.get(name, 0) + int(value)
    return views
