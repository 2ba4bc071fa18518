"""The outbox: a publish is never lost between the database and the broker."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
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


# A fresh process: kombu remembers declared queues per process (its transport's state is
# global), so only a new process shows what its first publish would have had to declare.
STARTS_THE_API = """
import sys
from fastapi.testclient import TestClient
from services.articles.app import create_app
from services.articles.settings import ArticlesSettings
app = create_app(ArticlesSettings.model_validate_json(sys.stdin.read()))
with TestClient(app):
    app.state.warm_up.result(timeout=30)
"""


def test_the_api_connects_and_declares_the_event_queues_before_the_first_publish(
    articles_settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    """The first publish of a new API process would otherwise pay for the broker connection
    and the queue declarations: the API does that as it starts."""
    seed_categories(articles_settings)
    broker = redis_dbs.client(redis_dbs.broker_db)
    # kombu's Redis transport records each declared queue in its exchange's binding set.
    binding = "_kombu.binding.articles"
    assert broker.smembers(binding) == set()
    subprocess.run(
        [sys.executable, "-c", STARTS_THE_API],
        input=articles_settings.model_dump_json(), text=True, check=True, timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    members = [m.decode() if isinstance(m, bytes) else m for m in broker.smembers(binding)]
    declared = {m.rsplit("\x06\x16", 1)[-1] for m in members}
    assert {"render-pages", "views", "render-listings"} <= declared
    # Declared, and nothing sent: no publish happened.
    assert queued_events(redis_dbs, "render-pages") == []
    assert queued_events(redis_dbs, "views") == []


def test_a_warm_up_without_a_broker_is_logged_and_leaves_sends_to_the_first_publish(
    articles_settings: ArticlesSettings, caplog: pytest.LogCaptureFixture
) -> None:
    down = articles_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}"})
    breaker = outbox.BrokerBreaker()
    db = Database(down.articles_database_url)
    dispatcher = outbox.Dispatcher(db, create_celery(down), breaker, wait_seconds=5)
    with caplog.at_level(logging.WARNING, logger="healthhub.articles.outbox"):
        dispatcher.warm_up().result(timeout=10)
        dispatcher.close(timeout=10)
    db.dispose()
    assert "could not warm up the broker connection" in caplog.text
    assert breaker.allows()  # a failed warm-up does not stop the first publish trying


def test_closing_waits_for_a_warm_up_still_talking_to_a_frozen_broker(
    articles_settings: ArticlesSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """A broker that accepts connections and never answers holds the warm-up until the
    socket times out; close() waits for it as for a send, so shutdown never leaves a
    connection half set up behind it."""
    with socket.create_server(("127.0.0.1", 0)) as frozen:  # listens, never accepts or answers
        port = frozen.getsockname()[1]
        down = articles_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}"})
        db = Database(down.articles_database_url)
        dispatcher = outbox.Dispatcher(db, create_celery(down), outbox.BrokerBreaker(), 5)
        with caplog.at_level(logging.WARNING, logger="healthhub.articles.outbox"):
            warm = dispatcher.warm_up()
            frozen.settimeout(5)
            conn, _ = frozen.accept()  # the warm-up has reached the broker, and waits on it
            with conn:
                assert not warm.done()
                dispatcher.close(timeout=20)
                assert warm.done() and not warm.cancelled()
        db.dispose()
    assert "could not warm up the broker connection" in caplog.text
