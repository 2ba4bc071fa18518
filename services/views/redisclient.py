"""The views API's asyncio Redis client: redis-py, with commands packed by hiredis.

redis-py's synchronous connections pack commands with hiredis when it is installed; its
asyncio connections always use the pure-Python packer, which builds each command by
repeated bytes joins. A beacon is one EVALSHA of some thirty arguments, so in a profile of
the views API under load that packer was the largest single cost of the beacon path. The
connections here pack with redis-py's own hiredis serializer (the one its synchronous client
uses), and are otherwise redis-py's connections, unchanged (TCP, TLS or Unix socket, as the
URL says).
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.connection import HiredisRespSerializer


class _HiredisPacking:
    _packer = HiredisRespSerializer()

    def pack_command(self, *args: Any) -> list[bytes]:
        packed: list[bytes] = self._packer.pack(*args)
        return packed


def client(url: str, **kwargs: Any) -> aioredis.Redis:
    """Like ``redis.asyncio.Redis.from_url(url, **kwargs)``, with hiredis packing."""
    pool = aioredis.ConnectionPool.from_url(url, **kwargs)
    base = pool.connection_class
    pool.connection_class = type(f"Hiredis{base.__name__}", (_HiredisPacking, base), {})
    return aioredis.Redis.from_pool(pool)
