"""Publish-to-live: from the publish call's answer to the new page being served.

    python -m bench.publish_to_live [--quick] [--articles N] [--publishes M]

The whole platform runs as real processes (tests/e2e/stack.py: page server, APIs, Celery
workers with concurrency 2, scheduler, its own Redis, SQLite). The render read model is
loaded with the synthetic corpus (bench/corpus.py, fixed seed) and the site is built with
`healthhub render --all` through the render workers. Then articles are created and
published one at a time through the articles API, each tagged like the corpus so related
lists and tag pages have real work; the clock starts when the publish call answers and stops
when the page server first answers 200 for the new URL (polled every 2 ms). A short pause
between publishes lets the coalesced index render of the previous one run, as it would
between two editors' publishes.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.corpus import TAGS, load_read_model, make_corpus, percentile
from shared.db import Database
from shared.settings import sqlite_url
from tests.e2e.stack import Stack, start_stack

FIRST_CORPUS_ID = 1_000_000


def build_site(stack: Stack, n: int) -> float:
    """Load the corpus into the render read model and render it all; returns seconds."""
    db = Database(sqlite_url(stack.root / "render.db"))
    with db.transaction() as session:
        load_read_model(session, make_corpus(n, first_id=FIRST_CORPUS_ID), datetime.now(UTC))
    db.dispose()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "services.cli", "render", "--all"],
        env=stack.env, check=True, timeout=3600, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def measure(stack: Stack, publishes: int, pause: float) -> list[float]:
    token = stack.token()
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    latencies = []
    with httpx.Client(timeout=10) as api, httpx.Client(timeout=5) as reader:
        for i in range(publishes):
            body = {
                "title": f"Benchmark article {i}",
                "category": rng.choice(["health", "nutrition", "mental-health"]),
                "summary": "A page published to be timed.",
                "body": "## Why\n\nBecause.\n\n## How\n\n- quickly\n- reliably\n",
                "tags": rng.sample(TAGS, 3),
            }
            created = api.post(f"{stack.articles}/api/v1/articles", json=body, headers=headers)
            created.raise_for_status()
            aid = created.json()["id"]
            published = api.post(f"{stack.articles}/api/v1/articles/{aid}/publish", headers=headers)
            published.raise_for_status()
            t0 = time.perf_counter()
            url = stack.pages + published.json()["path"]
            while reader.get(url).status_code != 200:
                if time.perf_counter() - t0 > 30:
                    raise RuntimeError(f"{url} not live after 30 s")
                time.sleep(0.002)
            latencies.append((time.perf_counter() - t0) * 1000)
            time.sleep(pause)
    return latencies


def run(
    quick: bool = False, articles: int | None = None, publishes: int | None = None
) -> dict[str, float]:
    """The figures, for printing or for a `make bench` runner."""
    n = articles or (1_000 if quick else 10_000)
    m = publishes or (20 if quick else 60)
    with tempfile.TemporaryDirectory(prefix="hh-bench-live-") as tmp:
        stack = start_stack(Path(tmp), HEALTHHUB_WORKER_CONCURRENCY="2")
        try:
            stack.cli("seed")
            build_s = build_site(stack, n)
            latencies = measure(stack, m, pause=1.0)
        finally:
            stack.stop()
    return {
        "articles": float(n),
        "publishes": float(m),
        "site_build_s": round(build_s, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 articles, 20 publishes")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--publishes", type=int, default=None)
    args = parser.parse_args()
    f = run(args.quick, args.articles, args.publishes)
    print(
        f"Publish-to-live on a site of {int(f['articles']):,} articles ({int(f['publishes'])} publishes):"
    )
    print(f"  site built with `healthhub render --all`  {f['site_build_s']:8.1f} s")
    print(f"  p50                                      {f['p50_ms']:8.1f} ms")
    print(f"  p95                                      {f['p95_ms']:8.1f} ms   (target ≤ 150 ms)")
    print(f"  max                                      {f['max_ms']:8.1f} ms")


if __name__ == "__main__":
    main()
