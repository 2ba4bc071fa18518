"""Coalescing index renders: many publishes, few renders of the home and listing pages.

Dirty index keys are stored durably in the render DB by whoever changed an article. The
first of them to set a short-lived Redis flag sends one render-indexes task, delayed by a
fraction of a second; every publish in that window only adds keys. The task clears the flag
before it claims the keys, so a publish that lands while it renders schedules another run:
nothing is missed, and a burst of 500 publishes renders each index a handful of times.
"""

from __future__ import annotations

from celery import Celery

from services.render.runtime import RenderRuntime
from shared.contracts import RENDER_INDEXES_TASK, RENDER_LISTINGS_QUEUE

FLAG_KEY = "hh:render:indexes-scheduled"
# If the task is lost (worker and broker trouble at once), the flag expires and the next
# change (or the periodic safety run) schedules again.
FLAG_TTL_SECONDS = 30


def schedule_indexes(runtime: RenderRuntime, celery_app: Celery) -> bool:
    """Send one render-indexes task unless one is already pending; True if sent."""
    if not runtime.redis.set(FLAG_KEY, "1", nx=True, ex=FLAG_TTL_SECONDS):
        return False
    try:
        celery_app.send_task(
            RENDER_INDEXES_TASK,
            queue=RENDER_LISTINGS_QUEUE,
            countdown=runtime.settings.index_coalesce_seconds,
        )
    except Exception:
        runtime.redis.delete(FLAG_KEY)
        raise
    return True


def clear_flag(runtime: RenderRuntime) -> None:
    runtime.redis.delete(FLAG_KEY)


VIEW_RENDER_KEY = "hh:render:views-rendered:{article_id}"


def claim_view_render(runtime: RenderRuntime, article_id: int) -> bool:
    """True if this article's page may be re-rendered for a new view count now: at most once
    per ``view_rerender_seconds`` (0: always). A count held back is rendered by the next index
    run: one a change schedules, or the scheduler's periodic one (every 30 s)."""
    seconds = runtime.settings.view_rerender_seconds
    if seconds <= 0:
        return True
    key = VIEW_RENDER_KEY.format(article_id=article_id)
    return bool(runtime.redis.set(key, "1", nx=True, px=int(seconds * 1000)))
