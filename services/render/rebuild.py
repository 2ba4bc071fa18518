"""Re-rendering the whole site (a template or site-setting change), across all render workers.

The command splits the live articles and the index keys into batches and queues one
``RebuildBatch`` task per batch on the render queue, where every render worker takes its
share. Each finished batch records its size in a Redis hash under its batch number: a batch
redelivered after a worker died overwrites its own entry instead of counting twice, so the
progress bar ends exactly at the total.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import redis
from celery import Celery

from services.render import batch_pages, listing_repository, listings, repository, service
from services.render.dirty_keys import article_key
from services.render.renderer import Site
from services.render.store import PageStore
from shared.contracts import (
    RENDER_LISTINGS_QUEUE,
    RENDER_REBUILD_TASK,
    ArticleSnapshot,
    RebuildBatch,
)
from shared.db import Database

PROGRESS_KEY = "hh:render:rebuild:{job}"
# Long enough for the slowest full rebuild to be followed, short enough to leave no litter.
PROGRESS_TTL_SECONDS = 24 * 3600


def progress_key(job_id: str) -> str:
    return PROGRESS_KEY.format(job=job_id)


def plan(
    article_ids: Sequence[int], index_keys: Sequence[str], *, job_id: str, batch_size: int
) -> list[RebuildBatch]:
    """Listing keys first, a few per batch (one key can be hundreds of pages, so they start
    early and run beside the article batches), then articles in batches of ``batch_size``."""
    batches: list[RebuildBatch] = []
    key_step = max(1, batch_size // 40)
    keys = sorted(index_keys)
    for start in range(0, len(keys), key_step):
        chunk_keys = tuple(keys[start : start + key_step])
        batches.append(RebuildBatch(job_id=job_id, batch=len(batches), index_keys=chunk_keys))
    for start in range(0, len(article_ids), batch_size):
        chunk = tuple(article_ids[start : start + batch_size])
        batches.append(RebuildBatch(job_id=job_id, batch=len(batches), article_ids=chunk))
    return batches


@dataclass(frozen=True)
class BatchDone:
    written: int
    # Pages that changes made during the batch may have outdated, left dirty for the
    # listings worker: the caller schedules a listings run when there are any.
    recheck: int = 0


def run_batch(
    db: Database,
    store: PageStore,
    site: Site,
    article_ids: Sequence[int],
    index_keys: Sequence[str],
    *,
    now: datetime,
) -> BatchDone:
    """Render one batch.

    Everything is read from a read snapshot and rendered outside any write transaction: on
    SQLite a transaction holds the database write lock, and rendering is most of the time.
    Pages are then written in one short write transaction, only where the article and its
    stored related list have not changed since (batch_pages.write_current), with the
    related lists ranked here; pages a concurrent change may concern are marked dirty.
    Listing keys are rendered from a read snapshot; the caller makes sure no other listing
    renderer runs at the same time (the Celery task takes the listings lock)."""
    written = recheck = 0
    if article_ids:
        read_at = service.utcnow()
        with db.reading() as session:
            batch = batch_pages.prepare(session, article_ids, read_at=read_at)
            renderer = service.make_renderer(session, site)
        rendered = batch_pages.render(renderer, batch.jobs)
        with db.transaction() as session:
            done = batch_pages.write_current(session, store, batch, rendered)
            repository.mark_dirty(session, {article_key(i) for i in done.recheck}, now)
        written, recheck = len(done.pages), len(done.recheck)
    if index_keys:
        with db.reading() as session:
            written += len(service.render_keys(session, store, site, index_keys, now=now))
    return BatchDone(written=written, recheck=recheck)


REINDEX_CHUNK = 200


def reindex(db: Database) -> int:
    """Rebuild listing membership and names from the snapshots (after an upgrade from a read
    model without them, migration 0003, or on request). Returns the live articles indexed.

    Safe beside publishes: each chunk is a short transaction that takes every article's lock
    (the one a publish takes) and re-reads it, and nothing is cleared wholesale, so a listing
    never misses an article while this runs."""
    count, after = 0, -1
    while True:
        with db.reading() as session:
            ids = listing_repository.live_ids_after(session, after, REINDEX_CHUNK)
        if not ids:
            break
        with db.transaction() as session:
            for article_id in ids:
                repository.lock_article(session, article_id)
            for row in repository.snapshots_by_id(session, ids):
                if row.status != "published":
                    continue  # withdrawn meanwhile: its publish cleared its membership
                snapshot = ArticleSnapshot.model_validate(row.data)
                row.updated_at = snapshot.updated_at
                listing_repository.set_members(
                    session,
                    snapshot.id,
                    listings.position_of(snapshot),
                    listings.listings_of(snapshot),
                    listings.root_listing(snapshot),
                )
                count += 1
        after = ids[-1]
    with db.transaction() as session:
        listing_repository.drop_members_not_live(session)
    return count


def needs_reindex(db: Database) -> bool:
    """Live articles but no listing membership: a read model from before migration 0003."""
    with db.reading() as session:
        return listing_repository.unindexed(session)


def new_job_id() -> str:
    return uuid.uuid4().hex


def record_done(client: redis.Redis, batch: RebuildBatch) -> None:
    key = progress_key(batch.job_id)
    pipe = client.pipeline()
    pipe.hset(key, str(batch.batch), len(batch.article_ids) + len(batch.index_keys))
    pipe.expire(key, PROGRESS_TTL_SECONDS)
    pipe.execute()


def done_so_far(client: redis.Redis, job_id: str) -> int:
    return sum(int(v) for v in client.hvals(progress_key(job_id)))


def send(celery_app: Celery, batches: Sequence[RebuildBatch]) -> None:
    for batch in batches:
        celery_app.send_task(
            RENDER_REBUILD_TASK, args=[batch.model_dump(mode="json")], queue=RENDER_LISTINGS_QUEUE
        )


@dataclass(frozen=True)
class Work:
    article_ids: list[int]
    index_keys: list[str]

    @property
    def total(self) -> int:
        return len(self.article_ids) + len(self.index_keys)


def follow(
    client: redis.Redis,
    job_id: str,
    total: int,
    *,
    timeout: float,
    poll: float = 0.2,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[int]:
    """Yield the done count as it grows until it reaches ``total``; TimeoutError after
    ``timeout`` seconds without progress (no worker running, or all of them stuck)."""
    last, last_change = -1, clock()
    while True:
        done = done_so_far(client, job_id)
        if done != last:
            last, last_change = done, clock()
            yield done
        if done >= total:
            return
        if clock() - last_change > timeout:
            raise TimeoutError(f"no progress for {timeout:.0f} s ({done}/{total} done)")
        time.sleep(poll)
