"""The rules of view counting, as plain functions."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, OutOfMemoryError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.orm import Session

from services.views import buffer, repository
from services.views.models import KnownArticle
from shared.breaker import Breaker
from shared.contracts import ArticleSnapshot

SALT_TTL_SECONDS = 2 * 24 * 3600


class Outcome(Enum):
    COUNTED = "counted"
    DUPLICATE = "duplicate"
    UNKNOWN = "unknown"
    RATE_LIMITED = "rate_limited"
    CAPPED = "capped"  # over the cap of readers per address per article: answered, not counted
    IGNORED = "ignored"  # bot, prefetch, or sent from another site


_OUTCOMES = {
    buffer.COUNTED: Outcome.COUNTED,
    buffer.DUPLICATE: Outcome.DUPLICATE,
    buffer.UNKNOWN: Outcome.UNKNOWN,
    buffer.RATE_LIMITED: Outcome.RATE_LIMITED,
    buffer.CAPPED: Outcome.CAPPED,
}


class RedisUnavailable(RedisConnectionError):
    """Redis did not answer lately (the breaker is open): answered at once, not sent."""


class DailySalt:
    """Today's salt, shared by every views process through Redis, cached in-process."""

    def __init__(self) -> None:
        self._day: date | None = None
        self._salt = ""

    async def get(self, r: aioredis.Redis, today: date, breaker: Breaker | None = None) -> str:
        """Today's salt. The first beacon of a day (of a process) asks Redis, behind the
        recorder's ``breaker``: refused at once while it is open, and a Redis that does not
        answer opens it, so beacons do not each wait out a timeout on the salt either."""
        if self._day == today:
            return self._salt
        breaker = breaker or Breaker()
        if not breaker.allows():
            raise RedisUnavailable("views Redis did not answer lately; not trying again yet")
        key = buffer.salt_key(today)
        try:
            await r.set(key, secrets.token_hex(16), nx=True, ex=SALT_TTL_SECONDS)
            value = await r.get(key)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            breaker.failed()
            raise
        except RedisError:  # an answer (an error): Redis is not frozen
            breaker.answered()
            raise
        except BaseException:  # cancelled, or a bug: the probe (if this was it) is over
            breaker.released()
            raise
        breaker.succeeded()
        self._salt = value.decode() if isinstance(value, bytes) else str(value)
        self._day = today
        return self._salt


# A view waiting for its batch: (minute, UTC day, its view_args), and the future its beacon
# awaits.
Pending = tuple[tuple[int, date, buffer.ViewArgs], "asyncio.Future[int]"]


# One batch in flight at a time; beacons arriving meanwhile go together as the next. More in
# flight does not help a slow Redis (it runs one script at a time, in order) and splits the
# load into small calls: in bench/beacons.py (32 connections) four in flight made batches of
# 11 views on average, mostly of 1 to 3, against 16 with one, and cost Redis and the server
# more CPU per beacon (per-call costs: the round trip, the client's command path, the AOF).
MAX_PIPELINES_IN_FLIGHT = 1
# Views per script call at most: one call holds Redis for its whole batch (some 10 µs a view).
MAX_BATCH = 256


