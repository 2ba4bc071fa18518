"""The views API in front of a Redis that misbehaves (a Redis of the test's own, so it can
be frozen and filled): a frozen Redis costs one timeout, then beacons are refused at once
until it answers again; a full one (maxmemory, noeviction) is a 503, never a 500."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio as aioredis
from fastapi.testclient import TestClient
from redis.exceptions import ResponseError

from services.views import buffer, service
from services.views.settings import ViewsSettings
from shared.breaker import Breaker
from tests.e2e.stack import wait_for
from tests.helpers import assert_problem
from tests.resources import RedisServer
from tests.views.builders import BROWSER, T0, learn, snapshot, views_client

TIMEOUT = 0.4


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer.launch()
    yield server
    if server.proc is not None:
        os.kill(server.proc.pid, signal.SIGCONT)
    server.close()


@pytest.fixture
def settings(views_settings: ViewsSettings, own_redis: RedisServer) -> ViewsSettings:
    moved = views_settings.model_copy(
        update={
            "views_redis": f"{own_redis.url}/1",
            "beacon_redis_timeout_seconds": TIMEOUT,
        }
    )
    learn(moved, snapshot(1))
    return moved


def beacon(client: TestClient, reader: str) -> tuple[int, float, dict[str, str]]:
    started = time.perf_counter()
    r = client.post("/api/v1/views/1", headers={"User-Agent": BROWSER, "X-Forwarded-For": reader})
    return r.status_code, time.perf_counter() - started, dict(r.headers)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_frozen_redis_costs_one_timeout_then_beacons_are_refused_at_once(
    settings: ViewsSettings, own_redis: RedisServer
) -> None:
    assert own_redis.proc is not None
    with views_client(settings) as client:
        assert beacon(client, "192.0.2.1")[0] == 202
        os.kill(own_redis.proc.pid, signal.SIGSTOP)
        try:
            first = beacon(client, "192.0.2.2")
            rest = [beacon(client, f"192.0.2.{i}") for i in range(3, 13)]
        finally:
            os.kill(own_redis.proc.pid, signal.SIGCONT)
        assert first[0] == 503
        assert first[1] >= TIMEOUT  # this one waited for the frozen Redis
        assert [status for status, _, _ in rest] == [503] * 10
        assert {h["retry-after"] for _, _, h in rest} == {"2"}
        # The others did not wait on Redis at all: each answered before a timeout could pass.
        assert max(elapsed for _, elapsed, _ in rest) < TIMEOUT, rest
        # Redis answers again: after the cool-down, a probe goes through and counting resumes.
        n = iter(range(20, 250))
        wait_for("a counted beacon", lambda: beacon(client, f"192.0.2.{next(n)}")[0] == 202, 10)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fast_path", [True, False])
def test_a_full_views_redis_is_a_503_with_retry_after_not_a_500(
    settings: ViewsSettings, own_redis: RedisServer, fast_path: bool
) -> None:
    admin = redis.Redis.from_url(own_redis.url)
    with views_client(settings, fast_path=fast_path) as client:
        assert beacon(client, "192.0.2.1")[0] == 202
        admin.config_set("maxmemory", 1)  # over the limit: noeviction refuses every write
        try:
            r = client.post(
                "/api/v1/views/1", headers={"User-Agent": BROWSER, "X-Forwarded-For": "192.0.2.2"}
            )
            assert_problem(r, 503)
            assert r.headers["retry-after"] == "2"
        finally:
            admin.config_set("maxmemory", 0)
        assert beacon(client, "192.0.2.3")[0] == 202
    admin.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_process_without_todays_salt_asks_a_frozen_redis_once_then_refuses_at_once(
    settings: ViewsSettings, own_redis: RedisServer
) -> None:
    """A fresh process (no salt cached): the salt lookup is behind the breaker too."""
    assert own_redis.proc is not None
    with views_client(settings) as client:
        os.kill(own_redis.proc.pid, signal.SIGSTOP)
        try:
            first = beacon(client, "192.0.2.2")
            second = beacon(client, "192.0.2.3")
        finally:
            os.kill(own_redis.proc.pid, signal.SIGCONT)
        assert first[0] == 503 and first[1] >= TIMEOUT  # the salt lookup waited
        assert second[0] == 503 and second[2]["retry-after"] == "2"
        assert second[1] < TIMEOUT, second  # refused by the open breaker, not by a timeout
        n = iter(range(20, 250))
        wait_for("a counted beacon", lambda: beacon(client, f"192.0.2.{next(n)}")[0] == 202, 10)


def test_a_probe_that_redis_answers_with_an_error_closes_the_breaker(
    own_redis: RedisServer,
) -> None:
    """The half-open probe ends however it ends: an error answer (here a reload of the script
    cache the Redis user may not run) proves Redis answers, so the breaker closes."""

    async def scenario() -> None:
        admin = aioredis.Redis.from_url(own_redis.url)
        await admin.acl_setuser(
            "noscript", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-script"]
        )
        host_port = own_redis.url.removeprefix("redis://")
        r = aioredis.Redis.from_url(f"redis://noscript:pw@{host_port}")
        breaker = Breaker(cooldown=0.0)
        limits = buffer.Limits(
            window_seconds=1800, reader_per_minute=10, address_per_minute=10, readers_per_address=8
        )
        recorder = service.ViewRecorder(r, limits=limits, breaker=breaker)
        try:
            breaker.failed()  # as after a timeout: the next beacon is the probe
            with pytest.raises(ResponseError):  # NOSCRIPT, then SCRIPT LOAD: NOPERM
                await recorder.record(article_id=1, reader="a", address="a", now=T0)
            assert not breaker.is_open
            assert breaker.allows()
        finally:
            await r.aclose()
            await admin.aclose()

    asyncio.run(scenario())
