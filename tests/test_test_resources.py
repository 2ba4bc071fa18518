"""The tests never destroy data they did not write: their own Redis by default, and no
flush of a database holding someone else's keys."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
import redis

from tests import resources
from tests.resources import OWNED_KEY, ForeignData, RedisServer, flush_owned


@pytest.fixture
def someone_elses_redis() -> Iterator[RedisServer]:
    server = RedisServer.launch()
    yield server
    server.close()


def test_a_database_with_foreign_keys_is_never_flushed(someone_elses_redis: RedisServer) -> None:
    theirs = redis.Redis.from_url(f"{someone_elses_redis.url}/7")
    theirs.set("session:alice", "precious")
    with pytest.raises(ForeignData, match="refusing to flush"):
        flush_owned(theirs)
    assert theirs.get("session:alice") == b"precious"


def test_an_empty_database_is_claimed_and_then_emptied_freely(
    someone_elses_redis: RedisServer,
) -> None:
    client = redis.Redis.from_url(f"{someone_elses_redis.url}/8")
    flush_owned(client)
    client.set("written-by-a-test", "1")
    flush_owned(client)
    assert client.keys("*") == [OWNED_KEY.encode()]


def test_without_a_named_redis_the_tests_use_their_own(redis_url: str) -> None:
    import tests.resources as resources

    if resources.TEST_REDIS_URL:
        pytest.skip("HEALTHHUB_TEST_REDIS_URL is set for this run")
    assert redis_url != "redis://127.0.0.1:6379"


def test_a_test_redis_keeps_its_data_across_a_crash_and_close_removes_it() -> None:
    server = RedisServer.launch()
    try:
        redis.Redis.from_url(server.url).set("kept", "1")
        server.kill()
        server.start()  # the crash drill's restart: the append-only file is loaded again
        assert redis.Redis.from_url(server.url).get("kept") == b"1"
    finally:
        server.close()
    assert server.proc is None
    assert not server.data_dir.exists()


def test_free_ports_come_from_this_workers_own_block_and_skip_held_ones() -> None:
    """Two xdist workers never hand out the same port (each has a block of its own below
    the kernel's ephemeral range), one process never hands out a port twice (none of these
    is bound: the bind check alone would give the same one again), and a port something
    listens on is skipped."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    start = resources.FIRST_BLOCK_PORT + (int(worker) % 8) * resources.PORTS_PER_WORKER
    block = resources.port_block()
    if block is None:
        pytest.skip(
            f"this machine's ephemeral ports start at {resources._ephemeral_low()}, inside the "
            "test port blocks: free_port lets the kernel pick"
        )
    assert block == range(start, start + resources.PORTS_PER_WORKER)
    first = resources.free_port()
    assert first in block
    upcoming = next(resources.port_candidates(block))
    held = socket.socket()
    try:
        held.bind(("127.0.0.1", upcoming))
        held.listen()
        taken = [resources.free_port() for _ in range(5)]
    finally:
        held.close()
    assert upcoming not in taken
    assert len({first, *taken}) == 6
    assert all(port in block for port in taken)
