"""The recorder batches concurrent beacons into one pipeline: each keeps its own outcome,
a lost script cache is reloaded, and a Redis outage is a 503, never a 500 (real Redis)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from services.views import buffer, service
from services.views.pixel import PIXEL
from services.views.settings import ViewsSettings
from tests.helpers import assert_problem
from tests.resources import free_port
from tests.views.builders import (
    BROWSER,
    T0,
    Clock,
    accepted,
    buffered_views,
    learn,
    snapshot,
    views_client,
)
from tests.views.builders import views_redis as redis_of


def limits(rate: int) -> buffer.Limits:
    return buffer.Limits(
        window_seconds=1800, reader_per_minute=rate, address_per_minute=10**6, readers_per_address=8
    )


@pytest.fixture(params=[True, False], ids=["fast-path", "fastapi-route"])
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def settings(views_settings: ViewsSettings) -> ViewsSettings:
    learn(views_settings, snapshot(1), snapshot(2))
    return views_settings


View = tuple[int, str, datetime]  # article, reader (and address), time


async def record_views(
    settings: ViewsSettings,
    views: list[View],
    *,
    rate: int = 1000,
    recorder_class: type[service.ViewRecorder] = service.ViewRecorder,
    return_exceptions: bool = False,
) -> tuple[list[Any], service.ViewRecorder]:
    """Record ``views`` concurrently (so they batch) on a fresh recorder: their outcomes,
    and the recorder."""
    r = aioredis.Redis.from_url(settings.views_redis_url)
    recorder = recorder_class(r, limits=limits(rate))
    try:
        outcomes = await asyncio.gather(
            *(recorder.record(article_id=a, reader=w, address=w, now=t) for a, w, t in views),
            return_exceptions=return_exceptions,
        )
        return list(outcomes), recorder
    finally:
        await r.aclose()


async def record_all(
    settings: ViewsSettings, calls: list[tuple[int, str]], *, rate: int = 1000
) -> list[service.Outcome]:
    outcomes, _ = await record_views(settings, [(a, who, T0) for a, who in calls], rate=rate)
    return outcomes


def test_concurrent_beacons_each_get_their_own_outcome(settings: ViewsSettings) -> None:
    calls = [(1, f"r{i % 40}") for i in range(100)] + [(999, "r1"), (2, "r1")]
    outcomes = asyncio.run(record_all(settings, calls))
    C, D = service.Outcome.COUNTED, service.Outcome.DUPLICATE
    assert outcomes[:40] == [C] * 40  # the first view of each of 40 readers
    assert outcomes[40:100] == [D] * 60
    assert outcomes[100:] == [service.Outcome.UNKNOWN, C]
    assert accepted(settings) == 41


def test_beacons_spread_over_several_pipelines_count_each_reader_once(
    settings: ViewsSettings,
) -> None:
    """Beacons arriving while earlier pipelines are in flight go in later ones, possibly
    several at once: still one count per reader and article."""

    async def staggered() -> list[service.Outcome]:
        r = aioredis.Redis.from_url(settings.views_redis_url)
        recorder = service.ViewRecorder(r, limits=limits(1000))

        async def one(i: int) -> service.Outcome:
            for _ in range(i % 7):
                await asyncio.sleep(0)
            return await recorder.record(
                article_id=1 + i % 2, reader=f"r{i % 30}", address=f"r{i % 30}", now=T0
            )

        try:
            return list(await asyncio.gather(*(one(i) for i in range(300))))
        finally:
            await r.aclose()

    outcomes = asyncio.run(staggered())
    # 30 readers x 2 articles, but reader r{k} only ever reads article 1 + k % 2.
    assert outcomes.count(service.Outcome.COUNTED) == 30
    assert outcomes.count(service.Outcome.DUPLICATE) == 270
    assert accepted(settings) == 30


def test_the_rate_limit_holds_within_one_batch(settings: ViewsSettings) -> None:
    calls = [(1 + i % 2, "flooder") for i in range(10)]
    outcomes = asyncio.run(record_all(settings, calls, rate=3))
    assert outcomes.count(service.Outcome.RATE_LIMITED) == 7
    assert accepted(settings) == 2  # 3 allowed: article 1, article 2, then a duplicate


def test_a_flushed_script_cache_is_reloaded(settings: ViewsSettings) -> None:
    """After a Redis restart the server has forgotten the script: the recorder loads it
    again and the beacons still count."""
    r = redis_of(settings)
    r.script_flush()
    r.close()
    outcomes = asyncio.run(record_all(settings, [(1, "a"), (1, "b"), (2, "a")]))
    assert outcomes == [service.Outcome.COUNTED] * 3


def test_redis_down_gives_503_for_a_beacon_and_the_pixel_still_answers(
    settings: ViewsSettings,
) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}"})
    with views_client(down) as client:
        response = client.post("/api/v1/views/1", headers={"User-Agent": BROWSER})
        assert_problem(response, 503)
        assert response.headers["retry-after"] == "2"
        pixel = client.get("/api/v1/views/1/pixel.gif", headers={"User-Agent": BROWSER})
        assert pixel.status_code == 200
        assert pixel.headers["content-type"] == "image/gif"
    with views_client(down, fast_path=False) as client:
        assert_problem(client.post("/api/v1/views/1", headers={"User-Agent": BROWSER}), 503)


def test_views_of_two_days_go_to_two_day_buckets(settings: ViewsSettings) -> None:
    async def two_days() -> None:
        r = aioredis.Redis.from_url(settings.views_redis_url)
        recorder = service.ViewRecorder(r, limits=limits(100))
        await recorder.record(article_id=1, reader="a", address="a", now=T0)
        await recorder.record(article_id=1, reader="b", address="b", now=T0 + timedelta(days=1))
        await r.aclose()

    asyncio.run(two_days())
    r = redis_of(settings)
    buf = buffered_views(r)
    r.close()
    assert buf == {
        "1:2026-03-10": 1,
        "1:2026-03-11": 1,
    }


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class BrokenClock(Clock):
    """A clock that raises once broken: an error no rule expects, in the middle of a beacon."""

    broken: bool = False

    def __call__(self) -> datetime:
        if self.broken:
            raise RuntimeError("clock broke")
        return super().__call__()


def test_an_unexpected_error_still_answers_the_pixel_and_is_logged(
    settings: ViewsSettings, fast_path: bool
) -> None:
    records = _Records()
    logger = logging.getLogger("healthhub.views")
    logger.addHandler(records)
    clock = BrokenClock()
    try:
        with views_client(settings, clock, fast_path=fast_path) as client:
            clock.broken = True
            pixel = client.get("/api/v1/views/1/pixel.gif", headers={"User-Agent": BROWSER})
            assert pixel.status_code == 200
            assert pixel.content == PIXEL
            assert pixel.headers["content-type"] == "image/gif"
            # The beacon's caller can read an answer: there, it stays a logged 500.
            assert_problem(client.post("/api/v1/views/1", headers={"User-Agent": BROWSER}), 500)
    finally:
        logger.removeHandler(records)
    errors = [r for r in records.records if r.exc_info and "clock broke" in str(r.exc_info[1])]
    assert len(errors) >= 1 + fast_path  # the pixel's (and the fast path's beacon's) error
    assert accepted(settings) == 0


class CountingCalls(service.ViewRecorder):
    """The recorder, remembering how many views each script call carried (real Redis)."""

    calls: list[int]

    async def _call(self, calls: list[list[str | int]]) -> list[object]:
        self.calls = [*getattr(self, "calls", []), *(views_in(args) for args in calls)]
        return await super()._call(calls)


def views_in(args: list[str | int]) -> int:
    n, i = 0, 7
    while i < len(args):
        n, i = n + 1, i + 5 + 3 * int(args[i + 4])
    return n


def test_a_batch_straddling_a_minute_or_a_day_is_one_call_per_group_each_view_its_outcome(
    settings: ViewsSettings,
) -> None:
    """Views of one batch go in one script call per run of consecutive views of a minute
    and day (the rate keys and buffer fields depend on them); each keeps its own outcome."""
    minute, day = T0 + timedelta(minutes=1), T0 + timedelta(days=1)
    calls = [(1, "a", T0), (1, "b", minute), (2, "a", day), (1, "a", minute), (2, "c", T0)]
    outcomes, recorder = asyncio.run(record_views(settings, calls, recorder_class=CountingCalls))
    sizes = recorder.calls  # type: ignore[attr-defined]
    C, D = service.Outcome.COUNTED, service.Outcome.DUPLICATE
    assert outcomes == [C, C, C, D, C]
    # All five are pending before the first sender runs: one batch, and a call for each run
    # of consecutive views of one minute and day (here every view starts a new run).
    assert sizes == [1, 1, 1, 1, 1]
    r = redis_of(settings)
    raw = buffered_views(r)
    r.close()
    assert raw[f"1:{T0.date()}"] == 2 and raw[f"2:{T0.date()}"] == 1
    assert raw[f"2:{day.date()}"] == 1


def test_a_large_burst_is_split_into_calls_of_at_most_max_batch_views(
    settings: ViewsSettings,
) -> None:
    readers = [f"reader-{i}" for i in range(2 * service.MAX_BATCH + 50)]
    views = [(1, w, T0) for w in readers]
    outcomes, recorder = asyncio.run(record_views(settings, views, recorder_class=CountingCalls))
    sizes = recorder.calls  # type: ignore[attr-defined]
    assert outcomes == [service.Outcome.COUNTED] * len(readers)
    assert max(sizes) == service.MAX_BATCH and sum(sizes) == len(readers)
    assert accepted(settings) == len(readers)


@pytest.mark.timeout(30)
def test_beacons_recorded_one_after_another_each_get_their_answer(
    settings: ViewsSettings,
) -> None:
    """A beacon recorded just as the sender found nothing left to send must still be sent:
    the sender leaves in the same step (a done callback would run a loop iteration later,
    and this beacon would wait for ever behind a sender that is gone)."""

    async def one_by_one() -> list[service.Outcome]:
        r = aioredis.Redis.from_url(settings.views_redis_url)
        recorder = service.ViewRecorder(r, limits=limits(1000))
        try:
            # Awaited directly (asyncio.wait_for would add loop iterations that hide it).
            return [
                await recorder.record(article_id=1, reader=f"r{i}", address=f"r{i}", now=T0)
                for i in range(20)
            ]
        finally:
            await r.aclose()

    assert asyncio.run(one_by_one()) == [service.Outcome.COUNTED] * 20


def test_views_of_one_batch_are_judged_in_arrival_order_across_minutes(
    settings: ViewsSettings,
) -> None:
    """Reader a's view at T0 + 1 min arrived before their view at T0: it is the one counted
    (grouping by minute, not by consecutive run, would count the later one instead)."""
    later = T0 + timedelta(minutes=1)
    calls = [(1, "u", T0), (1, "a", later), (1, "a", T0)]
    outcomes, _ = asyncio.run(record_views(settings, calls))
    C, D = service.Outcome.COUNTED, service.Outcome.DUPLICATE
    assert outcomes == [C, C, D]


def test_an_error_in_the_middle_of_a_batch_keeps_the_views_before_it_counted(
    settings: ViewsSettings,
) -> None:
    """A script that fails keeps what it wrote: the view before the failure stays counted
    (and is answered counted), the failing one and those after it are errors, and the
    accepted counter matches the buffer exactly. The minute's rate hash still expires."""
    r = redis_of(settings)
    r.hset(f"{buffer.ADDRESS_READERS_PREFIX}b:1", "wrong", "type")  # GET on it fails
    r.close()

    views = [(1, w, T0) for w in ("a", "b", "c")]
    (first, failed, not_run), _ = asyncio.run(record_views(settings, views, return_exceptions=True))
    assert first is service.Outcome.COUNTED
    assert isinstance(failed, ResponseError) and "WRONGTYPE" in str(failed)
    assert isinstance(not_run, ResponseError)
    r = redis_of(settings)
    counted = int(r.hget(buffer.BUFFER_KEY, f"1:{T0.date()}") or 0)
    ttl = int(r.ttl(f"{buffer.RATE_PREFIX}{int(T0.timestamp()) // 60}"))
    # The failed view leaves no mark: b was marked seen before its readers key failed, and
    # that mark is taken back, so b's next beacon is a view, not a duplicate.
    marks = [r.exists(f"{buffer.SEEN_PREFIX}{w}:1") for w in ("a", "b", "c")]
    r.close()
    assert counted == accepted(settings) == 1
    assert 0 < ttl <= 60
    assert marks == [1, 0, 0]


