"""Cost of the bot matcher and the device parser per call, against the list's own matcher.

    python -m bench.bot_matcher [--quick]

Three figures per User-Agent kind (the corpus of tests/views/ua_corpus.py): the matcher
uncached (what a flood of never-seen agents costs), the cached verdict (what a beacon usually
pays), and the crawler-user-agents package's own is_crawler() (25 regular expressions of 60
alternatives each) as the anchor. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import crawleruseragents

from services.views import bots, devices
from tests.views.ua_corpus import NOT_READERS, READERS


def per_call_us(fn: Callable[[str], object], agents: list[str], rounds: int) -> float:
    """Median over rounds of the mean cost of one call, in microseconds."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for ua in agents:
            fn(ua)
        samples.append((time.perf_counter() - start) / len(agents) * 1e6)
    return statistics.median(samples)


def measure(quick: bool = False) -> dict[str, Any]:
    rounds = 5 if quick else 20
    package_rounds = 3  # the package's own matcher is slow: a few rounds say enough
    start = time.perf_counter()
    bots.matcher.cache_clear()
    matcher = bots.matcher()
    compile_ms = (time.perf_counter() - start) * 1e3
    readers = [ua for ua, _ in READERS]
    others = [ua for ua in NOT_READERS if ua.strip()]
    # Never-seen agents, as a flood that rotates its User-Agent would send.
    rotating = [f"{ua} r{i}" for i, ua in enumerate(readers * 20)]
    crawleruseragents.is_crawler(readers[0])  # compile the package's own expressions
    bots.is_bot.cache_clear()
    for ua in readers + others:
        bots.is_bot(ua)
    devices.device_class.cache_clear()
    devices.device_class(readers[0])  # build the parser first: its load is not a call's cost
    # New agents every call, so neither our cache nor ua-parser's own one helps.
    fresh = [f"{ua} d{i}" for i, ua in enumerate(readers * 10)]
    device_cold = per_call_us(devices.device_class.__wrapped__, fresh, 1)
    for ua in readers:
        devices.device_class(ua)
    return {
        "list_version": bots.list_version(),
        "rounds": rounds,
        "package_rounds": package_rounds,
        "patterns": matcher.size,
        "compile_ms": round(compile_ms, 1),
        "reader_uncached_us": round(per_call_us(matcher.matches, readers, rounds), 2),
        "bot_uncached_us": round(per_call_us(matcher.matches, others, rounds), 2),
        "rotating_uncached_us": round(per_call_us(matcher.matches, rotating, rounds), 2),
        "cached_us": round(per_call_us(bots.is_bot, readers + others, rounds), 3),
        "package_reader_us": round(
            per_call_us(crawleruseragents.is_crawler, readers, package_rounds), 1
        ),
        "package_bot_us": round(
            per_call_us(crawleruseragents.is_crawler, others, package_rounds), 1
        ),
        "device_uncached_us": round(device_cold, 1),
        "device_cached_us": round(per_call_us(devices.device_class, readers, rounds), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    f = measure(quick=parser.parse_args().quick)
    print(f"bot list: crawler-user-agents {f['list_version']}, {f['patterns']} patterns "
          f"compiled in {f['compile_ms']} ms")  # fmt: skip
    print("cost per call (median of rounds):")
    print(f"  matcher, reader agent, uncached    : {f['reader_uncached_us']:>8} us")
    print(f"  matcher, bot agent, uncached       : {f['bot_uncached_us']:>8} us")
    print(f"  matcher, rotating new agents       : {f['rotating_uncached_us']:>8} us")
    print(f"  is_bot, cached verdict             : {f['cached_us']:>8} us")
    print(f"  anchor: package is_crawler, reader : {f['package_reader_us']:>8} us")
    print(f"  anchor: package is_crawler, bot    : {f['package_bot_us']:>8} us")
    print(f"  device class, uncached             : {f['device_uncached_us']:>8} us")
    print(f"  device class, cached               : {f['device_cached_us']:>8} us")


if __name__ == "__main__":
    main()
