"""The tests never destroy data they did not write: their own Redis by default, and no
flush of a database holding someone else's keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

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
