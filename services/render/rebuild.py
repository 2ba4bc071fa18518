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

from services.render import service
from services.render.renderer import Site
from services.render.store import PageStore
from shared.contracts import RENDER_QUEUE, RENDER_REBUILD_TASK, RebuildBatch
from shared.db import Database

PROGRESS_KEY = "hh:render:rebuild:{job}"
# Long enough for the slowest full rebuild to be followed, short enough to leave no litter.
PROGRESS_TTL_SECONDS = 24 * 3600


def progress_key(job_id: str) -> str:
    return PROGRESS_KEY.format(job=job_id)


def plan(
    article_ids: Sequence[int], index_keys: Sequence[str], *, job_id: str, batch_size: int
) -> list[RebuildBatch]:
    """Articles in batches of ``batch_size``; index keys in batches a tenth of that size
    (one key can be many paginated pages)."""
    batches: list[RebuildBatch] = []
    for start in range(0, len(article_ids), batch_size):
        chunk = tuple(article_ids[start : start + batch_size])
        batches.append(RebuildBatch(job_id=job_id, batch=len(batches), article_ids=chunk))
    key_step = max(1, batch_size // 10)
    keys = sorted(index_keys)
    for start in range(0, len(keys), key_step):
        chunk_keys = tuple(keys[start : start + key_step])
        batches.append(RebuildBatch(job_id=job_id, batch=len(batches), index_keys=chunk_keys))
    return batches


def run_batch(
    db: Database,
    store: PageStore,
    site: Site,
    article_ids: Sequence[int],
    index_keys: Sequence[str],
    *,
    now: datetime,
) -> int:
    """Render one batch; returns the number of files written.

    Article pages are read in one short transaction and rendered outside it (Markdown too,
    for bodies not cached yet, which are then cached in a second short one): on SQLite a
    transaction holds the database write lock, and rendering is most of the time."""
    written = 0
    if article_ids:
        with db.transaction() as session:
            jobs = service.prepare_articles(session, article_ids)
            renderer = service.make_renderer(session, site)
        files, fresh = service.write_articles(store, renderer, jobs)
        written += len(files)
        if fresh:
            with db.transaction() as session:
                service.save_bodies(session, fresh)
    if index_keys:
        with db.transaction() as session:
            written += len(service.render_indexes(session, store, site, index_keys, now=now))
    return written


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
            RENDER_REBUILD_TASK, args=[batch.model_dump(mode="json")], queue=RENDER_QUEUE
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
