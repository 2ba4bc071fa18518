"""The listings lock: listing pages are written by one renderer at a time (two could write an
older read of a listing last), held for as long as the run that took it lasts.

The lock's key expires ``LOCK_SECONDS`` after its last renewal, so a renderer killed mid-run
frees it within a minute; while the run goes on, a thread renews it every third of that. A
run's length is not bounded by the key's lifetime (a withdrawal at the head of a 100,000-
article listing shifts thousands of archive pages), but it is by ``MAX_HOLD_SECONDS``: a run
that long is taken for stuck and the lock is left to expire (logged as an error: if the run
was only slow, another one may then overlap it). A Redis outage shorter than the key's
lifetime does not cost the lock; a longer one is logged the same way.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator

import redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.lock import Lock

LOCK_KEY = "hh:render:indexes-lock"
LOCK_SECONDS = 60.0
MAX_HOLD_SECONDS = 3600.0

log = logging.getLogger("healthhub.render.listings_lock")
# How long a full re-render's listing batch waits for a listings run to finish.
WAIT_SECONDS = 300.0


@contextlib.contextmanager
def listings_lock(
    client: redis.Redis,
    *,
    wait: float | None = None,
    ttl: float = LOCK_SECONDS,
    renew_every: float | None = None,
    max_hold: float = MAX_HOLD_SECONDS,
) -> Iterator[bool]:
    """Yield True holding the lock (renewed every ``renew_every`` seconds, a third of its
    lifetime by default, while the block runs), or False if another renderer holds it: at
    once with ``wait=None``, else after ``wait`` seconds."""
    # thread_local=False: the renewing thread must see the token this thread acquired with.
    lock = client.lock(LOCK_KEY, timeout=ttl, thread_local=False)
    if not lock.acquire(blocking=wait is not None, blocking_timeout=wait):
        yield False
        return
    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew,
        args=(lock, stop, ttl, renew_every or ttl / 3, max_hold),
        name="listings-lock",
        daemon=True,
    )
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join(timeout=5)
        with contextlib.suppress(LockError, RedisError):
            lock.release()


def _renew(lock: Lock, stop: threading.Event, ttl: float, every: float, max_hold: float) -> None:
    started = last_renewed = time.monotonic()
    while not stop.wait(every):
        now = time.monotonic()
        if now - started > max_hold:
            log.error(
                "listings run still holding the lock after %.0f s: taken for stuck, the lock is "
                "left to expire and another listings run may start beside it", max_hold
            )  # fmt: skip
            return
        try:
            lock.reacquire()
            last_renewed = now
        except LockNotOwnedError:
            log.error("listings lock lost (expired while Redis was away): a run may overlap")
            return
        except RedisError as exc:
            # Redis away for a moment: the key lives on until its lifetime since the last
            # renewal is over, so keep trying until then.
            if now - last_renewed >= ttl:
                log.error("listings lock not renewed for %.0f s (%s): it has expired", ttl, exc)
                return
