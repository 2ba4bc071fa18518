"""Metrics of shared state, and a metrics endpoint for workers (the APIs' request ids and
HTTP metrics are shared.http_metrics).

Metrics that describe shared state (queue depths, outbox backlog, views accepted and
flushed, pages rendered) are read at scrape time from Redis or the database by collectors,
so they are right whichever process or replica is scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


class StateCollector(Collector):
    """Adapts a function yielding metrics at scrape time into a prometheus collector."""

    def __init__(self, produce: Callable[[], Iterable[Metric]]) -> None:
        self.produce = produce

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self.produce()
        except Exception:  # a scrape must not fail because Redis or the DB is away
            return


def serve_worker_metrics(port: int, produce: Callable[[], Iterable[Metric]], **labels: Any) -> None:
    """Expose a worker's metrics on its own port (started in the worker's main process)."""
    registry = CollectorRegistry()
    registry.register(StateCollector(produce))
    start_http_server(port, registry=registry)


def queue_depths(broker: Any, queues: Iterable[str]) -> Metric:
    """Messages waiting in each Celery queue (kombu keeps a Redis list per queue)."""
    gauge = GaugeMetricFamily(
        "healthhub_queue_depth", "Messages waiting per Celery queue", labels=["queue"]
    )
    for queue in queues:
        gauge.add_metric([queue], float(broker.llen(queue)))
    return gauge
