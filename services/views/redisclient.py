"""The views API's asyncio Redis client: redis-py, with commands packed by hiredis.

redis-py's synchronous connections pack commands with hiredis when it is installed; its
asyncio connections always use the pure-Python packer, which builds each command by
repeated bytes joins. A beacon is one EVALSHA of some thirty arguments, so in a profile of
the views API under load that packer was the largest single cost of the beacon path. The
connections here pack with redis-py's own hiredis serializer (the one its synchronous client
uses), and are otherwise redis-py's connections, unchanged (TCP, TLS or Unix socket, as the
URL says).

redis-py imports hiredis only when it is a version it supports (``redis.utils.
HIREDIS_AVAILABLE``; 3.2 or newer at the time of writing); otherwise its hiredis serializer
would fail on the first command (the module it calls was never imported). So hiredis packing
is used only when redis-py says hiredis is available, and the connections are redis-py's own,
packing in Python, when it is not.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.connection import HiredisRespSerializer
from redis.utils import HIREDIS_AVAILABLE


class _HiredisPacking:
    _packer = HiredisRespSerializer()

    def pack_command(self, *args: Any) -> list[bytes]:
        packed: list[bytes] = self._packer.pack(*args)
        return packed


def client(url: str, *, hiredis: bool | None = None, **kwargs: Any) -> aioredis.Redis:
    """Like ``redis.asyncio.Redis.from_url(url, **kwargs)``, with hiredis packing when
    ``hiredis`` (by default: when redis-py has imported hiredis)."""
    pool = aioredis.ConnectionPool.from_url(url, **kwargs)
    if HIREDIS_AVAILABLE if hiredis is None else hiredis:
        base = pool.connection_class
        pool.connection_class = type(f"Hiredis{base.__name__}", (_HiredisPacking, base), {})
    return aioredis.Redis.from_pool(pool)
