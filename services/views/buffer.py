"""The Redis side of view counting: the live-article set, dedupe keys, the buffer, batches.

Counting a batch of views is one round trip: a Lua script applies, to each view in turn, the
rate limits (per reader and per address), checks the article is live, de-duplicates the
reader, applies the cap on readers per address, and increments the buffer, atomically.

The buffer is ONE hash, so the flusher's RENAME snapshots counts and dimensions together:
- ``<article>:<day>[;<dimension>=<value>...]`` counts views, by the values of their
  closed-set dimensions (referrer class, device): ``12:2026-11-27;referrer=search;device=phone``.
  One field, so a view costs one write for its count and those dimensions; an article-day
  has at most (referrer classes x device classes) such fields. A field without the suffix
  counts views that came without those dimensions.
- ``<article>:<day>:<dimension>:<value>`` counts the same views by one open-ended dimension
  (referring domain, utm_*), which keeps at most ``cap`` distinct values per article per
  day; the rest are counted under OTHER. The values admitted
so far live in one small hash per article-day (DIMS_PREFIX), forgotten two days later, so
neither the buffer nor that hash can grow past the caps whatever readers send.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from redis.exceptions import ResponseError

LIVE_KEY = "hh:views:live"
BUFFER_KEY = "hh:views:buf"
BATCH_PREFIX = "hh:views:batch:"
SEEN_PREFIX = "hh:views:seen:"
SALT_PREFIX = "hh:views:salt:"
# One hash per minute counts that minute's views per reader (field r<hash>) and per address
# (a<hash>): one key to create and expire per minute, not two keys (and two EXPIREs) a view.
RATE_PREFIX = "hh:views:rate:"
ADDRESS_READERS_PREFIX = "hh:views:areaders:"
DIMS_PREFIX = "hh:views:dims:"
ACCEPTED_KEY = "hh:views:accepted"

OTHER = "(other)"
DIMS_TTL_SECONDS = 2 * 24 * 3600

COUNTED, UNKNOWN, DUPLICATE, RATE_LIMITED, CAPPED = 1, 0, 2, 3, 4
# A view the script failed on (not counted), and views after it it did not judge; the
# script's answer then ends with the error's text (see outcomes_of).
FAILED, NOT_RUN = -1, -2

# One call records a batch of views (those that arrived while the previous round trip was in
# flight), each by exactly the rules it would meet alone, in arrival order, and returns one
# outcome per view. One script call per batch, not per view: the client packs and parses one
# command, and Redis sets one script call up, instead of one per beacon (in bench/beacons.py
# the views API answered about a fifth more beacons per second with it).
#
# The script builds its keys from the prefixes above instead of taking them as KEYS: a batch
# touches the keys of many readers and articles. That is fine on the single Redis (or
# primary) the views service uses; a Redis Cluster would refuse keys of several slots.
#
# ARGV: 1 dedupe window (s), 2 views per reader per minute, 3 views per address per minute,
#       4 readers per address per article per window, 5 TTL of the admitted-values hash (s),
#       6 the minute (Unix time // 60), 7 the UTC day (ISO); then, per view: article id,
#       reader hash, address hash, its closed-set dimensions as the count field's suffix
#       (closed_suffix: '' or ';referrer=search;device=phone'), n, and n (dimension, value,
#       cap) triples of its open-ended dimensions
RECORD_VIEWS_LUA = f"""
local window, reader_limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local address_limit, per_address = tonumber(ARGV[3]), tonumber(ARGV[4])
local dims_ttl, minute, day = tonumber(ARGV[5]), ARGV[6], ARGV[7]
-- accepted: views counted so far; counting: the view being judged has been counted (its
-- buffer field written), so an error in its dimensions still answers it as counted.
-- undo_seen, undo_readers: what the view being judged wrote before it was counted, taken
-- back should it fail: a view that failed is not marked seen, nor counted against its
-- address (its readers count goes back down).
local accepted, counting, rates_expire = 0, false, true
local undo_seen, undo_readers = nil, nil

