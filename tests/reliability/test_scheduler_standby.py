"""Two schedulers, one lease: only the holder sends, and when it is SIGKILLed the standby
takes over within one lease period. Real processes on a real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.scheduler import LEASE_KEY
from shared.contracts import PUBLISH_SCHEDULED_TASK
from tests.e2e.stack import wait_for
from tests.resources import RedisServer

LEASE = 2.0


@pytest.fixture
def broker() -> Iterator[RedisServer]:
    server = RedisServer.launch()
    yield server
    server.close()


def start_scheduler(broker: RedisServer, root: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HEALTHHUB_REDIS_URL": broker.url,
        "HEALTHHUB_VAR_DIR": str(root),
        "HEALTHHUB_ENVIRONMENT": "test",
        "HEALTHHUB_SCHEDULER_LEASE_SECONDS": str(LEASE),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "scheduler"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def publish_ticks(client: redis.Redis) -> int:
    """How many publish-scheduled tasks (one per second from the active scheduler) wait."""
    raw_messages = client.lrange("articles", 0, -1)
    return sum(PUBLISH_SCHEDULED_TASK in str(raw) for raw in raw_messages)


def holder_pid(client: redis.Redis) -> int | None:
    token = client.get(LEASE_KEY)
    return int(str(token, "utf-8").split(":")[1]) if isinstance(token, bytes) else None


def test_the_standby_takes_over_within_a_lease_when_the_active_scheduler_is_killed(
    broker: RedisServer, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(f"{broker.url}/0")
    procs = [start_scheduler(broker, tmp_path / "a"), start_scheduler(broker, tmp_path / "b")]
    try:
        active = wait_for("a lease holder", lambda: holder_pid(client), timeout=30)
        assert active in {p.pid for p in procs}
        # Only one of the two sends: about one publish tick a second, not two.
        time.sleep(1.0)
        before = publish_ticks(client)
        time.sleep(4.0)
        sent = publish_ticks(client) - before
        assert 3 <= sent <= 5, sent

        os.kill(active, signal.SIGKILL)
        killed_at = time.monotonic()
        standby = next(p.pid for p in procs if p.pid != active)
        wait_for("the standby to hold the lease", lambda: holder_pid(client) == standby, 10)
        ticks = publish_ticks(client)
        wait_for("ticks from the standby", lambda: publish_ticks(client) > ticks, 10)
        takeover = time.monotonic() - killed_at
        print(f"scheduler takeover after SIGKILL: {takeover:.1f} s (lease {LEASE} s)")
        assert takeover < LEASE + 2
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            p.wait(15)
