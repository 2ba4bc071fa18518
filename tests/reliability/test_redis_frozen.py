"""Redis SIGSTOPped for 8 s (connections accepted, nothing answered) while editors publish
and readers send beacons. No request waits on the frozen Redis: a publish commits its outbox
row and answers (the send leaves the request path); a beacon is answered 503 with
Retry-After, at once once the views API's breaker is open. After SIGCONT everything
converges: every page appears, and every view is counted exactly once."""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time
from functools import partial

import httpx

from tests.e2e.stack import Stack, wait_for
from tests.reliability.drills import BeaconLoad, ms, record, resend, steady_total, wait_for_total

ARTICLE = 1  # the sample osteoporosis article
FROZEN = 8.0
# The broker's socket timeout is 5 s and the views API's Redis timeout 1 s: a publish that
# waited on the frozen Redis took 5 s before the send left the request path. Asserted: no
# publish waited (each answered in < 1 s). The target, every publish < 200 ms, is a
# speed: measured and recorded (docs/reliability.md shows the slowest against it), not
# asserted, since a busy CI machine once took 215 ms for one (the others 65 ms).
PUBLISH_BOUND = 1.0
PUBLISH_TARGET = 0.2
BEACON_BOUND = 1.0 + 1.0  # the views API's Redis timeout, and room for a busy machine


def served(url: str) -> bool:
    return httpx.get(url, timeout=5).status_code == 200


def test_a_frozen_redis_holds_up_no_publish_and_no_beacon_and_everything_converges(
    drill_stack: Stack,
) -> None:
    stack = drill_stack
    headers = {"Authorization": f"Bearer {stack.token()}"}
    ids = []
    for i in range(16):
        r = httpx.post(
            f"{stack.articles}/api/v1/articles",
            json={"title": f"Frozen {i}", "slug": f"frozen-{i}", "category": "health",
                  "body": "## Part\n\nText."},
            headers=headers, timeout=10,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    beacon = f"{stack.views}/api/v1/views/{ARTICLE}"
    wait_for("the article to be live", lambda: httpx.get(beacon, timeout=5).status_code == 200)
    before = steady_total(beacon)
    publishes: list[tuple[int, float]] = []

    def publish_all() -> None:
        with httpx.Client(timeout=30) as client:
            for article_id in ids:
                started = time.monotonic()
                r = client.post(
                    f"{stack.articles}/api/v1/articles/{article_id}/publish", headers=headers
                )
                publishes.append((r.status_code, time.monotonic() - started))
                time.sleep(max(0.0, FROZEN / len(ids) - (time.monotonic() - started)))

    load = BeaconLoad(beacon).start()
    assert stack.redis.proc is not None
    try:
        time.sleep(1)
        os.kill(stack.redis.proc.pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        publisher = threading.Thread(target=publish_all)
        publisher.start()
        publisher.join(FROZEN + 30)
        time.sleep(max(0.0, FROZEN - (time.monotonic() - frozen_at)))
        os.kill(stack.redis.proc.pid, signal.SIGCONT)
        thawed_at = time.monotonic()
        time.sleep(2)
    finally:
        os.kill(stack.redis.proc.pid, signal.SIGCONT)
        load.stop()

    # Publishes: every one answered 200, none waited on Redis.
    assert [status for status, _ in publishes] == [200] * len(ids), publishes
    slowest_publish = max(elapsed for _, elapsed in publishes)
    median_publish = statistics.median(elapsed for _, elapsed in publishes)
    assert slowest_publish < PUBLISH_BOUND, publishes
    # Beacons sent while Redis was frozen: 503 problem+json with Retry-After, never a 500,
    # answered within the views API's own timeout (not the 8 s freeze).
    # Every beacon sent during the freeze counts, however late its answer came.
    during = [a for a in load.answers if frozen_at <= a.sent < thawed_at]
    refused = [a for a in during if a.status == 503]
    assert len(refused) > 20, "no beacons met the frozen Redis"
    assert {a.status for a in during} <= {202, 503}, {a.status for a in during}
    assert all(a.problem and a.retry_after == "2" for a in refused)
    # Every beacon that overlapped the freeze (sent before it and still waiting, too) was
    # answered within the bound of its wait on the frozen Redis, whatever the answer said: a
    # beacon sent during the freeze from when it was sent, one sent before from the freeze.
    overlapping = [a for a in load.answers if a.sent < thawed_at and a.sent + a.elapsed > frozen_at]
    waits = [(a.sent + a.elapsed - max(a.sent, frozen_at), a) for a in overlapping]
    slowest_answer = max(wait for wait, _ in waits)
    assert slowest_answer < BEACON_BOUND, sorted(waits, key=lambda w: -w[0])[:5]
    slowest_refusal = max(a.elapsed for a in refused)
    median_refusal = statistics.median(a.elapsed for a in refused)
    assert median_refusal < 0.1, median_refusal  # the breaker answers without Redis

    # Convergence: every published page appears, every view is counted exactly once.
    for i in range(len(ids)):
        page = f"{stack.pages}/health/frozen-{i}"
        wait_for(page, partial(served, page), timeout=60)
    unacknowledged = load.unacknowledged()
    assert {a.status for a in unacknowledged} <= {503}, {a.status for a in unacknowledged}
    retried = resend(beacon, unacknowledged)
    assert not retried.other, retried.tally()
    counted = load.counted()
    expected = before + len(counted) + len(unacknowledged)
    total = wait_for_total(beacon, expected)
    assert total == expected, (total, expected, retried.tally())
    record(
        "redis-sigstop",
        scenario=f"Redis SIGSTOPped for {FROZEN:.0f} s during publishes and beacons",
        does=(
            f"freezes Redis (broker and view buffers) for {FROZEN:.0f} s while an editor "
            f"publishes {len(ids)} articles and two clients send beacons, then SIGCONT "
            "(`tests/reliability/test_redis_frozen.py`)"
        ),
        checks=(
            f"every publish 200 in < {ms(PUBLISH_BOUND)} (no wait on Redis); every beacon sent "
            "during the freeze "
            "202 or 503 problem+json with Retry-After; every beacon overlapping the freeze "
            f"answered < {ms(BEACON_BOUND)} after it was sent or the freeze began, whichever is "
            "later; refusals median < 100 ms; "
            "after SIGCONT every page appears and the view total is exact"
        ),
        figure=(
            f"publishes: median {ms(median_publish)}, slowest {ms(slowest_publish)} (target "
            f"< {ms(PUBLISH_TARGET)}); "
            f"refused beacons: median "
            f"{ms(median_refusal)}, slowest {ms(slowest_refusal)} ({len(refused)} refused); "
            f"longest beacon wait on the frozen Redis {ms(slowest_answer)}"
        ),
        publishes=len(ids),
        median_publish_ms=round(median_publish * 1000),
        slowest_publish_ms=round(slowest_publish * 1000),
        refused=len(refused),
        median_refusal_ms=round(median_refusal * 1000),
        slowest_refusal_ms=round(slowest_refusal * 1000),
        longest_frozen_wait_ms=round(slowest_answer * 1000),
        refused_but_counted=len(retried.duplicate),
        total=total,
        expected=expected,
    )
