"""The listings lock against a real Redis: held as long as its run lasts, freed on exit, left
to expire by a renderer that died or is stuck. Lifetimes are seconds long and renewals
frequent, so a renewal delayed on a loaded machine still lands in time."""

from __future__ import annotations

import threading
import time

import redis

from services.render.listings_lock import LOCK_KEY, listings_lock
from tests.conftest import RedisDbs


def test_a_run_longer_than_the_keys_lifetime_keeps_the_lock(redis_dbs: RedisDbs) -> None:
    client = redis_dbs.client(redis_dbs.render_db)
    with listings_lock(client, ttl=2.0, renew_every=0.2) as held:
        assert held
        for _ in range(8):  # 4 s: twice the key's lifetime
            time.sleep(0.5)
            with listings_lock(client, ttl=2.0) as other:
                assert not other
            assert client.pttl(LOCK_KEY) > 0
    assert not client.exists(LOCK_KEY)  # released at once, not left to expire
    with listings_lock(client, ttl=2.0) as again:
        assert again


def test_a_stuck_run_lets_the_lock_expire_and_does_not_free_the_next_ones(
    redis_dbs: RedisDbs,
) -> None:
    client = redis_dbs.client(redis_dbs.render_db)
    with listings_lock(client, ttl=1.0, renew_every=0.2, max_hold=0.5) as held:
        assert held
        time.sleep(3.0)  # renewed for half a second, then left to its one-second lifetime
        successor = client.lock(LOCK_KEY, timeout=30, thread_local=False)
        assert successor.acquire(blocking=False)  # another renderer takes over
    # The stuck run's release at its end leaves the successor's lock alone.
    assert client.get(LOCK_KEY) == successor.local.token
    successor.release()


def test_a_waiting_renderer_gets_the_lock_when_the_run_ends(redis_dbs: RedisDbs) -> None:
    client = redis_dbs.client(redis_dbs.render_db)
    got: list[bool] = []
    ended = threading.Event()

    def wait_for_it() -> None:
        waiter = redis.Redis.from_url(f"{redis_dbs.url}/{redis_dbs.render_db}")
        with listings_lock(waiter, wait=20, ttl=2.0) as held:
            got.append(held and ended.is_set())

    with listings_lock(client, ttl=1.0, renew_every=0.1) as held:
        assert held
        thread = threading.Thread(target=wait_for_it)
        thread.start()
        time.sleep(2.5)
        assert got == []  # still waiting past the key's lifetime: the run renews it
        ended.set()
    thread.join(timeout=20)
    assert got == [True]


def test_a_renderer_that_waits_no_longer_than_allowed_is_told_so(redis_dbs: RedisDbs) -> None:
    client = redis_dbs.client(redis_dbs.render_db)
    with listings_lock(client, ttl=3.0) as held:
        assert held
        started = time.monotonic()
        with listings_lock(client, wait=0.8, ttl=3.0) as other:
            assert not other
        assert time.monotonic() - started >= 0.7
