"""Metrics of the views room, read at scrape time from Redis and the views DB."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select

from services.views import buffer
from services.views.models import AppliedBatch
from shared.db import Database


def producer(db_of: Callable[[], Database], views_redis_url: str) -> Callable[[], Iterable[Metric]]:
    r = redis.Redis.from_url(views_redis_url, socket_timeout=1, socket_connect_timeout=1)

    def produce() -> Iterable[Metric]:
        accepted = int(r.get(buffer.ACCEPTED_KEY) or 0)
        yield CounterMetricFamily(
            "healthhub_views_accepted", "Views accepted into the buffer", value=accepted
        )
        yield GaugeMetricFamily(
            "healthhub_views_buffered_keys",
            "Article-day entries waiting in the buffer",
            value=float(r.hlen(buffer.BUFFER_KEY)),
        )
        with db_of().transaction() as session:
            flushed = session.scalar(select(func.coalesce(func.sum(AppliedBatch.views), 0))) or 0
        yield CounterMetricFamily(
            "healthhub_views_flushed", "Views flushed into the database", value=float(flushed)
        )

    return produce