class ViewRecorder:
    """Counts views with buffer.RECORD_VIEWS_LUA: each view by exactly the rules it would
    meet alone, atomically.

    Beacons that arrive while a round trip to Redis is in flight (MAX_PIPELINES_IN_FLIGHT)
    wait and then go together, as one script call (one per minute
    and day, should a batch straddle one): under load, one round trip and one command serve
    many beacons; when idle, a beacon goes at once (a batch of one), so nothing waits on a
    timer. The script answers one outcome per view.

    A Redis that stops answering (frozen, partitioned) trips a breaker: beacons are then
    refused at once (RedisUnavailable: 503) rather than each waiting out the socket timeout,
    and one beacon at a time probes until Redis answers again.
    """

    def __init__(
        self, r: aioredis.Redis, *, limits: buffer.Limits, breaker: Breaker | None = None
    ) -> None:
        self.r = r
        self.limits = limits
        self.breaker = breaker or Breaker()
        self.sha = hashlib.sha1(buffer.RECORD_VIEWS_LUA.encode()).hexdigest()  # noqa: S324 - Redis' script id
        self._pending: list[Pending] = []
        self._senders: set[asyncio.Task[None]] = set()

    async def record(
        self,
        *,
        article_id: int,
        reader: str,
        address: str,
        now: datetime,
        dimensions: tuple[buffer.Dimension, ...] = (),
    ) -> Outcome:
        view = buffer.view_args(
            article_id=article_id, reader=reader, address=address, dimensions=dimensions
        )
        if not self.breaker.allows():
            raise RedisUnavailable("views Redis did not answer lately; not trying again yet")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append(((int(now.timestamp()) // 60, now.date(), view), future))
        if len(self._senders) < MAX_PIPELINES_IN_FLIGHT:
            sender = asyncio.create_task(self._send_pending())
            self._senders.add(sender)
            sender.add_done_callback(self._senders.discard)
        return _OUTCOMES[await future]

    async def _send_pending(self) -> None:
        try:
            await self._send_while_pending()
        finally:
            # Leave the senders in the same step as finding nothing pending: done callbacks
            # run a loop iteration later, and a beacon recorded in between would see this
            # sender still counted, start none, and wait for ever.
            self._senders.discard(asyncio.current_task())

    async def _send_while_pending(self) -> None:
        while True:
            # A beacon whose request went away while it waited is not sent: nobody would be
            # told it counted.
            self._pending = [p for p in self._pending if not p[1].done()]
            if not self._pending:
                return
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                results = await self._run(batch)
            except Exception as exc:  # Redis down: every beacon of the batch gets the error
                results = [exc] * len(batch)
                if isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError):
                    self.breaker.failed()
                    # Beacons queued behind the failed round trip are refused now, not
                    # sent into the same silence.
                    batch, self._pending = batch + self._pending, []
                    results = [exc] * len(batch)
                elif isinstance(exc, RedisError):  # an answer (an error): Redis is not frozen
                    self.breaker.answered()
                else:  # a bug: no news of Redis, but the probe (if this was it) is over
                    self.breaker.released()
            except BaseException:  # cancelled (shutting down): no answer is coming
                self.breaker.released()
                for _, future in batch + self._pending:
                    future.cancel()
                self._pending = []
                raise
            else:
                if any(isinstance(r, _SILENCE) for r in results):
                    self.breaker.failed()  # a retry (after NOSCRIPT) met a silent Redis
                else:
                    self.breaker.succeeded()
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # the request went away meanwhile
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(_full_as_oom(result))
                else:
                    future.set_result(int(result))

    async def _run(self, batch: list[Pending]) -> list[Any]:
        """One outcome (or the error it met) per pending view, in order. Consecutive views
        of the same minute and day go in one call, so views are judged in arrival order."""
        groups = [
            (key, [i for i, _ in run])
            for key, run in itertools.groupby(enumerate(batch), key=lambda p: p[1][0][:2])
        ]
        calls = [
            buffer.record_call(
                views=(batch[i][0][2] for i in members), day=day, minute=minute, limits=self.limits
            )
            for (minute, day), members in groups
        ]
        answers = await self._call(calls)
        if any(isinstance(answer, NoScriptError) for answer in answers):
            # Redis restarted (or its script cache was flushed): load the script, and run
            # again only the calls that did not run (a refused script ran no part of itself).
            again = [i for i, answer in enumerate(answers) if isinstance(answer, NoScriptError)]
            try:
                await self.r.script_load(buffer.RECORD_VIEWS_LUA)
                retried = await self._call([calls[i] for i in again])
            except _SILENCE as exc:  # only those calls failed; the others' views counted
                retried = [exc] * len(again)
            for i, answer in zip(again, retried, strict=True):
                answers[i] = answer
        results: list[Any] = [None] * len(batch)
        for (_, members), answer in zip(groups, answers, strict=True):
            outcomes = (
                [answer] * len(members)
                if isinstance(answer, Exception)
                else buffer.outcomes_of(answer, len(members))
            )
            for i, outcome in zip(members, outcomes, strict=True):
                results[i] = outcome
        return results

    async def _call(self, calls: list[list[str | int]]) -> list[Any]:
        """Each call's answer, or the error it met; one command when there is one call (the
        usual case: a pipeline object costs more than the command it would carry)."""
        if len(calls) == 1:
            try:
                return [await self.r.evalsha(self.sha, 0, *calls[0])]
            except ResponseError as exc:  # an answer, as raise_on_error=False gives it
                return [exc]
        pipe = self.r.pipeline(transaction=False)
        for args in calls:
            pipe.evalsha(self.sha, 0, *args)
        answers: list[Any] = await pipe.execute(raise_on_error=False)
        return answers


# Errors that say nothing came back from Redis (as opposed to an error it answered).
_SILENCE = (RedisConnectionError, RedisTimeoutError, OSError)


def _full_as_oom(exc: BaseException) -> BaseException:
    """Inside a script, Redis at its maxmemory answers a generic error ("... -OOM command not
    allowed ..."); name it, so it is answered 503 like any other full Redis."""
    if isinstance(exc, ResponseError) and "OOM command not allowed" in str(exc):
        return OutOfMemoryError(str(exc))
    return exc


def learn_article(
    session: Session, r: redis.Redis, snapshot: ArticleSnapshot, now: datetime
) -> bool:
    """Apply an article event: only a newer version changes what we know. True if applied."""
    known = repository.get_known(session, snapshot.id)
    if known is not None and known.version >= snapshot.version:
        return False
    if known is None:
        known = KnownArticle(article_id=snapshot.id)
        session.add(known)
    known.version = snapshot.version
    known.slug = snapshot.slug
    known.category_slug = snapshot.category.slug
    known.live = snapshot.is_live
    known.updated_at = now
    session.flush()
    if snapshot.is_live:
        r.sadd(buffer.LIVE_KEY, snapshot.id)
    else:
        r.srem(buffer.LIVE_KEY, snapshot.id)
    return True


@dataclass(frozen=True)
class Counts:
    article_id: int
    total: int
    today: int
    last_7_days: int
    last_30_days: int


class UnknownArticle(Exception):
    def __init__(self, ref: int | str) -> None:
        super().__init__(f"No article {ref!r} is known to the views service.")


def _visible(session: Session, article_id: int, *, withdrawn: bool) -> None:
    """Raise UnknownArticle unless the article is known, and live or ``withdrawn`` allowed
    (editors see the counts of unpublished, archived and deleted articles; readers do not)."""
    known = repository.get_known(session, article_id)
    if known is None or not (known.live or withdrawn):
        raise UnknownArticle(article_id)


def counts(session: Session, *, article_id: int, today: date, withdrawn: bool = False) -> Counts:
    _visible(session, article_id, withdrawn=withdrawn)
    return Counts(
        article_id=article_id,
        total=repository.total(session, article_id),
        today=repository.sum_since(session, article_id, today),
        last_7_days=repository.sum_since(session, article_id, today - timedelta(days=6)),
        last_30_days=repository.sum_since(session, article_id, today - timedelta(days=29)),
    )


def daily(
    session: Session, *, article_id: int, today: date, days: int, withdrawn: bool = False
) -> list[tuple[date, int]]:
    """The last ``days`` days up to today, oldest first, days without views as 0."""
    _visible(session, article_id, withdrawn=withdrawn)
    first = today - timedelta(days=days - 1)
    found = repository.daily(session, article_id, first)
    return [(d, found.get(d, 0)) for d in (first + timedelta(days=i) for i in range(days))]


# "Most viewed" windows: days counted back from today (today included); None = all time.
TOP_WINDOWS: dict[str, int | None] = {"1d": 1, "7d": 7, "30d": 30, "all": None}


@dataclass(frozen=True)
class TopEntry:
    article_id: int
    slug: str
    category: str
    views: int


def top(
    session: Session, *, window: str, category: str | None, limit: int, today: date
) -> list[TopEntry]:
    """The most viewed live articles in a window, most viewed first (ties: lower id first)."""
    days = TOP_WINDOWS[window]
    if days is None:
        rows = repository.top_all_time(session, category=category, limit=limit)
    else:
        first = today - timedelta(days=days - 1)
        rows = repository.top_since(session, first, category=category, limit=limit)
    return [TopEntry(*row) for row in rows]


def recent_views(session: Session, ids: list[int], *, today: date) -> dict[int, int]:
    """Views in the last 7 days (today included) of each article in ids, 0 when none."""
    found = repository.sums_since(session, ids, today - timedelta(days=6))
    return {a: found.get(a, 0) for a in ids}


# (slug, views) or (slug, views, day or None)
ImportRow = tuple[str, int] | tuple[str, int, date | None]


def import_totals(session: Session, rows: Sequence[ImportRow], *, now: datetime) -> dict[int, int]:
    """Set historic views by article slug, for a site moving here: each row adds to the
    article's total and, when it has a date, to that day's count (so "most viewed" over
    recent days sees it). Idempotent: importing a file again replaces what the earlier
    import of the same articles set. Unknown slugs raise before anything is written.
    Returns the new totals by article id."""
    per_article: dict[int, int] = {}
    per_day: dict[tuple[int, date], int] = {}
    for row in rows:
        slug, n = row[0], row[1]
        day = row[2] if len(row) == 3 else None
        known = repository.known_by_slug(session, slug)
        if known is None:
            raise UnknownArticle(slug)
        aid = known.article_id
        per_article[aid] = per_article.get(aid, 0) + n
        if day is not None:
            per_day[(aid, day)] = per_day.get((aid, day), 0) + n
    for article_id, n in per_article.items():
        repository.set_imported(session, article_id, n, now)
        repository.clear_imported_days(session, article_id)
    for (article_id, day), n in sorted(per_day.items()):
        repository.set_imported_day(session, article_id, day, n)
    session.flush()
    return repository.totals(session, list(per_article))
