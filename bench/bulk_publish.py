"""Bulk publishing on the embedded set-up: 10,000 articles created and published through the
articles API by 8 clients at once, as a newsroom importing its archive would.

    python -m bench.bulk_publish [--publishes 10000] [--clients 8]

Figures: how long the publishing took, how long after the last publish answered every page
was being served (polled from the oldest pending page on), and the publish-to-live of a few
single publishes made right after. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.publish_to_live import Site, summary
from shared.settings import sqlite_url
from tests.e2e.stack import start_stack

# Categories of the sample site that publish without a medical review (mental health and
# bones and joints require one: see services/articles/sample/categories.toml).
OPEN_CATEGORIES = ["health", "nutrition"]


def _client(site: Site, count: int, seed: int, out: list[str], errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        with httpx.Client(timeout=60) as api:
            for i in range(count):
                body = {
                    "title": f"Imported article {seed}-{i}",
                    "category": rng.choice(OPEN_CATEGORIES),
                    "summary": "An article from the archive.",
                    "body": "## Background\n\nText.\n\n## Advice\n\n- one\n- two\n",
                    "tags": rng.sample(["sleep", "diet", "heart", "bones", "stress", "skin"], 2),
                }
                created = api.post(
                    f"{site.stack.articles}/api/v1/articles", json=body, headers=site.headers
                )
                created.raise_for_status()
                published = api.post(
                    f"{site.stack.articles}/api/v1/articles/{created.json()['id']}/publish",
                    headers=site.headers,
                )
                published.raise_for_status()
                out.append(str(published.json()["path"]))
    except BaseException as exc:
        errors.append(exc)


def run(publishes: int = 10_000, clients: int = 8, after: int = 10) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hh-bench-bulk-") as tmp:
        root = Path(tmp)
        stack = start_stack(root, None, HEALTHHUB_WORKER_CONCURRENCY="2")
        try:
            stack.cli("seed")
            site = Site(stack, sqlite_url(root / "render.db"), 0)
            paths: list[str] = []
            errors: list[BaseException] = []
            per_client = publishes // clients
            started = time.perf_counter()
            threads = [
                threading.Thread(target=_client, args=(site, per_client, c, paths, errors))
                for c in range(clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            last_publish = time.perf_counter()
            if errors:
                raise RuntimeError(f"{len(errors)} client(s) failed: {errors[0]!r}")
            pending = list(paths)
            while pending:
                if time.perf_counter() - last_publish > 1800:
                    raise RuntimeError(f"{len(pending)} page(s) not live after 30 min")
                status = site.reader.get(site.stack.pages + pending[0]).status_code
                if status == 200:
                    pending.pop(0)
                else:
                    time.sleep(0.05)
            all_live = time.perf_counter()
            rng = random.Random(99)
            single = []
            for i in range(after):
                article_id = site.draft(20_000 + i, rng)
                t0 = time.perf_counter()
                single.append(site.wait_live(site.publish(article_id), t0))
            site.close()
        finally:
            stack.stop()
    return {
        "publishes": float(len(paths)),
        "clients": float(clients),
        "publishing_s": round(last_publish - started, 1),
        "last_live_after_s": round(all_live - last_publish, 1),
        "after_live_ms": summary(single),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--publishes", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(run(args.publishes, args.clients), indent=2))


if __name__ == "__main__":
    main()
