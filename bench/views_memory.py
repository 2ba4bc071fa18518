"""Redis memory of the views service for a day of 1,000,000 beacons across 10,000 articles.

    python -m bench.views_memory [--quick]

A simulation that writes into a real Redis exactly the keys the beacon writes, through the
same Lua script (buffer.RECORD_VIEWS_LUA, arguments from buffer.record_call), with realistic
sources: Zipf-popular articles, 45% search (mostly Google), 25% direct, 12% social, 8%
internal, 10% other from a long tail of 50,000 domains; utm parameters on 10% of views;
desktop/phone/tablet. The day is played in 48 half-hours: after each, the keys whose TTL
(the 30-minute window, the 60-second rate keys) would have run out are deleted and the
buffer is emptied as the flusher does (it flushes every few seconds; emptying it every half
hour overstates it). INFO used_memory is read after every half-hour; the peak is printed
with what the caps allow. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import date
from typing import Any

import redis

from services.views import buffer
from services.views.settings import ViewsSettings
from tests.resources import RedisServer

DAY = date(2026, 3, 10)
SLICES = 48


def _default(name: str) -> Any:
    """A ViewsSettings field's default (not this shell's HEALTHHUB_* environment)."""
    return ViewsSettings.model_fields[name].get_default(call_default_factory=True)


# The limits and caps the views service runs with unless configured otherwise.
LIMITS = buffer.Limits(
    window_seconds=_default("dedupe_window_seconds"),
    reader_per_minute=_default("rate_limit_per_minute"),
    address_per_minute=_default("address_rate_limit_per_minute"),
    readers_per_address=_default("readers_per_address"),
)
DOMAINS_CAP: int = _default("referrer_domains_per_day")
UTM_CAP: int = _default("utm_values_per_day")
SEARCH = ["google.com"] * 80 + ["bing.com"] * 10 + ["duckduckgo.com"] * 5 + ["ecosia.org"] * 5
SOCIAL = ["l.facebook.com", "t.co", "reddit.com", "linkedin.com", "pinterest.com", "youtube.com"]


def source(rng: random.Random, long_tail: list[str]) -> tuple[buffer.Dimension, ...]:
    roll = rng.random()
    dims: list[buffer.Dimension] = []
    if roll < 0.45:
        dims += [("referrer", "search", 0), ("domain", rng.choice(SEARCH), DOMAINS_CAP)]
    elif roll < 0.70:
        dims.append(("referrer", "direct", 0))
    elif roll < 0.82:
        dims += [("referrer", "social", 0), ("domain", rng.choice(SOCIAL), DOMAINS_CAP)]
    elif roll < 0.90:
        dims.append(("referrer", "internal", 0))
    else:
        tail = long_tail[min(int(rng.paretovariate(1.1)) - 1, len(long_tail) - 1)]
        dims += [("referrer", "other", 0), ("domain", tail if rng.random() < 0.5 else
                 rng.choice(long_tail), DOMAINS_CAP)]  # fmt: skip
    device = rng.choices(["desktop", "phone", "tablet"], [38, 55, 7])[0]
    dims.append(("device", device, 0))
    if rng.random() < 0.10:
        dims += [("utm_source", f"source{rng.randrange(30)}", UTM_CAP),
                 ("utm_medium", rng.choice(["email", "social", "cpc"]), UTM_CAP),
                 ("utm_campaign", f"campaign{rng.randrange(200)}", UTM_CAP)]  # fmt: skip
    return tuple(dims)


def expire(r: redis.Redis, *prefixes: str) -> None:
    for prefix in prefixes:
        batch = []
        for key in r.scan_iter(match=prefix + "*", count=5000):
            batch.append(key)
            if len(batch) >= 5000:
                r.unlink(*batch)
                batch = []
        if batch:
            r.unlink(*batch)


def measure(quick: bool = False) -> dict[str, Any]:
    beacons = 100_000 if quick else 1_000_000
    articles = 10_000
    rng = random.Random(14)
    long_tail = [f"site{i}.example" for i in range(50_000)]
    weights = [1 / (i + 1) for i in range(articles)]
    server = RedisServer.launch()
    r = redis.Redis.from_url(server.url + "/1")
    try:
        r.sadd(buffer.LIVE_KEY, *range(1, articles + 1))
        sha = r.script_load(buffer.RECORD_VIEWS_LUA)
        baseline = int(r.info("memory")["used_memory"])
        peak, peak_buffer_fields, counted = 0, 0, 0
        per_slice = beacons // SLICES
        for s in range(SLICES):
            picks = rng.choices(range(1, articles + 1), weights, k=per_slice)
            # Batches of views of one minute, as the views API sends them under load.
            batches: dict[int, list[buffer.ViewArgs]] = {}
            for n, article in enumerate(picks):
                batches.setdefault(s * 30 + n * 30 // per_slice, []).append(buffer.view_args(
                    article_id=article, reader=f"{rng.getrandbits(128):032x}",
                    address=f"{rng.getrandbits(96):024x}", dimensions=source(rng, long_tail),
                ))  # fmt: skip
            pipe = r.pipeline(transaction=False)
            for minute, views in batches.items():
                for i in range(0, len(views), 100):
                    args = buffer.record_call(
                        views=views[i : i + 100], day=DAY, minute=minute, limits=LIMITS
                    )
                    pipe.evalsha(sha, 0, *args)
            counted += sum(
                1 for outcomes in pipe.execute() for x in outcomes if x == buffer.COUNTED
            )
            used = int(r.info("memory")["used_memory"])
            peak = max(peak, used)
            peak_buffer_fields = max(peak_buffer_fields, int(r.hlen(buffer.BUFFER_KEY)))
            # Half an hour later: the window's keys and the rate keys have expired and the
            # flusher has long moved the buffer into the database.
            expire(r, buffer.SEEN_PREFIX, buffer.ADDRESS_READERS_PREFIX, buffer.RATE_PREFIX)
            r.delete(buffer.BUFFER_KEY)
        dims_keys = list(r.scan_iter(match=buffer.DIMS_PREFIX + "*", count=5000))
        dims_bytes = sum(int(r.memory_usage(k) or 0) for k in dims_keys)
        end = int(r.info("memory")["used_memory"])
        max_fields = max(int(r.hlen(k)) for k in dims_keys)
    finally:
        r.close()
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
    return {
        "beacons": per_slice * SLICES,
        "counted": counted,
        "articles": articles,
        "baseline_mb": round(baseline / 2**20, 1),
        "peak_mb": round(peak / 2**20, 1),
        "end_of_day_mb": round(end / 2**20, 1),
        "dims_keys": len(dims_keys),
        "dims_mb": round(dims_bytes / 2**20, 1),
        "dims_max_fields": max_fields,
        # the domains + 3 x the utm values + one counter per capped dimension (4)
        "dims_fields_cap": DOMAINS_CAP + 3 * UTM_CAP + 4,
        "peak_buffer_fields": peak_buffer_fields,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 beacons")
    f = measure(quick=parser.parse_args().quick)
    print(f"{f['beacons']:,} beacons ({f['counted']:,} counted) across {f['articles']:,} "
          "articles, played as 48 half-hours:")  # fmt: skip
    print(f"  Redis used_memory, empty + live set   : {f['baseline_mb']:>7} MB")
    print(f"  peak during the day                   : {f['peak_mb']:>7} MB")
    print(f"  end of day (window keys expired)      : {f['end_of_day_mb']:>7} MB")
    print(f"  admitted-values hashes (kept 2 days)  : {f['dims_keys']:>7} keys, "
          f"{f['dims_mb']} MB, at most {f['dims_max_fields']} fields each "
          f"(cap {f['dims_fields_cap']})")  # fmt: skip
    print(f"  buffer fields after half an hour      : {f['peak_buffer_fields']:>7}")


if __name__ == "__main__":
    main()
