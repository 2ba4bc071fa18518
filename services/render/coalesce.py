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
from shared.contracts import RENDER_INDEXES_TASK, RENDER_QUEUE

FLAG_KEY = "hh:render:indexes-scheduled"
# If the task is lost (worker and broker trouble at once), the flag expires and the next
# change (or the periodic safety run) schedules again.
FLAG_TTL_SECONDS = 30


# Work that may wait (view-count re-renders held back by the throttle) gets its own, later run.
DEFERRED_FLAG_KEY = "hh:render:indexes-deferred"


def schedule_indexes(runtime: RenderRuntime, celery_app: Celery, *, deferred: bool = False) -> bool:
    """Send one render-indexes task unless one is already pending; True if sent.

    ``deferred``: for keys that may wait ``view_rerender_seconds`` (a separate flag, so a
    pending deferred run never holds back the prompt run a publish needs)."""
    flag = DEFERRED_FLAG_KEY if deferred else FLAG_KEY
    delay = (
        runtime.settings.view_rerender_seconds
        if deferred
        else runtime.settings.index_coalesce_seconds
    )
    if not runtime.redis.set(flag, "1", nx=True, ex=FLAG_TTL_SECONDS + int(delay)):
        return False
    try:
        celery_app.send_task(RENDER_INDEXES_TASK, queue=RENDER_QUEUE, countdown=delay)
    except Exception:
        runtime.redis.delete(flag)
        raise
    return True


def clear_flag(runtime: RenderRuntime) -> None:
    """Called as a run starts: it takes every dirty key, deferred ones included."""
    runtime.redis.delete(FLAG_KEY, DEFERRED_FLAG_KEY)


VIEW_RENDER_KEY = "hh:render:views-rendered:{article_id}"


def claim_view_render(runtime: RenderRuntime, article_id: int) -> bool:
    """True if this article's page may be re-rendered for a new view count now: at most once
    per ``view_rerender_seconds`` (a hot article's count changes on every flush). A count
    held back is rendered by the deferred run, so the page is at most that far behind."""
    seconds = runtime.settings.view_rerender_seconds
    if seconds <= 0:
        return True
    key = VIEW_RENDER_KEY.format(article_id=article_id)
    return bool(runtime.redis.set(key, "1", nx=True, px=int(seconds * 1000)))
