"""Redis SIGKILLed (a crash: no shutdown, no last write) under beacon load, with the compose
persistence settings (append-only file, fsync every second).

What a crash can lose: Redis appends each write to the append-only file before it answers
the client, and a crashed process's writes are already in the kernel; so a SIGKILL loses
nothing acknowledged, unless the disk stalled: while a background fsync lags, Redis holds
writes in its own buffer for up to LOSS_WINDOW seconds, answering meanwhile. (A power loss
loses what was not fsynced: up to the same window.) The drill proves the bound: every
acknowledged view is resent after the crash; a lost one answers "counted" again, a kept one
"duplicate"; the lost ones must all have been acknowledged within LOSS_WINDOW of the crash.
"""

from __future__ import annotations

import time

import httpx

from tests.e2e.stack import Stack, wait_for
from tests.reliability.drills import BeaconLoad, record, resend, steady_total, wait_for_total

ARTICLE = 1  # the sample osteoporosis article
LOSS_WINDOW = 2.0  # Redis postpones an AOF write behind a slow fsync at most 2 s


def test_redis_killed_under_beacon_load_loses_at_most_the_fsync_window(drill_stack: Stack) -> None:
    stack = drill_stack
    beacon = f"{stack.views}/api/v1/views/{ARTICLE}"
    wait_for("the article to be live", lambda: httpx.get(beacon, timeout=5).status_code == 200)
    before = steady_total(beacon)
    load = BeaconLoad(beacon).start()
    try:
        time.sleep(2)
        killed_at = time.monotonic()
        stack.redis.kill()
        time.sleep(1)
        stack.redis.start()  # same port and directory: it loads the append-only file
        time.sleep(2)
    finally:
        load.stop()
        if stack.redis.proc is None:  # the drill failed while Redis was down
            stack.redis.start()
    counted, refused = load.counted(), load.unacknowledged()
    assert len(counted) > 100, "too little load to mean anything"
    assert refused, "the crash was not seen by any beacon"
    assert {a.status for a in refused} <= {0, 503}  # no 500, ever
    assert all(a.problem and a.retry_after == "2" for a in refused if a.status == 503)

    # Resend every acknowledged view: "counted" again means the crash lost it.
    kept = resend(beacon, counted)
    assert kept["other"] == 0, kept
    lost = kept["counted"]
    in_window = sum(killed_at - LOSS_WINDOW <= a.sent + a.elapsed <= killed_at for a in counted)
    assert lost <= in_window, (lost, in_window)
    # The refused ones too (a reader's next visit): counted now unless Redis had counted
    # them before their answer was lost.
    retried = resend(beacon, refused)
    assert retried["other"] == 0, retried
    # Every view now counted exactly once: the acknowledged (the lost ones again), the
    # resent refused ones; nothing twice (a batch the flusher applied is never re-applied).
    expected = before + len(counted) + len(refused)
    total = wait_for_total(beacon, expected)
    assert total == expected, (total, expected, kept, retried)
    record(
        "redis-sigkill",
        scenario="Redis SIGKILLed under beacon load (appendonly yes, appendfsync everysec)",
        does=(
            "two clients send beacons, each from a new reader; Redis (broker and view buffers) "
            "is SIGKILLed, restarted from its append-only file 1 s later; every acknowledged "
            "beacon is then resent (`tests/reliability/test_redis_crash.py`)"
        ),
        checks=(
            "answers are 202 or 503 problem+json with Retry-After (never 500); acknowledged "
            f"views lost ≤ those acknowledged in the last {LOSS_WINDOW:.0f} s before the crash; "
            "after resends the total is exact"
        ),
        figure=(
            f"{lost} of {len(counted)} acknowledged views lost "
            f"({in_window} acknowledged in the {LOSS_WINDOW:.0f} s window); "
            f"{len(refused)} beacons refused during the restart"
        ),
        acknowledged=len(counted),
        lost=lost,
        acknowledged_in_window=in_window,
        refused=len(refused),
        refused_but_counted=retried["duplicate"],
        total=total,
        expected=expected,
    )
