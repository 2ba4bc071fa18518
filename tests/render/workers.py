"""Real render worker processes for tests, configured like the test's own settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from services.render.settings import RenderSettings


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
