"""The Redis side of view counting: the live-article set, dedupe keys, the buffer, batches.

Counting a view is one round trip: a Lua script applies the rate limits (per reader and per
address), checks the article is live, de-duplicates the reader, applies the cap on readers
per address, and increments the buffer, atomically.

The buffer is ONE hash, so the flusher's RENAME snapshots counts and dimensions together:
- ``<article>:<day>`` counts views (exactly as before dimensions existed);
- ``<article>:<day>:<dimension>:<value>`` counts the same views by one dimension.
A dimension whose values are open-ended (referring domain, utm_*) keeps at most ``cap``
distinct values per article per day; the rest are counted under OTHER. The values admitted
so far live in one small hash per article-day (DIMS_PREFIX), forgotten two days later, so
neither the buffer nor that hash can grow past the caps whatever readers send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

LIVE_KEY = "hh:views:live"
BUFFER_KEY = "hh:views:buf"
BATCH_PREFIX = "hh:views:batch:"
SEEN_PREFIX = "hh:views:seen:"
SALT_PREFIX = "hh:views:salt:"
RATE_PREFIX = "hh:views:rate:"
ADDRESS_RATE_PREFIX = "hh:views:arate:"
ADDRESS_READERS_PREFIX = "hh:views:areaders:"
DIMS_PREFIX = "hh:views:dims:"
ACCEPTED_KEY = "hh:views:accepted"

OTHER = "(other)"
DIMS_TTL_SECONDS = 2 * 24 * 3600

COUNTED, UNKNOWN, DUPLICATE, RATE_LIMITED, CAPPED = 1, 0, 2, 3, 4

# KEYS: 1 live set, 2 seen key, 3 buffer, 4 reader rate key, 5 accepted counter,
#       6 address rate key, 7 address readers key, 8 admitted dimension values (article-day)
# ARGV: 1 article id, 2 dedupe window (s), 3 count field, 4 reader limit per minute,
#       5 address limit per minute, 6 readers per address per article per window,
#       7 TTL of key 8 (s), then triples: dimension, value, cap (0: a closed set, no cap)
RECORD_VIEW_LUA = (
    """
local n = redis.call('INCR', KEYS[4])
if n == 1 then redis.call('EXPIRE', KEYS[4], 60) end
if n > tonumber(ARGV[4]) then return 3 end
n = redis.call('INCR', KEYS[6])
if n == 1 then redis.call('EXPIRE', KEYS[6], 60) end
if n > tonumber(ARGV[5]) then return 3 end
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
local readers = tonumber(redis.call('GET', KEYS[7]) or '0')
if readers >= tonumber(ARGV[6]) then return 4 end
redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[2]))
if readers == 0 then
  redis.call('SET', KEYS[7], '1', 'EX', tonumber(ARGV[2]))
else
  redis.call('INCR', KEYS[7])
end
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
local prefix = ARGV[3] .. ':'
local capped = false
for i = 8, #ARGV, 3 do
  local dim, value, cap = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if cap > 0 then
    capped = true
    local member = dim .. ':' .. value
    if redis.call('HEXISTS', KEYS[8], member) == 0 then
      if tonumber(redis.call('HGET', KEYS[8], '#' .. dim) or '0') < cap then
        redis.call('HSET', KEYS[8], member, '1')
        redis.call('HINCRBY', KEYS[8], '#' .. dim, 1)
      else
        value = '"""
    + OTHER
    + """'
      end
    end
  end
  redis.call('HINCRBY', KEYS[3], prefix .. dim .. ':' .. value, 1)
end
if capped then redis.call('EXPIRE', KEYS[8], tonumber(ARGV[7])) end
redis.call('INCR', KEYS[5])
return 1
"""
)


@dataclass(frozen=True)
class Limits:
    window_seconds: int
    reader_per_minute: int
    address_per_minute: int
    readers_per_address: int


# (dimension, value, cap): cap 0 for dimensions whose values are a closed set.
Dimension = tuple[str, str, int]


def record_call(
    *,
    article_id: int,
    reader: str,
    address: str,
    day: date,
    minute: int,
    limits: Limits,
    dimensions: tuple[Dimension, ...] = (),
) -> tuple[list[str], list[str | int]]:
    """KEYS and ARGV of one RECORD_VIEW_LUA call."""
    keys = [
        LIVE_KEY,
        seen_key(reader, article_id),
        BUFFER_KEY,
        rate_key(reader, minute),
        ACCEPTED_KEY,
        f"{ADDRESS_RATE_PREFIX}{address}:{minute}",
        f"{ADDRESS_READERS_PREFIX}{address}:{article_id}",
        dims_key(article_id, day),
    ]
    args: list[str | int] = [
        article_id,
        limits.window_seconds,
        buffer_field(article_id, day),
        limits.reader_per_minute,
        limits.address_per_minute,
        limits.readers_per_address,
        DIMS_TTL_SECONDS,
    ]
    for dim, value, cap in dimensions:
        args += [dim, value, cap]
    return keys, args


def buffer_field(article_id: int, day: date) -> str:
    return f"{article_id}:{day.isoformat()}"


def parse_field(field: str) -> tuple[int, date, str | None, str | None]:
    """(article, day, dimension, value); dimension and value are None on a count field."""
    parts = field.split(":", 3)
    if len(parts) == 4:
        return int(parts[0]), date.fromisoformat(parts[1]), parts[2], parts[3]
    return int(parts[0]), date.fromisoformat(parts[1]), None, None


def batch_key(batch_id: str) -> str:
    return BATCH_PREFIX + batch_id


def seen_key(reader_hash: str, article_id: int) -> str:
    return f"{SEEN_PREFIX}{reader_hash}:{article_id}"


def rate_key(reader_hash: str, minute: int) -> str:
    return f"{RATE_PREFIX}{reader_hash}:{minute}"


def dims_key(article_id: int, day: date) -> str:
    return f"{DIMS_PREFIX}{article_id}:{day.isoformat()}"


def salt_key(day: date) -> str:
    return SALT_PREFIX + day.isoformat()
