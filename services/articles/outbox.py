"""The transactional outbox: events are written with the change, and sent after commit.

``record`` runs inside the editor's transaction. ``dispatch`` runs after that transaction
committed (never before: a rolled-back change must send nothing). ``relay`` is the safety
net, run periodically by the scheduler: it re-sends whatever is still unsent, so a publish
made while Redis was down still reaches the consumers when Redis is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_futures
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from services.articles import repository
from services.articles.models import OutboxMessage
from shared.contracts import (
    ARTICLE_EVENT_SUBSCRIBERS,
    PERSON_EVENT_SUBSCRIBERS,
    ArticleEvent,
    PersonEvent,
)
from shared.db import Database

log = logging.getLogger("healthhub.articles.outbox")

PENDING_KEY = "healthhub.outbox.pending"


class BrokerBreaker:
    """After a failed send, requests stop trying the broker for a short while.

    Reaching an unreachable Redis costs seconds (the client retries with back-off). Without
    this, every publish during an outage would pay that; with it, only the first does, and
    the events wait in the outbox for the relay, which delivers them once Redis is back."""

    def __init__(self, cooldown_seconds: float = 5.0) -> None:
        self.cooldown = cooldown_seconds
        self._open_until = 0.0

    def allows(self) -> bool:
        return time.monotonic() >= self._open_until

    def trip(self) -> None:
        self._open_until = time.monotonic() + self.cooldown

    def reset(self) -> None:
        self._open_until = 0.0


def record(session: Session, event: ArticleEvent) -> OutboxMessage:
    """Add the event to the outbox in the current transaction; queue it for dispatch."""
    message = OutboxMessage(
        event_id=str(event.event_id),
        topic="article",
        article_id=event.snapshot.id,
        version=event.snapshot.version,
        payload=event.model_dump(mode="json"),
        created_at=event.occurred_at,
        attempts=0,
    )
    session.add(message)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def record_person(session: Session, event: PersonEvent) -> OutboxMessage:
    """A person event, in the same outbox (the relay and dispatch treat it alike); its
    ``article_id`` column holds the person's id, ``topic`` tells the two apart."""
    message = OutboxMessage(
        event_id=str(event.event_id),
        topic="person",
        article_id=event.person.id,
        version=event.person.version,
        payload=event.model_dump(mode="json"),
        created_at=event.occurred_at,
        attempts=0,
    )
    session.add(message)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def take_pending(session: Session) -> list[int]:
    """The outbox ids this session wrote; cleared so they are dispatched once."""
    ids: list[int] = session.info.pop(PENDING_KEY, [])
    return ids


def send(celery_app: Celery, payload: dict[str, Any], topic: str = "article") -> None:
    """Send one event to every subscriber of its topic. Raises if the broker cannot be
    reached."""
    subscribers = PERSON_EVENT_SUBSCRIBERS if topic == "person" else ARTICLE_EVENT_SUBSCRIBERS
    for queue, task_name in subscribers:
        celery_app.send_task(task_name, args=[payload], queue=queue, retry=False)


def warm_up(celery_app: Celery) -> None:
    """Connect to the broker and declare the subscribers' queues, so the first publish of a
    new process does not pay for setting up the producer pool, the Redis transport and its
    connection (many times what a later send costs)."""
    queues = sorted({queue for queue, _ in (*ARTICLE_EVENT_SUBSCRIBERS, *PERSON_EVENT_SUBSCRIBERS)})
    with celery_app.producer_pool.acquire(block=True) as producer:
        producer.connection.ensure_connection(max_retries=0)  # fail at once
        for queue in queues:
            producer.maybe_declare(celery_app.amqp.queues[queue])


def _warm_up_quietly(celery_app: Celery) -> None:
    try:
        warm_up(celery_app)
    except Exception as exc:  # the broker is down: the first publish finds out, as before
        log.warning("outbox: could not warm up the broker connection: %s", exc)


