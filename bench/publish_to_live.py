"""Publish-to-live at any size: from the publish request to the page (and its listings).

    python -m bench.publish_to_live [--articles 1000,10000] [--publishes 30]
                                    [--backend sqlite|postgresql] [--burst]

The whole platform runs as real processes (tests/e2e/stack.py: page server, APIs, Celery
workers, the render-pages and render-listings workers with concurrency 2, scheduler, its own
Redis; SQLite files, or PostgreSQL databases of its own). The render read model is loaded
with the synthetic corpus (bench/corpus.py, fixed seed) and the site is built with
`healthhub render --all` through the workers. Then articles are created as drafts and
published one at a time through the articles API, tagged like the corpus. For each publish:

- **live**: the clock starts just before the publish request is sent and stops when the page
  server first answers 200 for the new URL (polled every 2 ms);
- **listings fresh**: until the home page, the category's landing page, the feed and the
  newest sitemap shard all show the new URL;
- **pages written**: the render service's own counter of pages written (each also gets its
  .gz copy), from the publish until the render work has settled. The platform runs its
  default related-refresh schedule: the other pages whose related list a new article enters
  are re-rendered ``related_refresh_seconds`` (5 min) later, on their own clock, so they are
  not the publish's work; how many there are is printed beside it (**related pages
  entered**: the pages the schedule will re-render for that article, asked of the read model
  once the publish has settled).

``--burst`` adds 50 publishes fired in 10 s (one every 200 ms, not waiting for each other):
how long each page takes to go live. Nothing is asserted: the figures are printed.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import redis as redis_py

from bench.corpus import TAGS, load_site, percentile
from services.render import related, repository
from services.render.listing_pages import sitemap_shard
from services.render.metrics import PAGES_WRITTEN_KEY
from services.render.renderer import SHARD_SIZE
from services.render.settings import RenderSettings
from shared.contracts import RENDER_LISTINGS_QUEUE, RENDER_PAGES_QUEUE
from shared.db import Database
from shared.settings import sqlite_url
from tests.e2e.stack import Stack, start_stack
from tests.resources import drop_postgres_database, recreate_postgres_database

# Categories of the sample site that publish without a medical review (mental health and
# bones and joints require one: see services/articles/sample/categories.toml).
OPEN_CATEGORIES = ["health", "nutrition"]

FIRST_CORPUS_ID = 1_000_000
RENDER_REDIS_DB = 2  # services.render.settings: render_redis_db default
PG_PREFIX = "hh_bench"
RELATED_REFRESH_DEFAULT = RenderSettings.model_fields["related_refresh_seconds"].default


class Site:
    """A running platform with a site of ``articles`` articles built, and its probes."""

    def __init__(self, stack: Stack, render_url: str, articles: int) -> None:
        self.stack = stack
        self.render_db = Database(render_url)
        self.articles = articles
        self.api = httpx.Client(timeout=30)
        self.reader = httpx.Client(timeout=10)
        self.headers = {"Authorization": f"Bearer {stack.token()}"}
        self.render_redis = stack.redis_client(RENDER_REDIS_DB)
        self.broker: redis_py.Redis = stack.redis_client(0)

    def pages_written(self) -> int:
        return int(self.render_redis.get(PAGES_WRITTEN_KEY) or 0)

    def busy(self) -> int:
        """Render work queued, reserved or dirty (the related-refresh schedule's marks wait
        for their time, not for a worker: not counted)."""
        with self.render_db.reading() as session:
            dirty = repository.count_dirty(session, scheduled=False)
        queued = self.broker.llen(RENDER_PAGES_QUEUE) + self.broker.llen(RENDER_LISTINGS_QUEUE)
        return int(dirty + queued + self.broker.hlen("unacked"))

    def settle(self, timeout: float = 120) -> None:
        """Until no render work is queued, reserved or dirty, three polls in a row."""
        deadline, calm = time.monotonic() + timeout, 0
        while calm < 3:
            if time.monotonic() > deadline:
                raise RuntimeError("render work did not settle")
            calm = calm + 1 if self.busy() == 0 else 0
            time.sleep(0.05)

    def draft(self, i: int, rng: random.Random) -> int:
        body = {
            "title": f"Benchmark article {i}",
            "category": rng.choice(OPEN_CATEGORIES),
            "summary": "A page published to be timed.",
            "body": "## Why\n\nBecause.\n\n## How\n\n- quickly\n- reliably\n",
            "tags": rng.sample(TAGS, 3),
        }
        created = self.api.post(
            f"{self.stack.articles}/api/v1/articles", json=body, headers=self.headers
        )
        created.raise_for_status()
        return int(created.json()["id"])

    def publish(self, article_id: int) -> str:
        published = self.api.post(
            f"{self.stack.articles}/api/v1/articles/{article_id}/publish", headers=self.headers
        )
        published.raise_for_status()
        return str(published.json()["path"])

    def related_entered(self, article_id: int) -> int:
        """The other pages whose related list this article enters: the related-refresh
        schedule re-renders them later."""
        with self.render_db.reading() as session:
            return len(related.pages_entered(session, article_id))

    def wait_live(self, path: str, t0: float, client: httpx.Client | None = None) -> float:
        reader = client or self.reader
        while reader.get(self.stack.pages + path).status_code != 200:
            if time.perf_counter() - t0 > 60:
                raise RuntimeError(f"{path} not live after 60 s")
            time.sleep(0.002)
        return (time.perf_counter() - t0) * 1000

    def listing_urls(self, path: str, size: int) -> list[str]:
        category = path.split("/")[1]
        shard = sitemap_shard(max(1, math.ceil(size / SHARD_SIZE)))
        return ["/", f"/{category}", "/feed.xml", f"/{shard}"]

    def wait_listed(self, path: str, size: int, t0: float) -> float:
        pending = self.listing_urls(path, size)
        while pending:
            pending = [
                u for u in pending if not links_to(self.reader.get(self.stack.pages + u).text, path)
            ]
            if time.perf_counter() - t0 > 60:
                raise RuntimeError(f"{path} not listed after 60 s on {pending}")
            if pending:
                time.sleep(0.01)
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.api.close()
        self.reader.close()
        self.render_db.dispose()


def links_to(page: str, path: str) -> bool:
    """Whether a listing, feed or sitemap names this very path (not a longer one it begins:
    /health/a-1 is inside /health/a-10)."""
    return re.search(re.escape(path) + r"(?![\w-])", page) is not None


PG_SERVICES = ("articles", "views", "render")


def postgres_env(tag: str) -> dict[str, str]:
    """Fresh PostgreSQL databases for the three services, as HEALTHHUB_* variables."""
    return {
        f"HEALTHHUB_{s.upper()}_DATABASE_URL": recreate_postgres_database(f"{PG_PREFIX}_{tag}_{s}")
        for s in PG_SERVICES
    }


def drop_postgres(tag: str) -> None:
    for s in PG_SERVICES:
        drop_postgres_database(f"{PG_PREFIX}_{tag}_{s}")


def start_site(root: Path, articles: int, env: dict[str, str]) -> Site:
    """Start the platform, load the corpus and build the site with `healthhub render --all`."""
    stack = start_stack(
        root,
        None,
        HEALTHHUB_WORKER_CONCURRENCY="2",
        # The default a user runs (the test stack sets 0 to see a change's whole effect).
        HEALTHHUB_RELATED_REFRESH_SECONDS=str(RELATED_REFRESH_DEFAULT),
        **env,
    )
    try:
        return _build(stack, root, articles, env)
    except BaseException:
        stack.stop()
        raise


def _build(stack: Stack, root: Path, articles: int, env: dict[str, str]) -> Site:
    stack.cli("seed")
    render_url = env.get("HEALTHHUB_RENDER_DATABASE_URL") or sqlite_url(root / "render.db")
    db = Database(render_url)
    load_site(db, articles, first_id=FIRST_CORPUS_ID)
    db.dispose()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "services.cli", "render", "--all", "--timeout", "600"],
        env=stack.env, check=True, timeout=7200, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    site = Site(stack, render_url, articles)
    site.build_s = time.perf_counter() - started  # type: ignore[attr-defined]
    site.settle(timeout=600)
    return site


def measure_one_at_a_time(site: Site, publishes: int) -> dict[str, list[float]]:
    rng = random.Random(7)
    live, answered, fresh, written, entered = [], [], [], [], []
    for i in range(publishes):
        article_id = site.draft(i, rng)
        site.settle()
        before = site.pages_written()
        t0 = time.perf_counter()
        path = site.publish(article_id)
        answered.append((time.perf_counter() - t0) * 1000)
        live.append(site.wait_live(path, t0))
        fresh.append(site.wait_listed(path, site.articles + i + 9, t0))
        site.settle()
        written.append(float(site.pages_written() - before))
        entered.append(float(site.related_entered(article_id)))
    return {
        "live_ms": live,
        "answered_ms": answered,
        "fresh_ms": fresh,
        "pages_written": written,
        "entered": entered,
    }


def measure_burst(site: Site, count: int = 50, spacing: float = 0.2) -> list[float]:
    """``count`` publishes, one every ``spacing`` seconds, each page's time to go live."""
    rng = random.Random(8)
    drafts = [site.draft(10_000 + i, rng) for i in range(count)]
    site.settle()
    results: list[float] = []
    errors: list[BaseException] = []

    def one(article_id: int) -> None:
        try:
            with httpx.Client(timeout=30) as api, httpx.Client(timeout=10) as reader:
                t0 = time.perf_counter()
                r = api.post(
                    f"{site.stack.articles}/api/v1/articles/{article_id}/publish",
                    headers=site.headers,
                )
                r.raise_for_status()
                results.append(site.wait_live(str(r.json()["path"]), t0, reader))
        except BaseException as exc:
            errors.append(exc)

    threads = []
    for article_id in drafts:
        thread = threading.Thread(target=one, args=(article_id,))
        thread.start()
        threads.append(thread)
        time.sleep(spacing)
    for thread in threads:
        thread.join(120)
    if errors:
        raise RuntimeError(f"{len(errors)} burst publish(es) failed: {errors[0]!r}")
    return results


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": float(len(values)),
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "max": round(max(values), 1),
    }


