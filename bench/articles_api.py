"""Editor and public list/search latency of the articles API, in process (no network),
against a SQLite file or a PostgreSQL database with N published articles.

    python -m bench.articles_api [--articles 2000] [--requests 200] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from services.articles import service, tokens
from services.articles.app import create_app
from services.articles.categories import create_category
from services.articles.commands import MIGRATIONS
from services.articles.schemas import ArticleCreate
from services.articles.settings import ArticlesSettings
from shared.db import Database, migrate

WORDS = [
    "bone",
    "vitamin",
    "sleep",
    "mood",
    "fibre",
    "water",
    "heart",
    "lung",
    "kidney",
    "liver",
    "skin",
    "joint",
    "back",
    "pain",
    "diet",
    "exercise",
    "stress",
    "blood",
    "sugar",
    "pressure",
    "immune",
    "allergy",
]


def fill(url: str, count: int) -> str:
    db = Database(url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        create_category(session, slug="health", name="Health", now=now)
        for n in range(count):
            words = [WORDS[(n * k) % len(WORDS)] for k in (1, 3, 7)]
            article = service.create(
                session,
                data=ArticleCreate(
                    title=f"Article {n} about {' and '.join(words)}",
                    category="health",
                    summary=f"Summary {n}.",
                    body=("Paragraph about " + " ".join(words) + ". ") * 40,
                    tags=words[:2],
                    authors=[f"Author {n % 17}"],
                ),
                actor="bench",
                now=now,
                max_body_bytes=1_000_000,
            )
            service.publish(
                session, article_id=article.id, expected_version=None, actor="bench", now=now
            )
        _, secret = tokens.create_token(session, name="bench", role="editor", now=now)
    db.dispose()
    return secret


def timed(label: str, requests: int, call: Callable[[], int]) -> None:
    samples = []
    for _ in range(requests):
        t0 = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - t0) * 1000)
        assert status in (200, 304), status
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"  {label:<42} median {statistics.median(samples):6.2f} ms   p95 {p95:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", default="", help="URL of an EMPTY database to fill")
    args = parser.parse_args()
    url = args.postgres or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    migrate(url, MIGRATIONS)
    secret = fill(url, args.articles)
    if args.postgres:
        # Fresh tables have no statistics; autovacuum gathers them soon after a bulk load.
        # Without them the planner filters the search expression row by row (~1 s here).
        db = Database(url)
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        db.dispose()
    settings = ArticlesSettings(
        articles_database_url=url, redis_url="redis://127.0.0.1:1", environment="test"
    )
    headers = {"Authorization": f"Bearer {secret}"}
    print(f"{'PostgreSQL' if args.postgres else 'SQLite'}, {args.articles} published articles:")
    with TestClient(create_app(settings)) as client:
        first = client.get("/api/v1/content/articles")
        etag = first.headers["etag"]
        slug = first.json()["items"][0]["slug"]
        timed(
            "public list, page 1",
            args.requests,
            lambda: client.get("/api/v1/content/articles").status_code,
        )
        timed(
            "public list, revalidated (304)",
            args.requests,
            lambda: (
                client.get("/api/v1/content/articles", headers={"If-None-Match": etag}).status_code
            ),
        )
        timed(
            "public search q='kidney'",
            args.requests,
            lambda: client.get("/api/v1/content/articles", params={"q": "kidney"}).status_code,
        )
        timed(
            "editor list, tag + author filter",
            args.requests,
            lambda: (
                client.get(
                    "/api/v1/articles",
                    params={"tag": "bone", "author": "Author 3"},
                    headers=headers,
                ).status_code
            ),
        )
        timed(
            "public article by slug",
            args.requests,
            lambda: client.get(f"/api/v1/content/articles/{slug}").status_code,
        )


if __name__ == "__main__":
    main()
