"""The views API's Redis client packs commands with hiredis only when redis-py has imported
it, and then byte for byte as redis-py's own packer would (real Redis for the round trips)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date
from typing import Any

import pytest
import redis.asyncio as aioredis
import redis.connection
import redis.utils
from redis._parsers.encoders import Encoder
from redis.exceptions import DataError

from services.views import buffer, readers, redisclient, service
from services.views.settings import ViewsSettings
from tests.views.builders import T0, learn, snapshot


def beacon_command() -> list[Any]:
    """A beacon's EVALSHA exactly as the recorder sends it, with every kind of dimension
    (one of them not ASCII, as a utm value may be)."""
    settings = ViewsSettings()
    address = readers.address_group("2001:db8::1")
    view = buffer.view_args(
        article_id=2**31 - 1,
        reader=readers.reader_hash("salt", "secret", address, "Mozilla/5.0"),
        address=readers.address_hash("salt", "secret", address),
        dimensions=(
            ("referrer", "search", 0),
            ("device", "phone", 0),
            ("domain", "news.google.co.uk", settings.referrer_domains_per_day),
            ("utm_campaign", "santé été", settings.utm_values_per_day),
        ),
    )
    args = buffer.record_call(
        views=[view],
        day=date(2026, 3, 10),
        minute=29_549_520,
        limits=buffer.Limits(
            window_seconds=settings.dedupe_window_seconds,
            reader_per_minute=settings.rate_limit_per_minute,
            address_per_minute=settings.address_rate_limit_per_minute,
            readers_per_address=settings.readers_per_address,
        ),
    )
    sha = hashlib.sha1(buffer.RECORD_VIEWS_LUA.encode()).hexdigest()  # noqa: S324
    return ["EVALSHA", sha, 0, *args]


def packer(hiredis: bool) -> Any:
    pool = redisclient.client("redis://127.0.0.1:1/0", hiredis=hiredis).connection_pool
    return pool.connection_class(**pool.connection_kwargs)


def test_this_install_has_a_hiredis_that_redis_py_uses() -> None:
    """pyproject's floors: with an older hiredis redis-py would not import it, and the
    beacon would pack in Python (still correct, just slower)."""
    assert redis.utils.HIREDIS_AVAILABLE
    assert type(packer(hiredis=True)).__name__.startswith("Hiredis")


def test_hiredis_packs_a_beacon_byte_for_byte_like_redis_py() -> None:
    command = beacon_command()
    ours = b"".join(packer(hiredis=True).pack_command(*command))
    python_packer: Any = redis.connection.PythonRespSerializer(
        512,
        Encoder(  # type: ignore[no-untyped-call]
            "utf-8", "strict", False
        ).encode,
    )
    assert ours == b"".join(python_packer.pack(*command))
    sync: Any = redis.connection.Connection()  # type: ignore[no-untyped-call]
    assert ours == b"".join(sync.pack_command(*command))
    plain: Any = aioredis.Connection()
    assert ours == b"".join(plain.pack_command(*command))
    assert "santé été".encode() in ours


@pytest.mark.parametrize("bad", [True, None])
@pytest.mark.parametrize("hiredis", [True, False], ids=["hiredis", "python"])
def test_bool_and_none_arguments_are_refused_with_data_error(hiredis: bool, bad: Any) -> None:
    command = beacon_command()
    with pytest.raises(DataError):
        packer(hiredis).pack_command(*command[:-1], bad)


def test_without_a_usable_hiredis_the_client_packs_in_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redisclient, "HIREDIS_AVAILABLE", False)
    client = redisclient.client("redis://127.0.0.1:1/0")
    assert client.connection_pool.connection_class is aioredis.Connection
    monkeypatch.setattr(redisclient, "HIREDIS_AVAILABLE", True)
    client = redisclient.client("redis://127.0.0.1:1/0")
    assert client.connection_pool.connection_class is not aioredis.Connection


@pytest.mark.parametrize("hiredis", [True, False], ids=["hiredis", "python"])
def test_both_packings_count_a_beacon_in_real_redis(
    views_settings: ViewsSettings, hiredis: bool
) -> None:
    learn(views_settings, snapshot(1))

    async def twice() -> list[service.Outcome]:
        r = redisclient.client(views_settings.views_redis_url, hiredis=hiredis)
        limits = buffer.Limits(
            window_seconds=1800, reader_per_minute=10, address_per_minute=10, readers_per_address=8
        )
        recorder = service.ViewRecorder(r, limits=limits)
        try:
            dims: tuple[buffer.Dimension, ...] = (("utm_source", "été", 10),)
            return [
                await recorder.record(
                    article_id=1, reader="r", address="a", now=T0, dimensions=dims
                )
                for _ in range(2)
            ]
        finally:
            await r.aclose()

    outcomes = asyncio.run(twice())
    assert outcomes == [service.Outcome.COUNTED, service.Outcome.DUPLICATE]
