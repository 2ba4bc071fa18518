"""Moving buffered counts from Redis into the views DB, exactly once.

1. RENAME the buffer to a batch key with a fresh id (atomic: new views go to a new buffer).
2. Apply the batch in ONE transaction that also records the batch id.
3. DELETE the batch key.

Killed after 1: the batch key is still there and is applied on the next run. Killed after
2 but before 3: the batch id is already recorded, so the next run only deletes the key.
Either way every view is counted once.

The per-day dimensions (referrer, device, utm_*) are fields of the same buffer hash, so they
ride in the same batch and the same transaction: exactly once, like the counts.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import redis
from redis.exceptions import ResponseError

from services.views import buffer, repository
from shared.db import Database

log = logging.getLogger("healthhub.views.flusher")


@dataclass
class FlushResult:
    batches: int = 0
    views: int = 0
    touched: set[int] = field(default_factory=set)


def _apply_batch(
    r: redis.Redis, db: Database, key: str, now: datetime, result: FlushResult
) -> None:
    batch_id = key.removeprefix(buffer.BATCH_PREFIX)
    raw: dict[bytes, bytes] = r.hgetall(key)  # type: ignore[assignment]
    per_article: dict[int, int] = defaultdict(int)
    per_day: dict[tuple[int, date], int] = defaultdict(int)
    per_dim: dict[tuple[int, date, str, str], int] = defaultdict(int)
    for f, v in raw.items():
        parsed, n = buffer.parse_field(f.decode()), int(v)
        for dim, value in parsed.dimensions:
            per_dim[(parsed.article_id, parsed.day, dim, value)] += n
        if parsed.views:
            per_article[parsed.article_id] += n
            per_day[(parsed.article_id, parsed.day)] += n
    with db.transaction() as session:
        if repository.batch_applied(session, batch_id):
            log.info("batch %s was applied before; deleting its key", batch_id)
        else:
            for article_id, n in sorted(per_article.items()):
                repository.add_to_total(session, article_id, n, now)
            for (article_id, day), n in sorted(
                per_day.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))
            ):
                repository.add_to_day(session, article_id, day, n)
            for (article_id, day, dim, value), n in sorted(
                per_dim.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2], kv[0][3])
            ):
                repository.add_to_dimension(session, article_id, day, dim, value, n)
            repository.record_batch(session, batch_id, sum(per_article.values()), now)
            result.views += sum(per_article.values())
            result.touched |= set(per_article)
    r.delete(key)
    result.batches += 1


def flush(r: redis.Redis, db: Database, *, now: datetime) -> FlushResult:
    result = FlushResult()
    # Batches left by a flusher that died: finish them first.
    for key in sorted(k.decode() for k in r.scan_iter(match=buffer.BATCH_PREFIX + "*", count=100)):
        _apply_batch(r, db, key, now, result)
    batch = buffer.batch_key(uuid.uuid4().hex)
    try:
        r.rename(buffer.BUFFER_KEY, batch)
    except ResponseError:  # no buffer: nothing was counted since the last flush
        return result
    _apply_batch(r, db, batch, now, result)
    return result


def sync_live_set(r: redis.Redis, db: Database) -> int:
    """Rebuild the Redis set of live articles from the DB (after Redis lost its data)."""
    with db.transaction() as session:
        ids = list(repository.live_ids(session))
    pipe = r.pipeline()
    pipe.delete(buffer.LIVE_KEY)
    if ids:
        pipe.sadd(buffer.LIVE_KEY, *ids)
    pipe.execute()
    return len(ids)


PRUNED_PREFIX = "hh:views:pruned:"


def prune_dimensions(r: redis.Redis, db: Database, *, today: date, retention_days: int) -> int:
    """Once per UTC day: delete the per-day dimension counters older than the retention
    (the view counts themselves are kept). Rows deleted; 0 when another run did it today."""
    if not r.set(PRUNED_PREFIX + today.isoformat(), "1", nx=True, ex=2 * 24 * 3600):
        return 0
    with db.transaction() as session:
        return repository.delete_dimensions_before(session, today - timedelta(days=retention_days))