def _send_all(
    db: Database,
    celery_app: Celery,
    messages: Sequence[OutboxMessage],
    now: datetime,
    breaker: BrokerBreaker | None = None,
) -> int:
    sent: list[int] = []
    try:
        for message in messages:
            send(celery_app, message.payload, message.topic)
            sent.append(message.id)
        if breaker is not None:
            breaker.reset()
    except Exception as exc:  # the broker is unreachable: the relay will try again
        if breaker is not None:
            breaker.trip()
        log.warning(
            "outbox: broker unavailable, %d event(s) left for the relay: %s",
            len(messages) - len(sent),
            exc,
        )
    with db.transaction() as session:
        if sent:
            repository.mark_sent(session, sent, now=now)
        repository.count_attempt(session, [m.id for m in messages])
    return len(sent)


def dispatch(
    db: Database,
    celery_app: Celery,
    ids: Sequence[int],
    *,
    now: datetime,
    breaker: BrokerBreaker | None = None,
) -> int:
    """Send the given (committed) outbox messages now; returns how many were sent."""
    if not ids:
        return 0
    if breaker is not None and not breaker.allows():
        log.info("outbox: broker recently unreachable; %d event(s) left for the relay", len(ids))
        return 0
    with db.transaction() as session:
        messages = list(repository.outbox_messages(session, ids))
    return _send_all(db, celery_app, [m for m in messages if m.sent_at is None], now, breaker)


class Dispatcher:
    """Sends a request's committed events off the request path.

    The events are safe once committed (the relay re-sends anything unsent), so an editor
    never waits on Redis: the send runs on one background thread and the request waits for
    it at most ``wait_seconds``. With a healthy broker the send takes a millisecond and is
    done before the answer goes out; with a frozen one (SIGSTOP: connections accepted,
    nothing answered) the answer leaves after ``wait_seconds`` and the send times out in the
    background, trips the breaker, and leaves the events to the relay."""

    def __init__(
        self, db: Database, celery_app: Celery, breaker: BrokerBreaker, wait_seconds: float
    ) -> None:
        self.db = db
        self.celery_app = celery_app
        self.breaker = breaker
        self.wait_seconds = wait_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-send")
        self._in_flight: set[Future[Any]] = set()

    def warm_up(self) -> Future[None]:
        """Open the broker connection in the background (sends queue up behind it). Tracked
        like a send, so close() waits for it rather than leave it half-connected."""
        future = self._executor.submit(_warm_up_quietly, self.celery_app)
        self._track(future)
        return future

    def _track(self, future: Future[Any]) -> None:
        self._in_flight.add(future)
        future.add_done_callback(self._in_flight.discard)

    def send_after_commit(self, ids: Sequence[int], *, now: datetime) -> None:
        if not self.breaker.allows():
            log.info(
                "outbox: broker recently unreachable; %d event(s) left for the relay", len(ids)
            )
            return
        future = self._executor.submit(
            dispatch, self.db, self.celery_app, list(ids), now=now, breaker=self.breaker
        )
        self._track(future)
        try:
            future.result(timeout=self.wait_seconds)
        except FutureTimeout:
            log.warning("outbox: broker slow; answering now, %d event(s) still sending", len(ids))

    def close(self, timeout: float = 6.0) -> None:
        """Stop taking work; wait a bounded time (longer than the broker's socket timeout)
        for sends in flight, so each records its attempt. Anything left goes to the relay."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        wait_futures(list(self._in_flight), timeout=timeout)


def relay(
    db: Database, celery_app: Celery, *, now: datetime, grace_seconds: float, batch_size: int
) -> int:
    """Re-send unsent messages older than the grace period, oldest first."""
    total = 0
    while True:
        with db.transaction() as session:
            messages = list(
                repository.unsent_outbox(
                    session, older_than=now - timedelta(seconds=grace_seconds), limit=batch_size
                )
            )
        if not messages:
            return total
        sent = _send_all(db, celery_app, messages, now)
        total += sent
        if sent < len(messages):
            return total
        if sent:
            log.info("outbox relay: re-sent %d event(s)", sent)
