"""SIGTERM drains: a render worker stopped while work is queued and in flight loses none of
it, and an API stopped during a request still answers that request."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.stack import Stack, wait_for


def page_is_up(stack: Stack, path: str) -> Callable[[], bool]:
    return lambda: httpx.get(f"{stack.pages}{path}", timeout=5).status_code == 200


@pytest.mark.usefixtures("sample_site")
def test_sigterm_to_a_busy_render_worker_loses_no_publish(stack: Stack, editor_token: str) -> None:
    headers = {"Authorization": f"Bearer {editor_token}"}
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


@pytest.mark.usefixtures("sample_site")
def test_sigterm_to_the_articles_api_finishes_the_request_in_flight(
    stack: Stack, editor_token: str
) -> None:
    token = editor_token
    api = next(r for r in stack.supervisor.running if r.spec.name == "articles-api")
    body = json.dumps(
        {"title": "Sent across a SIGTERM", "slug": "sigterm", "category": "health", "body": "B."}
    ).encode()
    head = (
        "POST /api/v1/articles HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{stack.settings.articles_port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", stack.settings.articles_port), timeout=30) as conn:
        # Mid-request by construction, not by timing: the server has the headers and half
        # the body, so it cannot have answered, and it must wait for the rest.
        conn.sendall(head + body[: len(body) // 2])
        time.sleep(0.3)  # lets the server parse the headers; the assertion does not rely on it
        halting = threading.Thread(target=stack.supervisor.halt, args=(api, 30))
        halting.start()
        time.sleep(0.5)
        assert api.proc.poll() is None, "the API exited with a request in flight"
        conn.sendall(body[len(body) // 2 :])
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            assert chunk, f"connection closed before an answer: {answer!r}"
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 201"), answer[:300]
    halting.join(30)
    # A drained exit: uvicorn re-raises the SIGTERM it handled once it is done (-15); a
    # kill would be -9, and halt() would have timed out on a process that hung.
    assert api.proc.returncode in (0, -signal.SIGTERM)
    stack.supervisor.resume(api)
    wait_for(
        "the API back", lambda: httpx.get(f"{stack.articles}/healthz", timeout=5).status_code == 200
    )
    created = httpx.get(
        f"{stack.articles}/api/v1/articles",
        params={"q": "SIGTERM"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert [a["slug"] for a in created["items"]] == ["sigterm"]  # saved exactly once
