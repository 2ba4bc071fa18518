"""Coalescing index renders on a real broker: many changes, few render-indexes tasks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.render import coalesce, repository
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from services.render.worker import create_celery
from shared.contracts import RENDER_LISTINGS_QUEUE
from shared.db import Database
from tests.conftest import RedisDbs


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


def test_a_burst_sends_one_run(rt: RenderRuntime, redis_dbs: RedisDbs) -> None:
    app = create_celery(rt.settings)
    broker = redis_dbs.client(redis_dbs.broker_db)
    sent = [coalesce.schedule_indexes(rt, app) for _ in range(50)]
    assert sent.count(True) == 1
    assert broker.llen(RENDER_LISTINGS_QUEUE) == 1
    # A run clears the flag as it starts: a change during the run schedules the next one.
    coalesce.clear_flag(rt)
    assert coalesce.schedule_indexes(rt, app)
    assert broker.llen(RENDER_LISTINGS_QUEUE) == 2


def test_a_key_marked_again_during_its_render_stays_dirty(render_settings: RenderSettings) -> None:
    db = Database(render_settings.render_database_url)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with db.transaction() as session:
            repository.mark_dirty(session, ["home"], first)
        with db.reading() as session:
            seen = repository.dirty_marks(session)["home"]
        with db.transaction() as session:  # a publish lands while "home" is being rendered
            repository.mark_dirty(session, ["home"], first + timedelta(seconds=1))
        with db.transaction() as session:
            assert not repository.clear_dirty(session, "home", seen)
        with db.reading() as session:
            again = repository.dirty_marks(session)["home"]
        # A worker whose time was taken earlier (before waiting for a lock, or on a slower
        # clock) marks it again with an older time: still a new mark, still not cleared.
        with db.transaction() as session:
            repository.mark_dirty(session, ["home"], first - timedelta(seconds=5))
        with db.transaction() as session:
            assert not repository.clear_dirty(session, "home", again)
        with db.reading() as session:
            again = repository.dirty_marks(session)["home"]
        with db.transaction() as session:
            assert repository.clear_dirty(session, "home", again)
        with db.reading() as session:
            assert repository.dirty_marks(session) == {}
    finally:
        db.dispose()
