"""The views API, the views worker (the flusher) and the scheduler SIGKILLed under beacon
load, one after another and then together; the supervisor (like compose's restart policy)
starts each again. Totals stay exact: every acknowledged view counted once, and every view
whose answer was lost counted once when its reader comes back."""

from __future__ import annotations

import os
import signal
import time
from functools import partial

import httpx

from services.supervisor import Running
from tests.e2e.stack import Stack, wait_for
from tests.reliability.drills import (
    BeaconLoad,
    children_of,
    record,
    resend,
    steady_total,
    wait_for_total,
)

ARTICLE = 1  # the sample osteoporosis article


def process(stack: Stack, name: str) -> Running:
    return next(r for r in stack.supervisor.running if r.spec.name == name)


def alive(running: Running) -> bool:
    return running.proc.poll() is None


def sigkill(stack: Stack, name: str) -> int:
    """SIGKILL a supervised process and its children (a Celery worker's pool); its pid."""
    running = process(stack, name)
    wait_for(f"{name} to be running", partial(alive, running), timeout=40)
    pid = running.proc.pid
    for child in children_of(pid):
        os.kill(child, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    return pid


def test_killing_the_views_api_worker_and_scheduler_under_load_keeps_totals_exact(
    drill_stack: Stack,
) -> None:
    stack = drill_stack
    beacon = f"{stack.views}/api/v1/views/{ARTICLE}"
    wait_for("the article to be live", lambda: httpx.get(beacon, timeout=5).status_code == 200)
    before = steady_total(beacon)
    killed: dict[str, list[int]] = {"views-api": [], "views-worker": [], "scheduler": []}
    load = BeaconLoad(beacon).start()
    try:
        for names in (["views-api"], ["views-worker"], ["scheduler"],
                      ["views-api", "views-worker", "scheduler"]):  # fmt: skip
            time.sleep(1.2)
            for name in names:
                killed[name].append(sigkill(stack, name))
        # Load goes on until the views API answers again, and a little longer.
        wait_for(
            "the views API to be back",
            lambda: httpx.get(f"{stack.views}/healthz", timeout=2).status_code == 200,
            timeout=40,
        )
        time.sleep(1)
    finally:
        load.stop()
    for name, pids in killed.items():  # each one was started again, as a new process
        running = process(stack, name)
        wait_for(f"{name} restarted", partial(alive, running), timeout=40)
        assert running.proc.pid not in pids, name

    counted, lost_answers = load.counted(), load.unacknowledged()
    assert len(counted) > 100, "too little load to mean anything"
    assert lost_answers, "no beacon met a killed views API"
    assert {a.status for a in lost_answers} <= {0, 503}, {a.status for a in lost_answers}
    retried = resend(beacon, lost_answers)
    assert not retried.other, retried.tally()
    expected = before + len(counted) + len(lost_answers)
    total = wait_for_total(beacon, expected)
    assert total == expected, (total, expected, retried.tally())
    kills = sum(len(p) for p in killed.values())
    record(
        "views-processes-sigkill",
        scenario="views API, views worker (flusher) and scheduler SIGKILLed under beacon load",
        does=(
            "two clients send beacons, each from a new reader, while the views API, the views "
            "worker (with its pool) and the scheduler are SIGKILLed one after another, then all "
            "three at once; the supervisor restarts them "
            "(`tests/reliability/test_views_process_kills.py`)"
        ),
        checks=(
            "never a 500; each process comes back as a new one; every beacon whose answer was "
            "lost is resent; the total equals the views before + acknowledged + resent, exactly"
        ),
        figure=(
            f"{kills} kills; {len(counted)} acknowledged, {len(lost_answers)} unanswered "
            f"({len(retried.duplicate)} of those had been counted); total exact"
        ),
        kills=kills,
        acknowledged=len(counted),
        unanswered=len(lost_answers),
        unanswered_but_counted=len(retried.duplicate),
        total=total,
        expected=expected,
    )
