"""Redis SIGKILLed (a crash: no shutdown, no last write) under beacon load, with the compose
persistence settings (append-only file, fsync every second).

What a crash can lose: Redis appends each write to the append-only file before it answers
the client, and a crashed process's writes are already in the kernel; so a SIGKILL loses
nothing acknowledged. (Only a stalled disk or a machine crash loses writes: those not yet
fsynced, at most about LOSS_WINDOW seconds; that is not what this drill does.) The drill
proves it: the load runs LOAD_BEFORE_KILL (several LOSS_WINDOWs) before the kill, so an
fsync-window loss would show; every acknowledged view is then resent: a lost one answers
"counted" again, a kept one "duplicate"; none may be lost.
"""

from __future__ import annotations

import time

import httpx

from tests.e2e.stack import Stack, wait_for
from tests.reliability.drills import BeaconLoad, record, resend, steady_total, wait_for_total

ARTICLE = 1  # the sample osteoporosis article
LOSS_WINDOW = 2.0  # Redis postpones an AOF write behind a slow fsync at most 2 s
LOAD_BEFORE_KILL = 3 * LOSS_WINDOW  # acknowledged views older than any fsync window, and newer


def test_redis_killed_under_beacon_load_loses_nothing_acknowledged(drill_stack: Stack) -> None:
    stack = drill_stack
    beacon = f"{stack.views}/api/v1/views/{ARTICLE}"
    wait_for("the article to be live", lambda: httpx.get(beacon, timeout=5).status_code == 200)
    before = steady_total(beacon)
    load = BeaconLoad(beacon).start()
    try:
        time.sleep(LOAD_BEFORE_KILL)
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
    assert min(a.sent for a in counted) <= killed_at - LOAD_BEFORE_KILL + 0.5, "load started late"
    kept = resend(beacon, counted)
    assert not kept.other, kept.tally()
    in_window = sum(killed_at - LOSS_WINDOW <= a.sent + a.elapsed <= killed_at for a in counted)
    # A plain process crash loses nothing acknowledged (docs/reliability.md).
    lost = [(a.reader, round(killed_at - (a.sent + a.elapsed), 3)) for a in kept.counted]
    assert not lost, f"{len(lost)} acknowledged views lost (reader, s before the kill): {lost}"
    # The refused ones too (a reader's next visit): counted now unless Redis had counted
    # them before their answer was lost.
    retried = resend(beacon, refused)
    assert not retried.other, retried.tally()
    # Every view now counted exactly once: the acknowledged (the lost ones again), the
    # resent refused ones; nothing twice (a batch the flusher applied is never re-applied).
    expected = before + len(counted) + len(refused)
    total = wait_for_total(beacon, expected)
    assert total == expected, (total, expected, kept.tally(), retried.tally())
    record(
        "redis-sigkill",
        scenario="Redis SIGKILLed under beacon load (appendonly yes, appendfsync everysec)",
        does=(
            "two clients send beacons, each from a new reader; Redis (broker and view buffers) "
            f"is SIGKILLed after {LOAD_BEFORE_KILL:.0f} s of load, restarted from its "
            "append-only file 1 s later; every acknowledged beacon is then resent "
            "(`tests/reliability/test_redis_crash.py`)"
        ),
        checks=(
            "answers are 202 or 503 problem+json with Retry-After (never 500); no acknowledged "
            "view lost (none counted again when resent); after resends the total is exact"
        ),
        figure=(
            f"0 of {len(counted)} acknowledged views lost "
            f"({in_window} acknowledged in the last {LOSS_WINDOW:.0f} s before the kill); "
            f"{len(refused)} beacons refused during the restart"
        ),
        acknowledged=len(counted),
        lost=len(lost),
        acknowledged_in_window=in_window,
        refused=len(refused),
        refused_but_counted=len(retried.duplicate),
        total=total,
        expected=expected,
    )
