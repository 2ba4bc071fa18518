"""The Redis side of view counting: the live-article set, dedupe keys, the buffer, batches.

Counting a view is one round trip: a Lua script applies the rate limit, checks the article
is live, de-duplicates the reader and increments the buffer, atomically.
"""

from __future__ import annotations

from datetime import date

LIVE_KEY = "hh:views:live"
BUFFER_KEY = "hh:views:buf"
BATCH_PREFIX = "hh:views:batch:"
SEEN_PREFIX = "hh:views:seen:"
SALT_PREFIX = "hh:views:salt:"
RATE_PREFIX = "hh:views:rate:"
ACCEPTED_KEY = "hh:views:accepted"

COUNTED, UNKNOWN, DUPLICATE, RATE_LIMITED = 1, 0, 2, 3

# KEYS: live set, seen key, buffer, rate key, accepted counter
# ARGV: article id, dedupe window (s), buffer field, rate limit per minute
RECORD_VIEW_LUA = """
local n = redis.call('INCR', KEYS[4])
if n == 1 then redis.call('EXPIRE', KEYS[4], 60) end
if n > tonumber(ARGV[4]) then return 3 end
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[2])) then return 2 end
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
redis.call('INCR', KEYS[5])
return 1
"""


def buffer_field(article_id: int, day: date) -> str:
    return f"{article_id}:{day.isoformat()}"


def parse_field(field: str) -> tuple[int, date]:
    article_id, _, day = field.partition(":")
    return int(article_id), date.fromisoformat(day)


def batch_key(batch_id: str) -> str:
    return BATCH_PREFIX + batch_id


def seen_key(reader_hash: str, article_id: int) -> str:
    return f"{SEEN_PREFIX}{reader_hash}:{article_id}"


def rate_key(reader_hash: str, minute: int) -> str:
    return f"{RATE_PREFIX}{reader_hash}:{minute}"


def salt_key(day: date) -> str:
    return SALT_PREFIX + day.isoformat()
