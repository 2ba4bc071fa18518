"""How late do scheduled articles go live? Real processes (the e2e stack), N articles
scheduled a few seconds ahead; for each, the delay from its time to its page answering 200.

    python -m bench.articles_schedule [--articles 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.e2e.stack import start_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10)
    args = parser.parse_args()
    stack = start_stack(Path(tempfile.mkdtemp(prefix="hh-bench-schedule-")))
    try:
        api = f"{stack.articles}/api/v1"
        admin = {"Authorization": f"Bearer {stack.token('admin')}"}
        httpx.post(
            f"{api}/categories", json={"slug": "bench", "name": "Bench"}, headers=admin, timeout=10
        ).raise_for_status()
        start = datetime.now(UTC) + timedelta(seconds=5)
        due: dict[str, datetime] = {}
        for n in range(args.articles):
            created = httpx.post(
                f"{api}/articles",
                json={"title": f"Scheduled {n}", "category": "bench", "body": "Text."},
                headers=admin,
                timeout=10,
            ).json()
            at = start + timedelta(milliseconds=300 * n)  # spread over the scheduler's ticks
            httpx.post(
                f"{api}/articles/{created['id']}/publish",
                json={"at": at.isoformat()},
                headers=admin,
                timeout=10,
            ).raise_for_status()
            due[created["path"]] = at
        live: dict[str, float] = {}
        deadline = time.monotonic() + 60 + args.articles
        while len(live) < len(due) and time.monotonic() < deadline:
            for path, at in due.items():
                if path in live:
                    continue
                if httpx.get(stack.pages + path, timeout=5).status_code == 200:
                    live[path] = (datetime.now(UTC) - at).total_seconds()
            time.sleep(0.05)
        delays = sorted(live.values())
        print(f"scheduled articles: {len(due)}, live: {len(live)}")
        if delays:
            print(
                "delay from scheduled time to page served (s): "
                f"min {delays[0]:.2f}  median {statistics.median(delays):.2f}  "
                f"max {delays[-1]:.2f}  (target: < 5)"
            )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