local rates = '{RATE_PREFIX}' .. minute

local function limited(field, limit)
  local n = redis.call('HINCRBY', rates, field, 1)
  if rates_expire then  -- with the hash's first write of the call: never a hash left forever
    redis.call('EXPIRE', rates, 60)
    rates_expire = false
  end
  return n > limit
end

-- One command each where the common case allows: SET NX both tests and marks the reader
-- (a duplicate is refused by the same command that would mark a new one), and the first
-- reader of an address (by far the most common) costs one SET NX, not a GET and a SET.
local function view(article, reader, address, closed, first, n)
  if limited('r' .. reader, reader_limit) then return 3 end
  if limited('a' .. address, address_limit) then return 3 end
  if redis.call('SISMEMBER', '{LIVE_KEY}', article) == 0 then return 0 end
  local seen = '{SEEN_PREFIX}' .. reader .. ':' .. article
  if not redis.call('SET', seen, '1', 'EX', window, 'NX') then return 2 end
  undo_seen = seen
  local readers_key = '{ADDRESS_READERS_PREFIX}' .. address .. ':' .. article
  if not redis.call('SET', readers_key, '1', 'EX', window, 'NX') then
    if tonumber(redis.call('GET', readers_key) or '0') >= per_address then
      redis.call('DEL', seen)  -- a capped view is not counted: the reader is not marked
      undo_seen = nil
      return 4
    end
    redis.call('INCR', readers_key)
  end
  undo_readers = readers_key
  local field = article .. ':' .. day
  -- The view's count and its closed-set dimensions (referrer class, device) are one field:
  -- one write a view, and at most (classes x devices) fields an article-day.
  redis.call('HINCRBY', '{BUFFER_KEY}', field .. closed, 1)
  accepted, counting = accepted + 1, true
  local dims = '{DIMS_PREFIX}' .. field
  for i = first, first + 3 * n - 1, 3 do
    local dim, value, cap = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    local member = dim .. ':' .. value
    if redis.call('HEXISTS', dims, member) == 0 then
      local admitted = tonumber(redis.call('HGET', dims, '#' .. dim) or '0')
      if admitted < cap then
        redis.call('HSET', dims, member, '1')
        redis.call('HINCRBY', dims, '#' .. dim, 1)
        -- The day's hash gets its TTL with its first value and keeps it (an EXPIRE a
        -- view would be one more write a view, and more AOF).
        if admitted == 0 and redis.call('TTL', dims) < 0 then
          redis.call('EXPIRE', dims, dims_ttl)
        end
      else
        value = '{OTHER}'
      end
    end
    redis.call('HINCRBY', '{BUFFER_KEY}', field .. ':' .. dim .. ':' .. value, 1)
  end
  return 1
end

