"""Scheduled publishing through the scheduler's task function, against real databases and
a real broker: same events as a manual publish, and never twice with two schedulers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.articles import outbox, scheduling, service
from services.articles.models import Article, OutboxMessage
from services.articles.schemas import ArticleCreate
from services.articles.settings import ArticlesSettings
from services.articles.worker import create_celery
from shared.db import Database
from tests.conftest import RedisDbs
from tests.helpers import queued_events

T0 = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)


def make_scheduled(db: Database, count: int, at: datetime) -> list[int]:
    ids = []
    with db.transaction() as session:
        for n in range(count):
            article = service.create(
                session,
                data=ArticleCreate(title=f"Scheduled {n}", category="health", body="Text."),
                actor="test",
                now=T0,
                max_body_bytes=1_000_000,
            )
            service.schedule(
                session, article_id=article.id, expected_version=1, at=at, actor="test", now=T0
            )
            ids.append(article.id)
    return ids


def test_a_due_article_is_published_with_the_events_of_a_manual_publish(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    db = Database(settings.articles_database_url)
    celery_app = create_celery(settings)
    at = T0 + timedelta(hours=2)
    [scheduled_id] = make_scheduled(db, 1, at)
    [manual_id] = make_scheduled(db, 1, at + timedelta(days=1))
    assert scheduling.publish_due(db, celery_app, now=at - timedelta(seconds=1)) == 0
    assert queued_events(redis_dbs, "render-pages") == []
    assert scheduling.publish_due(db, celery_app, now=at + timedelta(seconds=1)) == 1
    with db.transaction() as session:
        service.publish(session, article_id=manual_id, expected_version=None, actor="test", now=at)
        manual_pending = outbox.take_pending(session)
    outbox.dispatch(db, celery_app, manual_pending, now=at)
    db.dispose()
    for queue in ("render-pages", "views"):
        events = queued_events(redis_dbs, queue)
        by_id = {e.snapshot.id: e for e in events}
        assert set(by_id) == {scheduled_id, manual_id}
        scheduled, manual = by_id[scheduled_id], by_id[manual_id]
        assert scheduled.kind == manual.kind == "published"
        assert scheduled.snapshot.status == manual.snapshot.status == "published"
        assert scheduled.snapshot.version == manual.snapshot.version == 3
        # It went live "as of" the time it was scheduled for.
        assert scheduled.snapshot.published_at == at


def test_two_schedulers_at_once_publish_each_article_exactly_once(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    setup = Database(settings.articles_database_url)
    at = T0 + timedelta(minutes=5)
    ids = make_scheduled(setup, 30, at)
    setup.dispose()
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def scheduler() -> None:
        # Each "scheduler" has its own engine, as two processes would.
        db = Database(settings.articles_database_url)
        try:
            start.wait()
            counts.append(scheduling.publish_due(db, create_celery(settings), now=at, batch_size=7))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(counts) == 30
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        statuses = set(session.scalars(select(Article.status).where(Article.id.in_(ids))))
        per_article = dict(
            session.execute(
                select(OutboxMessage.article_id, func.count()).group_by(OutboxMessage.article_id)
            ).all()
        )
    db.dispose()
    assert statuses == {"published"}
    assert per_article == dict.fromkeys(ids, 1)
    render = queued_events(redis_dbs, "render-pages")
    assert sorted(e.snapshot.id for e in render) == sorted(ids)


def test_the_schedule_lives_in_the_database_so_a_new_scheduler_finds_it(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    """A scheduler process that starts after the article was scheduled (a restart) knows
    nothing but the database, and that is enough."""
    first = Database(settings.articles_database_url)
    at = T0 + timedelta(minutes=1)
    [article_id] = make_scheduled(first, 1, at)
    first.dispose()
    restarted = Database(settings.articles_database_url)
    assert scheduling.publish_due(restarted, create_celery(settings), now=at) == 1
    assert scheduling.publish_due(restarted, create_celery(settings), now=at) == 0
    restarted.dispose()
    assert [(e.kind, e.snapshot.id) for e in queued_events(redis_dbs, "views")] == [
        ("published", article_id)
    ]
