"""The outbox: a publish is never lost between the database and the broker."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from services.articles import outbox
from services.articles.models import OutboxMessage
from services.articles.settings import ArticlesSettings
from services.articles.worker import create_celery
from shared.db import Database
from tests.conftest import RedisDbs
from tests.helpers import (
    articles_client,
    auth,
    create_article,
    make_token,
    queued_events,
    seed_categories,
)
from tests.resources import free_port


def unsent(settings: ArticlesSettings) -> list[OutboxMessage]:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))))
    db.dispose()
    return rows


def test_publish_while_the_broker_is_down_succeeds_and_the_relay_delivers_later(
    articles_settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    seed_categories(articles_settings)
    token = make_token(articles_settings)
    # The API talks to a broker address where nothing listens: Redis is "down".
    down = articles_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}"})
    with articles_client(down) as client:
        article = create_article(client, token)
        response = client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        assert response.status_code == 200
        assert response.json()["status"] == "published"
    pending = unsent(articles_settings)
    assert [(m.article_id, m.version, m.attempts) for m in pending] == [(article["id"], 2, 1)]
    assert queued_events(redis_dbs, "render-pages") == []

    # Redis is back: the relay (what the scheduler runs every few seconds) sends it.
    db = Database(articles_settings.articles_database_url)
    sent = outbox.relay(
        db, create_celery(articles_settings), now=datetime.now(UTC), grace_seconds=0, batch_size=10
    )
    db.dispose()
    assert sent == 1
    assert unsent(articles_settings) == []
    for queue in ("render-pages", "views"):
        assert [(e.kind, e.snapshot.version) for e in queued_events(redis_dbs, queue)] == [
            ("published", 2)
        ]


def test_the_relay_leaves_fresh_messages_to_the_request_that_wrote_them(
    articles_settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    seed_categories(articles_settings)
    token = make_token(articles_settings)
    down = articles_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}"})
    with articles_client(down) as client:
        article = create_article(client, token)
        client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
    db = Database(articles_settings.articles_database_url)
    sent = outbox.relay(
        db, create_celery(articles_settings), now=datetime.now(UTC), grace_seconds=60, batch_size=10
    )
    db.dispose()
    assert sent == 0
    assert len(unsent(articles_settings)) == 1


def test_after_one_failed_send_publishes_skip_the_broker_and_stay_fast(
    articles_settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    seed_categories(articles_settings)
    token = make_token(articles_settings)
    down = articles_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}"})
    with articles_client(down) as client:
        ids = [create_article(client, token, title=f"Outage {i}")["id"] for i in range(3)]
        for article_id in ids:
            assert (
                client.post(
                    f"/api/v1/articles/{article_id}/publish", headers=auth(token)
                ).status_code
                == 200
            )
    # Only the first publish tried the broker; all three wait in the outbox for the relay.
    assert sorted((m.article_id, m.attempts) for m in unsent(articles_settings)) == [
        (ids[0], 1), (ids[1], 0), (ids[2], 0)
    ]  # fmt: skip
    db = Database(articles_settings.articles_database_url)
    sent = outbox.relay(
        db, create_celery(articles_settings), now=datetime.now(UTC), grace_seconds=0, batch_size=10
    )
    db.dispose()
    assert sent == 3
    assert [e.snapshot.id for e in queued_events(redis_dbs, "render-pages")] == ids
