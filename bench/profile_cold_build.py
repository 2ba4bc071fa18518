"""Where a cold build spends its time: cProfile of one process rendering a freshly loaded
read model (every article page, related list and listing) into an empty page store, the
work `healthhub render --all` gives the render workers, in one process so that one profile
holds all of it.

    python -m bench.profile_cold_build [--articles 2000] [--top 15]

Prints the run's conditions (commit, CPU, load) and the top entries by own time and by
cumulative time. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import tempfile
import time
from pathlib import Path

from bench import conditions
from bench.cold_build import BATCH, NOW, SITE
from bench.corpus import load_read_model, make_corpus
from services.render import rebuild, repository, service
from services.render.commands import MIGRATIONS
from services.render.store import PageStore
from shared.db import Database, migrate


def profile(articles: int, top: int) -> str:
    with tempfile.TemporaryDirectory(prefix="hh-profile-") as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'render.db'}"
        migrate(url, MIGRATIONS)
        db = Database(url)
        with db.transaction() as session:
            load_read_model(session, make_corpus(articles), NOW)
        with db.reading() as session:
            ids = repository.live_ids(session)
            keys = sorted(service.full_listing_keys(session))
        store = PageStore(root / "pages")
        plan = rebuild.plan(ids, keys, job_id="0" * 32, batch_size=BATCH)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for batch in plan:
            rebuild.run_batch(db, store, SITE, batch.article_ids, batch.index_keys, now=NOW)
        profiler.disable()
        elapsed = time.perf_counter() - started
        db.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"cold build of {articles:,} articles in one process: {elapsed:.1f} s (profiled)\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    before = conditions.before()
    report = profile(args.articles, args.top)
    print(json.dumps(conditions.after(before), indent=1, default=str))
    print(report)


if __name__ == "__main__":
    main()
