"""Every accepted view is counted exactly once, even when the flusher is SIGKILLed before,
during or after its database commit: real flusher processes, real Redis, SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from services.views import buffer
from services.views.models import AppliedBatch, ArticleTotal, DailyCount, DailyDimension
from services.views.settings import ViewsSettings
from shared.db import Database
from tests.views.builders import T0, flush, learn, snapshot, views_redis

ROOT = Path(__file__).resolve().parents[2]
DAY1, DAY2 = date(2026, 3, 9), date(2026, 3, 10)
LIMITS = buffer.Limits(
    window_seconds=1800, reader_per_minute=1000, address_per_minute=1000, readers_per_address=8
)


class Views:
    """Records views the way the beacon does (the same Lua script), remembering what was
    accepted, per article and day."""

    def __init__(self, r: redis.Redis) -> None:
        self.r = r
        self.script = r.register_script(buffer.RECORD_VIEWS_LUA)
        self.accepted: Counter[tuple[int, date]] = Counter()
        self.n = 0

    def record(self, article_id: int, day: date) -> None:
        self.n += 1
        reader = f"reader-{self.n}"
        # Every view carries its dimensions, some of them open-ended (capped) values, so the
        # drills prove the counts stay exact with dimensions riding in the same buffer.
        view = buffer.view_args(
            article_id=article_id,
            reader=reader,
            address=reader,
            dimensions=(
                ("referrer", "search", 0),
                ("device", "phone", 0),
                ("domain", f"site{self.n % 5}.example", 3),
            ),
        )
        codes = self.script(args=buffer.record_call(views=[view], day=day, minute=0, limits=LIMITS))
        assert codes == [buffer.COUNTED]
        self.accepted[(article_id, day)] += 1


def dimension_sums(settings: ViewsSettings) -> dict[tuple[int, date, str], int]:
    """Views per article, day and dimension, summed over the dimension's values."""
    db = Database(settings.views_database_url)
    try:
        with db.transaction() as s:
            rows = s.execute(
                select(
                    DailyDimension.article_id,
                    DailyDimension.day,
                    DailyDimension.dimension,
                    func.sum(DailyDimension.count),
                ).group_by(DailyDimension.article_id, DailyDimension.day, DailyDimension.dimension)
            )
            return {(a, d, dim): int(n) for a, d, dim, n in rows}
    finally:
        db.dispose()


def db_state(settings: ViewsSettings) -> tuple[dict[int, int], dict[tuple[int, date], int], int]:
    db = Database(settings.views_database_url)
    try:
        with db.transaction() as s:
            totals = {
                a: t for a, t in s.execute(select(ArticleTotal.article_id, ArticleTotal.total))
            }
            days = {
                (a, d): c
                for a, d, c in s.execute(
                    select(DailyCount.article_id, DailyCount.day, DailyCount.count)
                )
            }
            batches = int(s.scalar(select(func.count()).select_from(AppliedBatch)) or 0)
        return totals, days, batches
    finally:
        db.dispose()


def start_flusher(settings: ViewsSettings, point: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.views.flush_child", settings.views_database_url,
         settings.views_redis_url, point],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def wait_until_at(proc: subprocess.Popen[str], point: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == f"AT {point}", f"the flusher said {line!r} (exit code {proc.poll()})"


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL
    if proc.stdout is not None:
        proc.stdout.close()


def batch_keys(r: redis.Redis) -> list[bytes]:
    return list(r.scan_iter(match=buffer.BATCH_PREFIX + "*"))


def assert_exact(settings: ViewsSettings, views: Views) -> None:
    totals, days, _ = db_state(settings)
    expected_totals: Counter[int] = Counter()
    for (article_id, _day), n in views.accepted.items():
        expected_totals[article_id] += n
    assert days == dict(views.accepted)
    assert totals == dict(expected_totals)
    assert sum(totals.values()) == int(views.r.get(buffer.ACCEPTED_KEY) or 0)
    # Each dimension of every accepted view was counted exactly once too.
    assert dimension_sums(settings) == {
        (a, d, dim): n
        for (a, d), n in views.accepted.items()
        for dim in ("device", "domain", "referrer")
    }


@pytest.fixture
def views(views_settings: ViewsSettings) -> Views:
    learn(views_settings, snapshot(1), snapshot(2), snapshot(3))
    return Views(views_redis(views_settings))


def record_some(views: Views, n: int) -> None:
    for i in range(n):
        views.record(1 + i % 3, DAY1 if i % 4 == 0 else DAY2)


@pytest.mark.parametrize("point", ["before-transaction", "before-commit"])
def test_a_flusher_killed_before_its_commit_loses_nothing(
    views_settings: ViewsSettings, views: Views, point: str
) -> None:
    record_some(views, 40)
    proc = start_flusher(views_settings, point)
    wait_until_at(proc, point)
    kill(proc)
    # The batch waits under its key; nothing reached the database.
    assert not views.r.exists(buffer.BUFFER_KEY)
    assert len(batch_keys(views.r)) == 1
    assert db_state(views_settings) == ({}, {}, 0)
    record_some(views, 7)  # traffic goes on into a fresh buffer meanwhile
    result = flush(views_settings, T0)
    assert result.batches == 2  # the orphaned batch, then the new buffer
    assert batch_keys(views.r) == []
    assert_exact(views_settings, views)


def test_a_flusher_killed_after_its_commit_counts_nothing_twice(
    views_settings: ViewsSettings, views: Views
) -> None:
    record_some(views, 40)
    proc = start_flusher(views_settings, "after-commit")
    wait_until_at(proc, "after-commit")
    kill(proc)
    # Committed, but the batch key was not deleted: the next run must not apply it again.
    assert len(batch_keys(views.r)) == 1
    totals, _, batches = db_state(views_settings)
    assert sum(totals.values()) == 40
    assert batches == 1
    record_some(views, 7)
    result = flush(views_settings, T0)
    assert result.views == 7  # only the new views; the committed batch is just deleted
    assert batch_keys(views.r) == []
    assert_exact(views_settings, views)
    assert db_state(views_settings)[2] == 2


def test_a_flusher_killed_at_random_moments_under_traffic_counts_every_view_once(
    views_settings: ViewsSettings, views: Views
) -> None:
    """Flushers run back to back and are killed wherever they happen to be (renaming, reading
    the batch, in the transaction, committing, deleting), while views keep arriving."""
    rng = random.Random(5)
    stop = threading.Event()
    feeder_views = Views(views_redis(views_settings))
    feeder_views.n = 1_000_000  # readers of their own

    def feed() -> None:
        i = 0
        while not stop.is_set():
            feeder_views.record(1 + i % 3, DAY2)
            i += 1

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        for _ in range(8):
            proc = start_flusher(views_settings, "loop")
            wait_until_at(proc, "loop")
            stop.wait(rng.uniform(0.05, 0.5))
            kill(proc)
    finally:
        stop.set()
        feeder.join()
    views.accepted.update(feeder_views.accepted)
    assert sum(views.accepted.values()) > 0
    flush(views_settings, T0)
    assert batch_keys(views.r) == []
    assert not views.r.exists(buffer.BUFFER_KEY)
    assert_exact(views_settings, views)


def test_a_flush_with_nothing_buffered_does_nothing(views_settings: ViewsSettings) -> None:
    result = flush(views_settings, datetime(2026, 3, 10, tzinfo=T0.tzinfo))
    assert (result.batches, result.views) == (0, 0)
    assert db_state(views_settings) == ({}, {}, 0)