def run_size(
    articles: int, publishes: int, backend: str = "sqlite", burst: bool = False
) -> dict[str, Any]:
    tag = f"{articles}"
    env = postgres_env(tag) if backend == "postgresql" else {}
    with tempfile.TemporaryDirectory(prefix="hh-bench-live-") as tmp:
        site = start_site(Path(tmp), articles, env)
        try:
            one = measure_one_at_a_time(site, publishes)
            figures: dict[str, Any] = {
                "articles": articles,
                "backend": backend,
                "site_build_s": round(site.build_s, 1),  # type: ignore[attr-defined]
                "live_ms": summary(one["live_ms"]),
                # The publish request's own round trip (percentiles do not add up to live's).
                "publish_answered_ms": summary(one["answered_ms"]),
                "listings_fresh_ms": summary(one["fresh_ms"]),
                "pages_written_per_publish": summary(one["pages_written"]),
                "related_entered_per_publish": summary(one["entered"]),
                "related_refresh_s": RELATED_REFRESH_DEFAULT,
                # Every publish in order, so a tail can be placed (the first after the
                # build, or spread out) from the raw output.
                "live_ms_each": [round(x, 1) for x in one["live_ms"]],
                "publish_answered_ms_each": [round(x, 1) for x in one["answered_ms"]],
            }
            if burst:
                burst_ms = measure_burst(site)
                figures["burst_live_ms"] = summary(burst_ms)
        except Exception:
            # The platform's own account of what it was doing: the raw output keeps it.
            print(site.stack.log(), file=sys.stderr)
            raise
        finally:
            site.close()
            site.stack.stop()
            if env:
                drop_postgres(tag)
    return figures


