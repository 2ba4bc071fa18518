"""The related-refresh schedule: the pages a new article enters are re-rendered
``related_refresh_seconds`` after the change, the pages showing a changed or withdrawn article
at once (real SQLite and PostgreSQL read models, the listings run as the worker calls it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from services.render import metrics, related, repository, service
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from services.render.worker import create_celery
from shared.contracts import RENDER_ARTICLE_CHANGED_TASK, RENDER_LISTINGS_QUEUE, RENDER_PAGES_QUEUE
from tests.render.builders import event
from tests.render.test_invalidation import (
    HEALTH,
    NOW,
    apply,
    art,
    page,
    related_section,
)
from tests.render.workers import render_workers

LATER = timedelta(minutes=5)


def run(rt: RenderRuntime, at: timedelta = timedelta(0)) -> service.RenderRun:
    """A listings run ``at`` after NOW, with a five-minute refresh schedule."""
    return service.render_dirty(rt.db, rt.store, rt.site, now=NOW + at, entry_after=LATER)


def dirty(rt: RenderRuntime) -> set[str]:
    with rt.db.reading() as session:
        return set(repository.dirty_marks(session))


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


@pytest.fixture
def two_sleep_pages(rt: RenderRuntime) -> RenderRuntime:
    apply(rt, art(10, 1, HEALTH, ("sleep", "stress")))
    apply(rt, art(11, 2, HEALTH, ("sleep",)))
    run(rt, LATER)  # their own entries are due: everything settled
    assert dirty(rt) == set()
    return rt


def test_the_pages_a_new_article_enters_wait_for_the_schedule(
    two_sleep_pages: RenderRuntime,
) -> None:
    rt = two_sleep_pages
    result = apply(rt, art(20, 7, HEALTH, ("sleep",), title="Sleep and the heart"))
    assert "relatedentry:20" in result.dirty

    now = run(rt)
    assert "health/article-10/index.html" not in now.written
    assert "health/article-11/index.html" not in now.written
    assert "Sleep and the heart" not in related_section(page(rt, "health", 10))
    assert dirty(rt) == {"relatedentry:20"}  # the listings are done; the entry waits
    assert now.pending == 0  # not due: no run of its own, the scheduler's next run takes it

    early = run(rt, LATER - timedelta(seconds=1))
    assert early.written == [] and dirty(rt) == {"relatedentry:20"}

    due = run(rt, LATER)
    assert set(due.written) == {"health/article-10/index.html", "health/article-11/index.html"}
    assert "Sleep and the heart" in related_section(page(rt, "health", 10))
    assert "Sleep and the heart" in related_section(page(rt, "health", 11))
    assert dirty(rt) == set()


def test_pages_showing_a_withdrawn_article_drop_it_at_once(two_sleep_pages: RenderRuntime) -> None:
    rt = two_sleep_pages
    assert "Article 11" in related_section(page(rt, "health", 10))
    apply(rt, art(11, 2, HEALTH, ("sleep",), version=2, status="unpublished"))
    written = run(rt).written  # no time has passed
    assert "health/article-10/index.html" in written
    assert "Article 11" not in related_section(page(rt, "health", 10))


def test_a_renamed_article_is_renamed_on_the_pages_showing_it_at_once(
    two_sleep_pages: RenderRuntime,
) -> None:
    rt = two_sleep_pages
    apply(rt, art(11, 2, HEALTH, ("sleep",), version=2, title="Sleep, renamed"))
    run(rt)
    assert "Sleep, renamed" in related_section(page(rt, "health", 10))


def test_a_later_change_does_not_postpone_the_refresh(two_sleep_pages: RenderRuntime) -> None:
    """An article edited more often than the schedule still enters the pages it should."""
    rt = two_sleep_pages
    apply(rt, art(20, 7, HEALTH, ("sleep",), title="Sleep and the heart"))
    with rt.db.transaction() as session:  # edited four minutes later: marked again
        repository.mark_dirty(session, {"relatedentry:20", "home"}, NOW + timedelta(minutes=4))
        marks = repository.dirty_marks(session)
    assert marks["relatedentry:20"].marked_at == NOW  # the first mark's time is kept
    assert marks["home"].marked_at == NOW + timedelta(minutes=4)  # other keys move on
    run(rt, LATER)
    assert "Sleep and the heart" in related_section(page(rt, "health", 10))


def test_an_article_withdrawn_before_its_refresh_enters_nothing(
    two_sleep_pages: RenderRuntime,
) -> None:
    rt = two_sleep_pages
    apply(rt, art(20, 7, HEALTH, ("sleep",), title="Sleep and the heart"))
    apply(rt, art(20, 7, HEALTH, ("sleep",), version=2, status="unpublished"))
    due = run(rt, LATER)
    assert not any(p.startswith("health/article-1") for p in due.written)
    assert "Sleep and the heart" not in related_section(page(rt, "health", 10))
    assert dirty(rt) == set()


def test_due_entry_checks_beyond_one_runs_share_wait_for_the_next_run(
    two_sleep_pages: RenderRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk import's entry checks fall due together: each run works out at most
    ENTRY_CHECKS_PER_RUN of them (oldest first), so the listings behind them are not held up."""
    rt = two_sleep_pages
    monkeypatch.setattr(related, "ENTRY_CHECKS_PER_RUN", 2)
    for aid in (20, 21, 22):
        apply(rt, art(aid, aid - 10, HEALTH, ("sleep",), title=f"New {aid}"))
    first = run(rt, LATER)
    assert first.pending == 1
    assert dirty(rt) == {"relatedentry:22"}
    second = run(rt, LATER)
    assert second.pending == 0 and dirty(rt) == set()


