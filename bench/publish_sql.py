"""Which SQL of a publish's render grows with the site: the statements the render side runs
to apply 30 new articles (as the pages worker does on a publish), grouped and summed, on a
read model loaded with N articles.

    python -m bench.publish_sql --articles 1000,100000 [--backend postgresql|sqlite]

A diagnosis, not a target. With `--analyze`, PostgreSQL gets statistics after the load (as
autovacuum would give it; this machine's server runs with autovacuum off). Without them it
found the related lists' shared-tag count (repository.shared_tag_counts) scanning every tag
posting at 100,000 articles. Prints the time of each apply (p50, max) and the eight
statements that took longest in all.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.corpus import TAGS, load_site, percentile
from services.render import repository, service
from services.render.commands import MIGRATIONS
from services.render.renderer import Site
from services.render.store import PageStore
from shared.contracts import ArticleSnapshot, CategoryRef
from shared.db import Database, migrate
from shared.settings import sqlite_url
from tests.resources import drop_postgres_database, recreate_postgres_database

SITE = Site(name="HealthHub", url="https://health.example", views_url="")
PUBLISHES = 30


def new_article(i: int) -> ArticleSnapshot:
    now = datetime.now(UTC)
    return ArticleSnapshot(
        id=5_000_000 + i, version=2, slug=f"timed-{i}", status="published",
        category=CategoryRef(slug="health", name="Health"), title=f"Timed article {i}",
        summary="A page published to be timed.", body="## Why\n\nBecause.\n",
        tags=tuple(TAGS[i % 10 : i % 10 + 3]), created_at=now, updated_at=now, published_at=now,
    )  # fmt: skip


def measure(url: str, articles: int, root: Path, analyze: bool) -> None:
    migrate(url, MIGRATIONS)
    db = Database(url)
    load_site(db, articles, first_id=1_000_000, analyze=analyze)
    spent: dict[str, list[float]] = collections.defaultdict(list)

    @event.listens_for(db.engine, "before_cursor_execute")
    def _before(conn: Any, *_: Any) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        ms = (time.perf_counter() - conn.info["started"]) * 1000
        spent[" ".join(statement.split())[:150]].append(ms)

    store, applies = PageStore(root / "pages"), []
    for i in range(PUBLISHES):
        snap = new_article(i)
        started = time.perf_counter()
        with db.transaction() as session:
            repository.lock_article(session, snap.id)
            result = service.apply_snapshot(session, store, SITE, snap, now=datetime.now(UTC))
            repository.mark_dirty(session, result.dirty, datetime.now(UTC))
        applies.append((time.perf_counter() - started) * 1000)
    db.dispose()
    print(summary(articles, applies, spent))


def summary(articles: int, applies: list[float], spent: dict[str, list[float]]) -> str:
    """The printed figures: the applies' p50 (interpolated, as every bench p50) and max, then
    the eight statements that took longest in all."""
    lines = [
        f"{articles:,} articles: {len(applies)} applies, p50 {percentile(applies, 50):.1f} / "
        f"max {max(applies):.1f} ms; statements by total time:"
    ]
    for statement, times in sorted(spent.items(), key=lambda kv: -sum(kv[1]))[:8]:
        lines.append(f"  {sum(times):8.1f} ms in {len(times):3d} calls  {statement}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", default="1000,100000")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--analyze", action="store_true", help="ANALYZE after the load")
    args = parser.parse_args()
    for n in (int(a) for a in args.articles.split(",")):
        with tempfile.TemporaryDirectory(prefix="hh-bench-sql-") as tmp:
            if args.backend == "sqlite":
                measure(sqlite_url(Path(tmp) / "render.db"), n, Path(tmp), args.analyze)
                continue
            name = f"hh_bench_sql_{n}"
            try:
                measure(recreate_postgres_database(name), n, Path(tmp), args.analyze)
            finally:
                drop_postgres_database(name)


if __name__ == "__main__":
    main()