def run(
    quick: bool = False,
    sizes: tuple[int, ...] | None = None,
    publishes: int | None = None,
    backends: tuple[str, ...] = ("sqlite", "postgresql"),
    burst: bool = True,
) -> dict[str, Any]:
    """The figures, for printing or for a `make bench` runner."""
    m = publishes or (15 if quick else 30)
    runs = []
    for backend in backends:
        # SQLite at two sizes (size independence); PostgreSQL at the larger one.
        chosen = sizes or ((1_000,) if quick else (1_000, 10_000))
        if sizes is None and backend != "sqlite":
            chosen = chosen[-1:]
        for n in chosen:
            print(f"   publish-to-live: {n:,} articles on {backend} …", flush=True)
            runs.append(run_size(n, m, backend, burst=burst and n == max(chosen)))
    return {"runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 articles, 15 publishes")
    parser.add_argument("--articles", default=None, help="site sizes, e.g. 1000,10000")
    parser.add_argument("--publishes", type=int, default=None)
    parser.add_argument(
        "--backend", default="sqlite", help="sqlite, postgresql or both: sqlite,postgresql"
    )
    parser.add_argument("--no-burst", action="store_true")
    args = parser.parse_args()
    sizes = tuple(int(n) for n in args.articles.split(",")) if args.articles else None
    result = run(
        args.quick, sizes, args.publishes, tuple(args.backend.split(",")), not args.no_burst
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
