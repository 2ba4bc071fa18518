"""Real render worker processes for tests, configured like the test's own settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from services.render.coalesce import FLAG_KEY
from services.render.settings import RenderSettings
from shared.contracts import LEGACY_RENDER_QUEUE, RENDER_LISTINGS_QUEUE, RENDER_PAGES_QUEUE


def render_env(settings: RenderSettings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HEALTHHUB_ENVIRONMENT="test",
        HEALTHHUB_VAR_DIR=str(settings.var_dir),
        HEALTHHUB_REDIS_URL=settings.redis_url,
        HEALTHHUB_BROKER_DB=str(settings.broker_db),
        HEALTHHUB_VIEWS_REDIS_DB=str(settings.views_redis_db),
        HEALTHHUB_RENDER_REDIS_DB=str(settings.render_redis_db),
        HEALTHHUB_RENDER_DATABASE_URL=settings.render_database_url,
        HEALTHHUB_PAGE_STORE_DIR=str(settings.page_store_dir),
        HEALTHHUB_SITE_URL=settings.site_url,
        HEALTHHUB_VIEWS_URL=settings.views_url,
        HEALTHHUB_LISTING_PAGE_SIZE=str(settings.listing_page_size),
        HEALTHHUB_SITEMAP_SHARD_SIZE=str(settings.sitemap_shard_size),
        HEALTHHUB_RELATED_REFRESH_SECONDS=str(settings.related_refresh_seconds),
        **extra,
    )
    return env


@contextmanager
def render_workers(
    settings: RenderSettings,
    count: int = 1,
    *,
    kinds: tuple[str, ...] = ("render",),
    extra_env: dict[str, str] | None = None,
) -> Iterator[None]:
    """``count`` worker processes of each kind (render: both queues; render-pages;
    render-listings)."""
    env = render_env(settings, **(extra_env or {}))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "services.cli", "worker", kind],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for kind in kinds
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            # Celery's warm shutdown first finishes the task in hand; one still busy after
            # 30 s (a long listings run on a loaded machine) is killed: the test is over.
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


def wait_until_render_work_is_done(settings: RenderSettings, timeout: float = 60.0) -> None:
    """Wait until nothing sent to the render workers is left: no message waits in a render
    queue, none is held by a worker (kombu's `unacked` hash: with acks_late a task stays there
    until it has finished, and a delayed index run stays there while it waits), and no index
    run is pending (the coalescing flag is set from the moment one is sent until it starts).
    Seen three times in a row, 0.1 s apart: a message moves from its queue to `unacked` in
    one step of the worker's event loop, never across a pause that long."""
    broker = redis.Redis.from_url(settings.broker_url)
    flags = redis.Redis.from_url(settings.render_redis_url)
    queues = (RENDER_PAGES_QUEUE, RENDER_LISTINGS_QUEUE, LEGACY_RENDER_QUEUE)
    try:
        deadline = time.monotonic() + timeout
        idle = 0
        while idle < 3:
            if time.monotonic() > deadline:
                raise AssertionError("the render workers did not finish their work in time")
            left = sum(broker.llen(q) for q in queues) + broker.hlen("unacked")
            idle = idle + 1 if left == 0 and not flags.exists(FLAG_KEY) else 0
            time.sleep(0.1)
    finally:
        broker.close()
        flags.close()
