"""SIGTERM drains: a render worker stopped while work is queued and in flight loses none of
it, and an API stopped during a request still answers that request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from tests.e2e.stack import Stack, wait_for


def page_is_up(stack: Stack, path: str) -> Callable[[], bool]:
    return lambda: httpx.get(f"{stack.pages}{path}", timeout=5).status_code == 200


def test_sigterm_to_a_busy_render_worker_loses_no_publish(stack: Stack) -> None:
    stack.cli("seed")
    headers = {"Authorization": f"Bearer {stack.token()}"}
    ids = []
    for i in range(15):
        r = httpx.post(
            f"{stack.articles}/api/v1/articles",
            json={
                "title": f"Drain {i}",
                "slug": f"drain-{i}",
                "category": "health",
                "body": "## A\n\n" + "B. " * 300,
            },
            headers=headers,
            timeout=10,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    worker = next(r for r in stack.supervisor.running if r.spec.name == "render-pages-worker")
    for article_id in ids:
        assert (
            httpx.post(
                f"{stack.articles}/api/v1/articles/{article_id}/publish",
                headers=headers,
                timeout=10,
            ).status_code
            == 200
        )
    stack.supervisor.halt(worker)  # SIGTERM: a warm shutdown while events are queued / running
    assert worker.proc.returncode == 0  # it drained and exited cleanly, it was not killed
    stack.supervisor.resume(worker)
    for i in range(15):
        wait_for(f"drain-{i}", page_is_up(stack, f"/health/drain-{i}"), timeout=60)


def test_sigterm_to_the_articles_api_finishes_the_request_in_flight(stack: Stack) -> None:
    stack.cli("seed")
    api = next(r for r in stack.supervisor.running if r.spec.name == "articles-api")
    results: list[int] = []

    def slow_call() -> None:
        # The public list of every published article, 50 times over a keep-alive connection,
        # so the server is mid-request when it gets SIGTERM.
        with httpx.Client(timeout=30) as client:
            for _ in range(50):
                try:
                    results.append(
                        client.get(f"{stack.articles}/api/v1/content/articles").status_code
                    )
                except httpx.HTTPError:  # the server is gone: later requests are refused, fine
                    return

    thread = threading.Thread(target=slow_call)
    thread.start()
    time.sleep(0.3)
    stack.supervisor.halt(api)
    thread.join(30)
    stack.supervisor.resume(api)
    # Every request that got an answer got a whole, successful one; none saw a 5xx.
    assert results
    assert set(results) == {200}
    wait_for(
        "the API back", lambda: httpx.get(f"{stack.articles}/healthz", timeout=5).status_code == 200
    )
