"""Metrics of the views room, read at scrape time from Redis and the views DB."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select

from services.views import buffer, service
from services.views.models import AppliedBatch
from shared.db import Database


def producer(
    db_of: Callable[[], Database],
    views_redis_url: str,
    outcomes: Callable[[], Mapping[service.Outcome, int]] = dict,
) -> Callable[[], Iterable[Metric]]:
    r = redis.Redis.from_url(views_redis_url, socket_timeout=1, socket_connect_timeout=1)

    def produce() -> Iterable[Metric]:
        answered = CounterMetricFamily(
            "healthhub_views_beacons",
            "Beacons and pixels this views API process has answered, by outcome",
            labels=["outcome"],
        )
        seen = outcomes()
        for outcome in service.Outcome:
            answered.add_metric([outcome.value], float(seen.get(outcome, 0)))
        yield answered
        accepted = int(r.get(buffer.ACCEPTED_KEY) or 0)
        yield CounterMetricFamily(
            "healthhub_views_accepted", "Views accepted into the buffer", value=accepted
        )
        yield GaugeMetricFamily(
            "healthhub_views_buffered_keys",
            "Fields waiting in the buffer (view counts and dimension counters)",
            value=float(r.hlen(buffer.BUFFER_KEY)),
        )
        with db_of().transaction() as session:
            flushed = session.scalar(select(func.coalesce(func.sum(AppliedBatch.views), 0))) or 0
        yield CounterMetricFamily(
            "healthhub_views_flushed", "Views flushed into the database", value=float(flushed)
        )

    return produce
