"""Metrics of the articles room, read at scrape time: outbox backlog, queue depths and how
many published articles are overdue for medical review."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import redis
from prometheus_client.core import GaugeMetricFamily, Metric

from services.articles import repository, review_due
from shared.contracts import ALL_QUEUES
from shared.db import Database
from shared.observability import queue_depths


def _utcnow() -> datetime:
    return datetime.now(UTC)


def producer(
    db_of: Callable[[], Database],
    broker_url: str,
    clock: Callable[[], datetime] = _utcnow,
) -> Callable[[], Iterable[Metric]]:
    broker = redis.Redis.from_url(broker_url, socket_timeout=1, socket_connect_timeout=1)

    def produce() -> Iterable[Metric]:
        with db_of().transaction() as session:
            backlog = repository.count_unsent(session)
            overdue = review_due.count_overdue(session, today=clock().date())
        yield GaugeMetricFamily(
            "healthhub_articles_review_overdue",
            "Published articles whose medical review is past due",
            value=overdue,
        )
        yield GaugeMetricFamily(
            "healthhub_outbox_backlog", "Article events written but not yet sent", value=backlog
        )
        yield queue_depths(broker, ALL_QUEUES)

    return produce