-- A script that fails keeps what it wrote, so an error (a key of the wrong type, a bug)
-- must not turn views already counted into errors: each view's outcome stands, the view
-- that failed is FAILED (or COUNTED, if it was), the views after it NOT_RUN, and the error
-- text comes last. The accepted counter is always brought up to what was counted.
local outcomes, i = {{}}, 8
local ok, err = pcall(function()
  while i <= #ARGV do
    local n = tonumber(ARGV[i + 4])
    counting, undo_seen, undo_readers = false, nil, nil
    outcomes[#outcomes + 1] = view(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], i + 5, n)
    i = i + 5 + 3 * n
  end
end)
if accepted > 0 then redis.call('INCRBY', '{ACCEPTED_KEY}', accepted) end
if not ok then
  if not counting then  -- the failed view is not counted: it leaves no mark either
    if undo_seen then pcall(redis.call, 'DEL', undo_seen) end
    if undo_readers then pcall(redis.call, 'DECR', undo_readers) end
  end
  outcomes[#outcomes + 1] = counting and 1 or {FAILED}
  i = i + 5 + 3 * tonumber(ARGV[i + 4])
  while i <= #ARGV do
    outcomes[#outcomes + 1] = {NOT_RUN}
    i = i + 5 + 3 * tonumber(ARGV[i + 4])
  end
  outcomes[#outcomes + 1] = type(err) == 'table' and tostring(err.err) or tostring(err)
end
return outcomes
"""


@dataclass(frozen=True)
class Limits:
    window_seconds: int
    reader_per_minute: int
    address_per_minute: int
    readers_per_address: int


# (dimension, value, cap): cap 0 for dimensions whose values are a closed set.
Dimension = tuple[str, str, int]
ViewArgs = list[str | int]


def view_args(
    *, article_id: int, reader: str, address: str, dimensions: tuple[Dimension, ...] = ()
) -> ViewArgs:
    """One view's part of a RECORD_VIEWS_LUA call: dimensions with cap 0 (closed sets, whose
    values are plain words: no ':', ';' or '=') go into its count field's suffix, the others
    as (dimension, value, cap) triples."""
    closed = "".join(f";{dim}={value}" for dim, value, cap in dimensions if cap == 0)
    if closed.count(";") != closed.count("=") or ":" in closed:
        # A closed value with a separator would make parse_field misread the count field
        # (and the flusher drop its views): refuse it here, loudly, never in the flusher.
        raise ValueError(f"a closed-set dimension value holds ':', ';' or '=': {closed!r}")
    open_ended = [d for d in dimensions if d[2] != 0]
    args: ViewArgs = [article_id, reader, address, closed, len(open_ended)]
    for dimension in open_ended:
        args += dimension
    return args


def record_call(
    *, views: Iterable[ViewArgs], day: date, minute: int, limits: Limits
) -> list[str | int]:
    """ARGV of one RECORD_VIEWS_LUA call recording ``views`` (each from view_args), all of
    the same minute and day; it answers one outcome per view, in order."""
    args: list[str | int] = [
        limits.window_seconds,
        limits.reader_per_minute,
        limits.address_per_minute,
        limits.readers_per_address,
        DIMS_TTL_SECONDS,
        minute,
        day.isoformat(),
    ]
    for view in views:
        args += view
    return args


def outcomes_of(answer: list[Any], views: int) -> list[int | Exception]:
    """Each view's outcome from a RECORD_VIEWS_LUA answer for ``views`` views: the code, or,
    for a view the script failed on or did not judge, the error (as Redis' ResponseError)."""
    if len(answer) == views:
        return [int(code) for code in answer]
    text = answer[views]
    error = ResponseError(text.decode() if isinstance(text, bytes) else str(text))
    codes = [int(code) for code in answer[:views]]
    return [error if code in (FAILED, NOT_RUN) else code for code in codes]


def buffer_field(article_id: int, day: date) -> str:
    return f"{article_id}:{day.isoformat()}"


@dataclass(frozen=True)
class Field:
    """A buffer field, parsed: ``views`` when it counts views (a count field), and the
    dimension values its count is by."""

    article_id: int
    day: date
    views: bool
    dimensions: tuple[tuple[str, str], ...]


def parse_field(field: str) -> Field:
    parts = field.split(":", 3)
    if len(parts) == 4:  # an open-ended dimension's field
        return Field(int(parts[0]), date.fromisoformat(parts[1]), False, ((parts[2], parts[3]),))
    day, *closed = parts[1].split(";")
    dims = tuple((dim, value) for dim, _, value in (c.partition("=") for c in closed))
    return Field(int(parts[0]), date.fromisoformat(day), True, dims)


def batch_key(batch_id: str) -> str:
    return BATCH_PREFIX + batch_id


def dims_key(article_id: int, day: date) -> str:
    return f"{DIMS_PREFIX}{article_id}:{day.isoformat()}"


def salt_key(day: date) -> str:
    return SALT_PREFIX + day.isoformat()
