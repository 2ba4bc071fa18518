"""The listings lock: listing pages are written by one renderer at a time (two could write an
older read of a listing last), held for as long as the run that took it lasts.

The lock's key expires ``LOCK_SECONDS`` after its last renewal, so a renderer killed mid-run
frees it within a minute; while the run goes on, a thread renews it every third of that. A
run's length is not bounded by the key's lifetime (a withdrawal at the head of a 100,000-
article listing shifts thousands of archive pages), but it is by ``MAX_HOLD_SECONDS``: a run
that long is stuck, and the lock is left to expire.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

LOCK_KEY = "hh:render:indexes-lock"
LOCK_SECONDS = 60.0
MAX_HOLD_SECONDS = 3600.0
# How long a full re-render's listing batch waits for a listings run to finish.
WAIT_SECONDS = 300.0


@contextlib.contextmanager
def listings_lock(
    client: redis.Redis,
    *,
    wait: float | None = None,
    ttl: float = LOCK_SECONDS,
    max_hold: float = MAX_HOLD_SECONDS,
) -> Iterator[bool]:
    """Yield True holding the lock (renewed while the block runs), or False if another
    renderer holds it: at once with ``wait=None``, else after ``wait`` seconds."""
    # thread_local=False: the renewing thread must see the token this thread acquired with.
    lock = client.lock(LOCK_KEY, timeout=ttl, thread_local=False)
    if not lock.acquire(blocking=wait is not None, blocking_timeout=wait):
        yield False
        return
    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(lock, stop, ttl, max_hold), name="listings-lock", daemon=True
    )
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join(timeout=5)
        with contextlib.suppress(LockError, RedisError):
            lock.release()


def _renew(lock: Lock, stop: threading.Event, ttl: float, max_hold: float) -> None:
    started = time.monotonic()
    while not stop.wait(ttl / 3):
        if time.monotonic() - started > max_hold:
            return  # stuck: let the key expire
        try:
            lock.reacquire()
        except (LockError, RedisError):
            return  # expired and maybe taken (Redis was away): nothing left to keep
