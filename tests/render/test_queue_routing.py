"""Queue routing through real render workers: the page a reader waits for goes through the
render-pages queue and never waits behind listing work, which has a queue (and a worker
service) of its own; events left on the pre-split `render` queue are still rendered."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from services.render.worker import create_celery
from services.stack import WORKERS
from shared.contracts import (
    LEGACY_RENDER_QUEUE,
    RENDER_ARTICLE_CHANGED_TASK,
    RENDER_INDEXES_TASK,
    RENDER_LISTINGS_QUEUE,
    RENDER_PAGES_QUEUE,
    TASK_QUEUES,
)
from tests.render.builders import event, snapshot
from tests.render.workers import render_workers

pytestmark = pytest.mark.e2e


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


def wait_for(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_routing_table_sends_each_task_to_its_queue() -> None:
    assert TASK_QUEUES[RENDER_ARTICLE_CHANGED_TASK] == RENDER_PAGES_QUEUE
    assert TASK_QUEUES[RENDER_INDEXES_TASK] == RENDER_LISTINGS_QUEUE
    pages = WORKERS["render-pages"][1].split(",")
    listings = WORKERS["render-listings"][1].split(",")
    assert RENDER_LISTINGS_QUEUE not in pages and RENDER_PAGES_QUEUE not in listings
    assert LEGACY_RENDER_QUEUE in pages


def test_a_page_goes_live_while_listing_work_waits_in_its_own_queue(
    rt: RenderRuntime, request: pytest.FixtureRequest
) -> None:
    """Only a render-pages worker runs: the article page is written, the listing work it
    causes waits on render-listings untouched; a listings worker then renders it."""
    app = create_celery(rt.settings)
    broker = rt.redis.from_url(rt.settings.broker_url)
    request.addfinalizer(broker.close)
    # Listing work already queued ahead (as after a burst): it must not delay the page.
    for _ in range(5):
        app.send_task(RENDER_INDEXES_TASK)  # routed by the table, as the platform sends it
    article = "health/is-osteoporosis-an-autoimmune-disease/index.html"
    with render_workers(rt.settings, 1, kinds=("render-pages",)):
        app.send_task(RENDER_ARTICLE_CHANGED_TASK, args=[event(snapshot())])
        wait_for(lambda: rt.store.exists(article))
        time.sleep(1)  # a listings run, were one consuming, would have written by now
        assert not rt.store.exists("index.html")
        assert broker.llen(RENDER_LISTINGS_QUEUE) >= 5
    with render_workers(rt.settings, 1, kinds=("render-listings",)):
        wait_for(lambda: rt.store.exists("index.html") and rt.store.exists("health/index.html"))
    home = rt.store.read("index.html")
    assert home is not None and b"Is osteoporosis an autoimmune disease?" in home


def test_events_left_on_the_pre_split_render_queue_are_rendered(rt: RenderRuntime) -> None:
    app = create_celery(rt.settings)
    article = "health/is-osteoporosis-an-autoimmune-disease/index.html"
    app.send_task(RENDER_ARTICLE_CHANGED_TASK, args=[event(snapshot())], queue=LEGACY_RENDER_QUEUE)
    with render_workers(rt.settings, 1, kinds=("render-pages",)):
        wait_for(lambda: rt.store.exists(article))
