"""Metrics of the articles room, read at scrape time: outbox backlog and queue depths."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import redis
from prometheus_client.core import GaugeMetricFamily, Metric

from services.articles import repository
from shared.contracts import ALL_QUEUES
from shared.db import Database
from shared.observability import queue_depths


def producer(db_of: Callable[[], Database], broker_url: str) -> Callable[[], Iterable[Metric]]:
    broker = redis.Redis.from_url(broker_url, socket_timeout=1, socket_connect_timeout=1)

    def produce() -> Iterable[Metric]:
        with db_of().transaction() as session:
            backlog = repository.count_unsent(session)
        yield GaugeMetricFamily(
            "healthhub_outbox_backlog", "Article events written but not yet sent", value=backlog
        )
        yield queue_depths(broker, ALL_QUEUES)

    return produce
