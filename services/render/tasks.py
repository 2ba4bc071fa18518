"""Celery tasks the render service consumes: thin, the logic lives in service.py."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis
from celery import current_app, shared_task
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import IntegrityError, OperationalError

from services.render import coalesce, metrics, people, rebuild, repository, service
from services.render.listings_lock import WAIT_SECONDS, listings_lock
from services.render.preview import render_preview
from services.render.runtime import RenderRuntime, get_runtime
from shared.contracts import (
    PREVIEW_REPLY_KEY,
    RENDER_ARTICLE_CHANGED_TASK,
    RENDER_INDEXES_TASK,
    RENDER_PERSON_CHANGED_TASK,
    RENDER_PREVIEW_TASK,
    RENDER_REBUILD_TASK,
    RENDER_VIEW_COUNTS_TASK,
    ArticleEvent,
    PersonEvent,
    PreviewReply,
    PreviewRequest,
    RebuildBatch,
    ViewCounts,
)

log = logging.getLogger("healthhub.render.tasks")


class ListingsBusy(Exception):
    """A listings run held the lock longer than a re-render batch waits for it: try again."""


# IntegrityError: a conflict with a concurrent worker's commit (PostgreSQL); the retry reads
# what that worker committed.
RETRYABLE = (OperationalError, IntegrityError, RedisConnectionError, ListingsBusy)
RETRY = {
    "autoretry_for": RETRYABLE,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "max_retries": 50,
    "ignore_result": True,
}


@shared_task(name=RENDER_ARTICLE_CHANGED_TASK, **RETRY)
def article_changed(payload: dict[str, Any]) -> bool:
    event = ArticleEvent.model_validate(payload)
    rt = get_runtime()
    now = service.utcnow()
    with rt.db.transaction() as session:
        repository.lock_article(session, event.snapshot.id)
        result = service.apply_snapshot(session, rt.store, rt.site, event.snapshot, now=now)
        repository.mark_dirty(session, result.dirty, now)
    if result.dirty:
        coalesce.schedule_indexes(rt, current_app)
    lag = (now - event.occurred_at).total_seconds() if result.applied else None
    metrics.record_render(rt.redis, len(result.pages_written), lag)
    if result.applied:
        log.info(
            "article %s v%s applied: %s",
            event.snapshot.id,
            event.snapshot.version,
            result.pages_written,
        )
    return result.applied


@shared_task(name=RENDER_PERSON_CHANGED_TASK, **RETRY)
def person_changed(payload: dict[str, Any]) -> bool:
    """A person changed: store them, mark their profile and the live pages that show them
    (rendered by the listings run, coalesced like any listing work)."""
    event = PersonEvent.model_validate(payload)
    rt = get_runtime()
    now = service.utcnow()
    with rt.db.transaction() as session:
        result = people.apply_person(session, rt.store, event)
        repository.mark_dirty(session, result.dirty, now)
    if result.dirty:
        coalesce.schedule_indexes(rt, current_app)
    if result.applied:
        log.info("person %s v%s applied: %d page(s) to render", event.person.id,
                 event.person.version, len(result.dirty))  # fmt: skip
    return result.applied


@shared_task(name=RENDER_INDEXES_TASK, **RETRY)
def render_indexes() -> int:
    rt = get_runtime()
    with listings_lock(rt.redis) as held:
        if not held:
            coalesce.clear_flag(rt)  # the running one may have read its keys already: come back
            coalesce.schedule_indexes(rt, current_app)
            return 0
        coalesce.clear_flag(rt)
        run = service.render_dirty(
            rt.db,
            rt.store,
            rt.site,
            now=service.utcnow(),
            entry_after=timedelta(seconds=rt.settings.related_refresh_seconds),
        )
        if run.rebuild:
            # Queued first, recorded second, both under the lock (a second listings run must
            # not read the old record meanwhile and queue the re-render again): a worker that
            # dies in between leaves the old navigation recorded, and the next run re-queues.
            _rebuild_everything(rt)
            service.remember_navigation(rt.db, run.navigation)
    if run.pending:
        # More related-list pages than one run renders: come back for the rest.
        coalesce.schedule_indexes(rt, current_app)
    if run.keys:
        metrics.record_render(rt.redis, len(run.written), None)
        log.info(
            "rendered %d listing key(s) into %d file(s); %d page(s) left for the next run",
            len(run.keys),
            len(run.written),
            run.pending,
        )
    return len(run.written)


def _rebuild_everything(rt: RenderRuntime) -> None:
    """The navigation changed, so every page did: queue a full re-render on this queue."""
    with rt.db.reading() as session:
        ids = repository.live_ids(session)
        keys = sorted(service.full_listing_keys(session))
    batches = rebuild.plan(ids, keys, job_id=rebuild.new_job_id(), batch_size=200)
    rebuild.send(current_app, batches)
    log.info("navigation changed: queued a full re-render (%d batches)", len(batches))


@shared_task(name=RENDER_VIEW_COUNTS_TASK, **RETRY)
def view_counts(payload: dict[str, Any]) -> int:
    counts = ViewCounts.model_validate(payload)
    rt = get_runtime()
    now = service.utcnow()
    with rt.db.transaction() as session:
        result = service.apply_view_counts(
            session,
            rt.store,
            rt.site,
            counts.totals,
            now=now,
            may_render=lambda aid: coalesce.claim_view_render(rt, aid),
            recent=counts.recent,
        )
        repository.mark_dirty(session, result.dirty | result.deferred, now)
    if result.dirty:
        coalesce.schedule_indexes(rt, current_app)
    metrics.record_render(rt.redis, len(result.pages_written), None)
    return len(result.pages_written)


@shared_task(name=RENDER_REBUILD_TASK, **RETRY)
def rebuild_batch(payload: dict[str, Any]) -> int:
    batch = RebuildBatch.model_validate(payload)
    rt = get_runtime()
    now = service.utcnow()
    done = rebuild.run_batch(rt.db, rt.store, rt.site, batch.article_ids, (), now=now)
    written = done.written
    if done.recheck:
        coalesce.schedule_indexes(rt, current_app)
    if batch.index_keys:
        # Listing pages are written by one renderer at a time, or an older read could land
        # last: wait for a listings run to finish.
        with listings_lock(rt.redis, wait=WAIT_SECONDS) as held:
            if not held:
                raise ListingsBusy(batch.job_id)
            keys = batch.index_keys
            written += rebuild.run_batch(rt.db, rt.store, rt.site, (), keys, now=now).written
    rebuild.record_done(rt.redis, batch)
    metrics.record_render(rt.redis, written, None)
    return written


# Whoever asked gives up after a few seconds; an answer nobody reads must not linger.
PREVIEW_REPLY_TTL_SECONDS = 60


# No retries: a preview answered late is a preview nobody is waiting for.
@shared_task(name=RENDER_PREVIEW_TASK, ignore_result=True)
def preview(payload: dict[str, Any]) -> int:
    request = PreviewRequest.model_validate(payload)
    rt = get_runtime()
    with rt.db.transaction() as session:
        html = render_preview(session, rt.site, request.snapshot)
    reply = PreviewReply(html=html.decode()).model_dump_json()
    key = PREVIEW_REPLY_KEY.format(request_id=request.request_id)
    with redis.Redis.from_url(rt.settings.broker_url, socket_timeout=5) as client:
        pipe = client.pipeline()
        pipe.rpush(key, reply)
        pipe.expire(key, PREVIEW_REPLY_TTL_SECONDS)
        pipe.execute()
    return len(html)
