"""Redis restarted under beacon load: the views API answers 503 with Retry-After while Redis
is away, recovers by itself, and every accepted view is counted exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx

from tests.e2e.stack import Stack, wait_for

ARTICLE = 1  # the sample osteoporosis article (imported total: 4617)
IMPORTED = 4617


def test_redis_restart_during_beacon_load_loses_no_accepted_view(stack: Stack) -> None:
    stack.cli("seed")
    beacon = f"{stack.views}/api/v1/views/{ARTICLE}"
    wait_for(
        "the article to be live for views", lambda: httpx.get(beacon, timeout=5).status_code == 200
    )
    statuses: Counter[int] = Counter()
    retry_after: set[str | None] = set()
    stop = threading.Event()

    def load() -> None:
        n = 0
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                n += 1
                reader = f"198.18.{n // 250 % 250}.{n % 250}"
                try:
                    r = client.post(
                        beacon,
                        headers={
                            "User-Agent": "Mozilla/5.0 Firefox/130.0",
                            "X-Forwarded-For": reader,
                        },
                    )
                except httpx.HTTPError:
                    statuses[0] += 1
                    continue
                statuses[r.status_code] += 1
                if r.status_code == 202 and r.json()["status"] == "counted":
                    statuses[1] += 1  # accepted and counted by the API's own account
                if r.status_code == 503:
                    retry_after.add(r.headers.get("retry-after"))
                    assert r.headers["content-type"].startswith("application/problem+json")

    thread = threading.Thread(target=load)
    thread.start()
    try:
        time.sleep(2)
        stack.redis.stop()  # SIGTERM: Redis writes its append-only file and exits
        time.sleep(2)
        stack.redis.start()
        time.sleep(3)
    finally:
        stop.set()
        thread.join(30)
    assert statuses[503] > 0, statuses  # Redis was away, and the API said so
    assert retry_after == {"2"}
    assert statuses[500] == 0
    accepted = statuses[1]
    assert accepted > 0
    # Every accepted view lands in the total, once: the buffer survived in the AOF. At the
    # instant Redis shuts down, one beacon in flight may have been counted by Redis while
    # its reply was lost (the reader was answered 503; a retry by that reader would be
    # deduplicated). One load thread: at most one such beacon.
    wait_for(
        "the flush",
        lambda: httpx.get(beacon, timeout=5).json()["total"] >= IMPORTED + accepted,
        timeout=30,
    )
    time.sleep(2)  # one more flush interval: nothing else may arrive
    total = httpx.get(beacon, timeout=5).json()["total"]
    assert IMPORTED + accepted <= total <= IMPORTED + accepted + 1, (statuses, total)
    # And the API answers normally again without a restart.
    fresh = httpx.post(
        beacon,
        headers={"User-Agent": "Mozilla/5.0 Firefox/130.0", "X-Forwarded-For": "192.0.2.200"},
        timeout=5,
    )
    assert fresh.status_code == 202