def test_a_view_whose_count_fails_takes_back_its_reader_marks(settings: ViewsSettings) -> None:
    """The buffer is of the wrong type: the view is marked seen and counted against its
    address, then its count fails. Both marks are taken back, so the reader's next beacon
    is judged as new and the address's count of readers is as before."""
    r = redis_of(settings)
    r.set(buffer.BUFFER_KEY, "not a hash")
    r.close()
    (failed,), _ = asyncio.run(record_views(settings, [(1, "a", T0)], return_exceptions=True))
    r = redis_of(settings)
    seen = r.exists(f"{buffer.SEEN_PREFIX}a:1")
    readers = int(r.get(f"{buffer.ADDRESS_READERS_PREFIX}a:1") or 0)
    r.close()
    assert isinstance(failed, ResponseError) and "WRONGTYPE" in str(failed)
    assert (seen, readers) == (0, 0)
    assert accepted(settings) == 0


def test_a_view_counted_before_its_dimensions_fail_keeps_its_mark(settings: ViewsSettings) -> None:
    """Counted, then its admitted-values hash is of the wrong type: the view is answered
    counted and stays counted, and its reader stays marked (taking the mark back would let
    the same reader be counted again within the window)."""
    r = redis_of(settings)
    r.set(buffer.dims_key(1, T0.date()), "not a hash")
    r.close()

    async def run() -> list[service.Outcome]:
        client = aioredis.Redis.from_url(settings.views_redis_url)
        recorder = service.ViewRecorder(client, limits=limits(1000))
        dims = (("referrer", "search", 0), ("domain", "google.com", 5))
        try:
            return [
                await recorder.record(
                    article_id=1, reader="a", address="a", now=T0, dimensions=dims
                )
                for _ in range(2)
            ]
        finally:
            await client.aclose()

    first, again = asyncio.run(run())
    r = redis_of(settings)
    seen = r.exists(f"{buffer.SEEN_PREFIX}a:1")
    views = buffered_views(r)
    r.close()
    assert (first, again) == (service.Outcome.COUNTED, service.Outcome.DUPLICATE)
    assert seen == 1
    assert views == {f"1:{T0.date()}": 1} and accepted(settings) == 1


