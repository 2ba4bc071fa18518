"""Server response time of every editor screen on a site of N published articles (10,000 by
default): one articles API process (uvicorn, SQLite), a signed-in admin, each screen asked
for R times in turn over loopback; p95 and median per screen, beside the same server's
/healthz (what any request to that process costs).

    python -m bench.editor_screens [--quick] [--articles N] [--requests R]

The issue's target: every screen's p95 <= 50 ms at 10,000 articles.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import articles_api
from bench.tools import start_uvicorn, stop
from services.articles import service, workflow
from services.articles.commands import MIGRATIONS
from services.articles.editor import users
from services.articles.schemas import ArticleCreate, ArticleUpdate
from shared.db import Database, migrate

PASSWORD = "correct horse battery staple"  # noqa: S105 - a bench site of its own
TARGET_MS = 50.0
IN_REVIEW = 40  # drafts waiting in the review queue


def prepare(url: str, articles: int) -> int:
    """N published articles (bench.articles_api.fill), drafts in review, an admin; the id of
    an article with three revisions, the one the per-article screens show."""
    articles_api.fill(url, articles)
    db = Database(url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        users.create_user(
            session, email="admin@example.org", name="Bench Admin", role="admin",
            password=PASSWORD, now=now,
        )  # fmt: skip
        for n in range(IN_REVIEW):
            draft = service.create(
                session,
                data=ArticleCreate(
                    title=f"Draft {n} on kidney stones", category="health",
                    summary="A draft.", body="## Causes\n\nText. " * 50, tags=["kidney"],
                ),
                actor="bench", now=now, max_body_bytes=1_000_000,
            )  # fmt: skip
            workflow.submit(
                session, article_id=draft.id, expected_version=None, actor="bench", now=now
            )
        shown = draft.id
        service.update(
            session,
            article_id=shown,
            data=ArticleUpdate(summary="A draft, revised."),
            expected_version=draft.version,
            actor="bench",
            now=now,
            max_body_bytes=1_000_000,
        )
    db.dispose()
    return shown


def screens(article_id: int) -> dict[str, str]:
    a = f"/editor/articles/{article_id}"
    return {
        "articles, page 1": "/editor/",
        "articles, published, page 50": "/editor/?status=published&page=50",
        "articles, search 'kidney'": "/editor/?q=kidney",
        "article": a,
        "new article form": "/editor/articles/new",
        "edit form": f"{a}/edit",
        "history": f"{a}/history",
        "diff of two revisions": f"{a}/history/diff?from=1&to=3",
        "publish confirmation": f"{a}/publish",
        "schedule": f"{a}/schedule",
        "numbers (views API not set)": f"{a}/numbers",
        "review queue": "/editor/review",
        "review screen": f"/editor/review/{article_id}",
        "review due": "/editor/review-due",
        "most read": "/editor/dashboard",
        "admin: people": "/editor/admin/people",
        "admin: categories": "/editor/admin/categories",
        "admin: users": "/editor/admin/users",
        "admin: tokens": "/editor/admin/tokens",
    }


def sign_in(client: httpx.Client) -> None:
    form = client.get("/editor/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "no CSRF token on the sign-in page"
    signed = client.post(
        "/editor/sign-in",
        data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": token[1]},
    )
    assert signed.status_code == 303, signed.text


def timings(client: httpx.Client, path: str, requests: int) -> dict[str, float]:
    samples = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
    }


def measure(
    quick: bool = False, articles: int | None = None, requests: int | None = None
) -> dict[str, Any]:
    articles = articles or (2_000 if quick else 10_000)
    requests = requests or (40 if quick else 200)
    root = Path(tempfile.mkdtemp(prefix="hh-bench-editor-"))
    url = f"sqlite:///{root / 'articles.db'}"
    try:
        migrate(url, MIGRATIONS)
        started = time.perf_counter()
        article_id = prepare(url, articles)
        fill_s = time.perf_counter() - started
        env = {
            **os.environ,
            "HEALTHHUB_ARTICLES_DATABASE_URL": url,
            "HEALTHHUB_VAR_DIR": str(root),
            "HEALTHHUB_ENVIRONMENT": "test",
            "HEALTHHUB_LOG_LEVEL": "WARNING",
            "HEALTHHUB_VIEWS_API_URL": "",
            "HEALTHHUB_REDIS_URL": "redis://127.0.0.1:1",  # no broker needed to read screens
        }
        proc, base = start_uvicorn("services.articles.app:create_app", env)
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                sign_in(client)
                paths = screens(article_id)
                for path in paths.values():  # warm: templates compiled, caches filled
                    timings(client, path, 3)
                per_screen = {name: timings(client, path, requests) for name, path in paths.items()}
                floor = timings(client, "/healthz", requests)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    slowest = max(per_screen, key=lambda name: per_screen[name]["p95_ms"])
    return {
        "articles": articles,
        "requests": requests,
        "fill_s": round(fill_s, 1),
        "screens": per_screen,
        "healthz": floor,
        "slowest": slowest,
        "slowest_p95_ms": per_screen[slowest]["p95_ms"],
        "target_ms": TARGET_MS,
    }


def describe(f: dict[str, Any]) -> str:
    lines = [
        f"editor screens, {f['articles']:,} published articles, {f['requests']} requests each "
        f"(SQLite, one uvicorn process; site filled in {f['fill_s']} s):"
    ]
    for name, t in f["screens"].items():
        lines.append(f"  {name:<32} median {t['median_ms']:7.2f} ms   p95 {t['p95_ms']:7.2f} ms")
    h = f["healthz"]
    lines.append(
        f"  {'/healthz (the floor)':<32} median {h['median_ms']:7.2f} ms   p95 {h['p95_ms']:7.2f} ms"
    )
    lines.append(
        f"slowest p95: {f['slowest']} {f['slowest_p95_ms']} ms (target <= {f['target_ms']:.0f} ms)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles, 40 requests")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--requests", type=int, default=None)
    args = parser.parse_args()
    print(describe(measure(args.quick, args.articles, args.requests)))


if __name__ == "__main__":
    main()
