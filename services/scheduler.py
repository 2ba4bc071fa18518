"""The scheduler (celery beat) with a standby: only the holder of a Redis lease sends.

Run two (or more) scheduler processes. Each beat loop first takes or renews a lease, a Redis
key holding the process's token with a time to live (``SET NX PX``; renewed by a script that
checks the token first). Only the holder sends its periodic tasks; the others tick idly and
take the lease when it lapses, so a SIGKILLed scheduler is replaced within one lease period
(``HEALTHHUB_SCHEDULER_LEASE_SECONDS``). The lease is renewed three times per period.

Why this is safe: every periodic task is idempotent (the relay re-sends unsent outbox rows,
flushes apply a batch once, scheduled publishing re-checks the database), so the worst case,
a stalled holder that sends one more tick after its lease lapsed, duplicates a tick, never
loses one. The schedule is kept in memory: every entry is a short interval, and the state
that matters (outbox, scheduled articles, view buffers) lives in the databases and Redis.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from functools import lru_cache
from typing import Any

import redis
from celery import Celery
from celery.beat import Scheduler
from pydantic import Field

from shared.celery import beat_schedule, make_celery, take_over_celery_logging
from shared.settings import BaseServiceSettings

log = logging.getLogger("healthhub.scheduler")

LEASE_KEY = "healthhub:scheduler:leader"
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class SchedulerSettings(BaseServiceSettings):
    relay_interval_seconds: float = Field(default=2.0, gt=0)
    flush_interval_seconds: float = Field(default=5.0, gt=0)
    scheduler_lease_seconds: float = Field(default=6.0, ge=1, le=300)


@lru_cache
def get_settings() -> SchedulerSettings:
    return SchedulerSettings()


class Lease:
    def __init__(self, client: redis.Redis, ttl_seconds: float, token: str | None = None) -> None:
        self.client = client
        self.ttl_ms = int(ttl_seconds * 1000)
        self.token = token or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def hold(self) -> bool:
        """Take or renew the lease; False when another process holds it or Redis is away."""
        try:
            return bool(self.client.eval(_RENEW, 1, LEASE_KEY, self.token, self.ttl_ms))
        except redis.RedisError as exc:
            log.warning("scheduler: cannot reach Redis for the lease: %s", exc)
            return False

    def release(self) -> None:
        with contextlib.suppress(redis.RedisError):  # else it lapses on its own
            self.client.eval(_RELEASE, 1, LEASE_KEY, self.token)


class LeasedScheduler(Scheduler):  # type: ignore[misc]
    """A beat scheduler that sends only while it holds the lease."""

    def __init__(self, app: Celery, *args: Any, **kwargs: Any) -> None:
        ttl = float(app.conf.healthhub_lease_seconds)
        self.lease = Lease(
            redis.Redis.from_url(app.conf.broker_url, socket_timeout=2, socket_connect_timeout=1),
            ttl,
        )
        self.renew_every = ttl / 3
        self.leading = False
        super().__init__(app, *args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        holds = self.lease.hold()
        if holds != self.leading:
            log.warning(
                "scheduler %s: %s", self.lease.token, "active" if holds else "standby (lease lost)"
            )
            self.leading = holds
        if not holds:
            return self.renew_every
        return float(min(super().tick(*args, **kwargs), self.renew_every))

    def close(self) -> None:
        if self.leading:
            self.lease.release()
        super().close()


def create_celery(settings: SchedulerSettings | None = None) -> Celery:
    settings = settings or get_settings()
    schedule = beat_schedule(settings.relay_interval_seconds, settings.flush_interval_seconds)
    app = make_celery("healthhub-scheduler", settings, schedule=schedule)
    app.conf.healthhub_lease_seconds = settings.scheduler_lease_seconds
    return app


def run() -> None:
    """celery beat, logging in the format and at the level of the settings. Beat's line per
    task sent (several a second) is kept for DEBUG."""
    settings = get_settings()
    take_over_celery_logging(settings.log_level, as_json=settings.log_json, service="scheduler")
    if settings.log_level.upper() != "DEBUG":
        logging.getLogger("celery.beat").setLevel(logging.WARNING)
    create_celery(settings).start(
        [
            *(["--quiet"] if settings.log_json else []),
            "beat",
            "--scheduler",
            "services.scheduler:LeasedScheduler",
            "--loglevel",
            settings.log_level.upper(),
        ]
    )