def test_a_view_refused_by_the_readers_cap_does_not_mark_its_reader(
    settings: ViewsSettings,
) -> None:
    """Readers a and b share an address whose cap is one reader: b is CAPPED and, not
    being counted, not marked seen either (the one SET NX that tests for a duplicate also
    marks, so the cap must take the mark back)."""

    async def run() -> list[service.Outcome]:
        client = aioredis.Redis.from_url(settings.views_redis_url)
        capped = buffer.Limits(
            window_seconds=1800, reader_per_minute=100, address_per_minute=100,
            readers_per_address=1,
        )  # fmt: skip
        recorder = service.ViewRecorder(client, limits=capped)
        try:
            return [
                await recorder.record(article_id=1, reader=w, address="shared", now=T0)
                for w in ("a", "b", "b")
            ]
        finally:
            await client.aclose()

    outcomes = asyncio.run(run())
    r = redis_of(settings)
    marked = [r.exists(f"{buffer.SEEN_PREFIX}{w}:1") for w in ("a", "b")]
    readers = int(r.get(f"{buffer.ADDRESS_READERS_PREFIX}shared:1") or 0)
    r.close()
    C, CAP = service.Outcome.COUNTED, service.Outcome.CAPPED
    assert outcomes == [C, CAP, CAP]  # capped again, not a "duplicate" of a view never counted
    assert marked == [1, 0]
    assert readers == 1


def test_a_beacon_whose_request_went_away_before_its_batch_left_is_not_counted(
    settings: ViewsSettings,
) -> None:
    async def run() -> tuple[service.Outcome, bool]:
        client = aioredis.Redis.from_url(settings.views_redis_url)
        recorder = service.ViewRecorder(client, limits=limits(1000))
        try:
            kept = asyncio.create_task(
                recorder.record(article_id=1, reader="a", address="a", now=T0)
            )
            gone = asyncio.create_task(
                recorder.record(article_id=1, reader="b", address="b", now=T0)
            )
            await asyncio.sleep(0)  # both queued; the sender has not run yet
            gone.cancel()
            outcome = await kept
            with contextlib.suppress(asyncio.CancelledError):
                await gone
            return outcome, gone.cancelled()
        finally:
            await client.aclose()

    assert asyncio.run(run()) == (service.Outcome.COUNTED, True)
    assert accepted(settings) == 1