@pytest.mark.e2e
def test_the_listings_worker_keeps_the_schedule_it_is_configured_with(
    render_settings: RenderSettings,
) -> None:
    """Through a real worker (the render-indexes task as deployed) with a five-minute
    schedule: the new page gets its exact list, the pages it enters wait."""
    settings = render_settings.model_copy(update={"related_refresh_seconds": 300.0})
    rt = RenderRuntime.from_settings(settings)
    try:
        apply(rt, art(10, 1, HEALTH, ("sleep", "stress")))
        apply(rt, art(11, 2, HEALTH, ("sleep",)))
        run(rt, LATER)
        app = create_celery(settings)
        broker = rt.redis.from_url(settings.broker_url)
        new = art(20, 7, HEALTH, ("sleep",), title="Sleep and the heart")
        with render_workers(settings, 1):
            app.send_task(RENDER_ARTICLE_CHANGED_TASK, args=[event(new)], queue=RENDER_PAGES_QUEUE)
            deadline, calm = time.monotonic() + 60, 0
            while calm < 3:
                assert time.monotonic() < deadline, f"did not settle: {dirty(rt)}"
                time.sleep(0.5)
                with rt.db.reading() as session:
                    waiting = repository.count_dirty(session, scheduled=False)
                    applied = repository.get_snapshot(session, 20) is not None
                queued = broker.llen(RENDER_PAGES_QUEUE) + broker.llen(RENDER_LISTINGS_QUEUE)
                busy = waiting + queued + broker.hlen("unacked")
                calm = calm + 1 if applied and busy == 0 else 0
        assert "Article 10" in related_section(page(rt, "health", 20))  # article:20 done
        assert "Sleep and the heart" not in related_section(page(rt, "health", 10))
        assert dirty(rt) == {"relatedentry:20"}
    finally:
        rt.close()


def test_the_backlog_gauge_leaves_out_checks_waiting_for_their_time(
    two_sleep_pages: RenderRuntime,
) -> None:
    """An alert on the render backlog must not fire for work that is only waiting its turn."""
    rt = two_sleep_pages
    apply(rt, art(20, 7, HEALTH, ("sleep",), title="Sleep and the heart"))
    run(rt)  # the listings are done; the entry check waits
    produced = {m.name: m.samples[0].value for m in metrics.producer(rt)() if m.samples}
    assert produced["healthhub_render_dirty_indexes"] == 0
    assert produced["healthhub_render_related_scheduled"] == 1
