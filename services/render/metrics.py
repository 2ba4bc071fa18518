"""Metrics of the render room: pages rendered, render lag, index backlog, queue depths."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from services.render import repository
from services.render.runtime import RenderRuntime
from shared.contracts import ALL_QUEUES
from shared.observability import queue_depths

PAGES_WRITTEN_KEY = "hh:render:pages-written"
LAST_LAG_KEY = "hh:render:last-lag-seconds"


def record_render(r: redis.Redis, pages: int, lag_seconds: float | None) -> None:
    """Called by the render tasks: counts pages and remembers the latest publish-to-render lag."""
    pipe = r.pipeline()
    if pages:
        pipe.incrby(PAGES_WRITTEN_KEY, pages)
    if lag_seconds is not None:
        pipe.set(LAST_LAG_KEY, f"{lag_seconds:.6f}")
    pipe.execute()


def producer(rt: RenderRuntime) -> Callable[[], Iterable[Metric]]:
    broker = redis.Redis.from_url(
        rt.settings.broker_url, socket_timeout=1, socket_connect_timeout=1
    )

    def produce() -> Iterable[Metric]:
        written = int(rt.redis.get(PAGES_WRITTEN_KEY) or 0)
        yield CounterMetricFamily(
            "healthhub_pages_rendered", "Pages written to the page store", value=written
        )
        lag = rt.redis.get(LAST_LAG_KEY)
        if lag is not None:
            yield GaugeMetricFamily(
                "healthhub_render_lag_seconds",
                "From an article event to its page being written (latest)",
                value=float(lag),
            )
        with rt.db.transaction() as session:
            dirty = repository.count_dirty(session, scheduled=False)
            every = repository.count_dirty(session)
        yield GaugeMetricFamily(
            "healthhub_render_dirty_indexes", "Index pages waiting to be rendered", value=dirty
        )
        # Not a backlog: these wait for their time (related_refresh_seconds), not a worker.
        yield GaugeMetricFamily(
            "healthhub_render_related_scheduled",
            "Related-list entry checks waiting for the related-refresh schedule",
            value=every - dirty,
        )
        yield queue_depths(broker, ALL_QUEUES)

    return produce
