"""A flusher in a process of its own, which the exactness tests SIGKILL at chosen points.

    python -m tests.views.flush_child DATABASE_URL REDIS_URL POINT

POINT is where it stops and waits to be killed, after printing ``AT <point>``:
  before-transaction  the buffer is renamed to a batch key; no database work has begun
  before-commit       every write of the batch is sent, the COMMIT is not
  after-commit        the batch is committed, its Redis key not yet deleted
  loop                no stop: flushes again and again until killed, at a random moment
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import event

from services.views import flusher
from shared.db import Database


def _stop_here(point: str) -> None:
    print(f"AT {point}", flush=True)
    time.sleep(300)  # the test kills us long before this ends


def main() -> None:
    url, redis_url, point = sys.argv[1:4]
    db = Database(url)
    r = redis.Redis.from_url(redis_url)

    def at(name: str) -> Any:
        return lambda *args, **kwargs: _stop_here(name)

    if point == "before-transaction":
        event.listen(db.engine, "begin", at(point))
    elif point == "before-commit":
        event.listen(db.engine, "commit", at(point))
    elif point == "after-commit":
        event.listen(db.sessions, "after_commit", at(point))
    elif point == "loop":
        print("AT loop", flush=True)
        while True:
            flusher.flush(r, db, now=datetime.now(UTC))
            time.sleep(0.005)
    else:
        raise SystemExit(f"unknown point {point!r}")
    flusher.flush(r, db, now=datetime.now(UTC))
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
