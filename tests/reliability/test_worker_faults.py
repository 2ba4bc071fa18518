"""Render workers killed mid-task, and publishes made while Redis is down: every page still
appears, at its newest version, and the page store never holds a partial or temp file."""

from __future__ import annotations

import gzip
import json
import os
import signal
import threading
import time
from collections.abc import Callable

import httpx
import pytest
import redis

from shared.contracts import RENDER_PAGES_QUEUE
from tests.e2e.stack import Stack, wait_for
from tests.reliability.drills import children_of

# The platform's log is printed when a drill fails.
pytestmark = pytest.mark.usefixtures("show_logs_on_failure")


def editor(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token()}"}


def create(stack: Stack, headers: dict[str, str], slug: str) -> dict[str, object]:
    r = httpx.post(
        f"{stack.articles}/api/v1/articles",
        json={
            "title": f"Article {slug}",
            "slug": slug,
            "category": "health",
            "body": "## Part\n\n" + "Text. " * 400,
        },
        headers=headers,
        timeout=10,
    )
    assert r.status_code == 201, r.text
    data: dict[str, object] = r.json()
    return data


def page_is_served(stack: Stack, slug: object) -> Callable[[], bool]:
    return lambda: httpx.get(f"{stack.pages}/health/{slug}", timeout=5).status_code == 200


def rendering(broker: redis.Redis) -> bool:
    """A render task is delivered and not yet acknowledged (kombu's `unacked` hash holds
    [message, exchange, routing key] per delivery)."""
    return any(json.loads(v)[2] == RENDER_PAGES_QUEUE for v in broker.hvals("unacked"))


@pytest.mark.usefixtures("sample_site")
def test_killing_render_workers_mid_render_loses_no_page_and_leaves_no_partial_file(
    stack: Stack,
) -> None:
    headers = editor(stack)
    articles = [create(stack, headers, f"kill-{i}") for i in range(30)]
    worker = next(r for r in stack.supervisor.running if r.spec.name == "render-pages-worker")
    answers: list[int] = []

    def publish_all() -> None:
        # Published while the kills go on: a page renders in milliseconds, so publishing
        # everything first would leave nothing in flight to kill.
        for article in articles:
            r = httpx.post(
                f"{stack.articles}/api/v1/articles/{article['id']}/publish",
                headers=headers,
                timeout=10,
            )
            answers.append(r.status_code)
            time.sleep(0.05)

    publisher = threading.Thread(target=publish_all)
    publisher.start()
    # SIGKILL the pool process only while it runs a render: with acks_late and prefetch 1 a
    # message is in the broker's `unacked` hash exactly while a task holds it.
    broker = stack.redis_client(0)
    in_flight_kills = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and in_flight_kills < 5:
        if not rendering(broker):
            time.sleep(0.02)
            continue
        for pid in children_of(worker.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
                in_flight_kills += 1
            except ProcessLookupError:
                pass
        time.sleep(0.3)
    publisher.join(60)
    assert answers == [200] * len(articles)
    assert in_flight_kills > 0, "no render was in flight to kill"
    assert worker.proc.poll() is None  # the worker itself lives on and forks new pool processes
    for article in articles:
        wait_for(f"page {article['slug']}", page_is_served(stack, article["slug"]), timeout=90)
    # A render task was in the killed process and handed back, not dropped: the render
    # worker logs the WorkerLostError of a task it then rejects with requeue
    # (task_reject_on_worker_lost); the page of every article appeared above.
    lost = [
        line
        for line in stack.log_lines
        if line.startswith("render-pages-worker | ") and "WorkerLostError" in line
    ]
    assert lost, "no render task was lost to a kill (and so none was redelivered)"
    store = stack.root / "pages"
    # A killed writer may leave a temp file (.tmp-*), never a partial page: every page is
    # whole, and every compressed copy the server would serve matches its page.
    pages = [p for p in store.rglob("*.html") if not p.name.startswith(".")]
    assert len(pages) >= len(articles)
    for page in pages:
        html = page.read_bytes()
        assert html.rstrip().endswith(b"</html>"), page
        gz = page.with_name(page.name + ".gz")
        if gz.exists() and gz.stat().st_mtime_ns >= page.stat().st_mtime_ns - 1_000_000_000:
            assert gzip.decompress(gz.read_bytes()) == html, gz


@pytest.mark.usefixtures("sample_site")
def test_publishes_made_while_redis_is_down_all_reach_the_site_at_their_newest_version(
    stack: Stack,
) -> None:
    # The module's platform, after the kill drill: the outage is this module's last drill,
    # and these articles are its own (the drill above published kill-*).
    headers = editor(stack)
    articles = [create(stack, headers, f"outage-{i}") for i in range(50)]
    stack.redis.stop()
    try:
        started = time.monotonic()
        answers = []
        for article in articles:
            r = httpx.post(
                f"{stack.articles}/api/v1/articles/{article['id']}/publish",
                headers=headers,
                timeout=30,
            )
            answers.append((r.status_code, r.json().get("status")))
        elapsed = time.monotonic() - started
        # Each publish succeeded (the outbox holds the events) ...
        assert set(answers) == {(200, "published")}, answers
        # ... and none reached the site while Redis was away.
        assert httpx.get(f"{stack.pages}/health/outage-0", timeout=5).status_code == 404
        # Then an editor fixes a title: a newer version, also while Redis is away.
        first = articles[0]
        fix = httpx.patch(
            f"{stack.articles}/api/v1/articles/{first['id']}",
            json={"title": "Article outage-0, corrected", "version": 2},
            headers=headers,
            timeout=30,
        )
        assert fix.status_code == 200, fix.text
    finally:
        stack.redis.start()
    for article in articles:
        wait_for(f"page {article['slug']}", page_is_served(stack, article["slug"]), timeout=90)
    wait_for(
        "the newest version of outage-0",
        lambda: (
            "Article outage-0, corrected"
            in httpx.get(f"{stack.pages}/health/outage-0", timeout=5).text
        ),
    )
    print(f"50 publishes during the outage took {elapsed:.1f}s")
