"""Our cold build and warm re-render, measured in a process of its own.

    python -m bench.cold_build --articles N --workers W --root DIR   (prints one JSON line)

Run by bench.render_vs_hugo as a child process whose main module is this small one: the
render processes below are spawned, and a spawned child imports its parent's main module,
so under `make bench` each would otherwise hold every benchmark's modules (about 40 MB that
no render worker holds) and report that in its peak memory. The corpus is made again here
from the same seed as Hugo's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import OperationalError

from bench.corpus import load_read_model, make_corpus
from services.render import rebuild, repository, service
from services.render.commands import MIGRATIONS
from services.render.renderer import Site
from services.render.store import PageStore
from shared.db import Database, migrate

SITE = Site(name="HealthHub", url="https://health.example", views_url="")
NOW = datetime(2026, 11, 25, tzinfo=UTC)
BATCH = 200


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


_db: Database | None = None
_store: PageStore | None = None


def _render_batch(args: tuple[str, str, list[int], list[str]]) -> tuple[int, float]:
    """One batch in a pool process, as a render worker runs it (one database connection and
    one page store per process, for its lifetime); returns (files, peak RSS MB so far)."""
    global _db, _store
    url, pages, ids, keys = args
    if _db is None or _store is None:
        _db, _store = Database(url), PageStore(Path(pages))
    # Retried when SQLite's write lock stays taken too long, as the Celery task is
    # (autoretry on OperationalError); a retry redoes the batch, which is idempotent.
    for attempt in range(20):
        try:
            written = rebuild.run_batch(_db, _store, SITE, ids, keys, now=NOW).written
            return written, peak_rss_mb()
        except OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def _warm_up(_: int) -> None:
    """Import what a render worker has imported, and hold the process long enough that
    every pool process is started."""
    import services.render.tasks  # noqa: F401

    time.sleep(0.5)


def ours(articles: int, root: Path, workers: int) -> dict[str, float]:
    """Seconds for the cold build of a freshly loaded read model into an empty page store
    (ranks every related list) and for a warm re-render after it (lists stored)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    url = f"sqlite:///{root / 'render.db'}"
    migrate(url, MIGRATIONS)
    db = Database(url)
    corpus = make_corpus(articles)
    with db.transaction() as session:
        load_read_model(session, corpus, NOW)
    del corpus
    with db.reading() as session:
        ids = repository.live_ids(session)
        keys = sorted(service.full_listing_keys(session))
    db.dispose()
    pages = str(root / "pages")
    plan = rebuild.plan(ids, keys, job_id="0" * 32, batch_size=BATCH)
    jobs = [(url, pages, list(b.article_ids), list(b.index_keys)) for b in plan]
    figures: dict[str, float] = {}
    for phase in ("cold", "warm"):
        # Fresh processes for each phase: the cold build starts with nothing in memory.
        # Spawned, not forked: a forked child would share (and count in its resident
        # memory) the corpus this process holds. Started and their modules imported before
        # the clock starts, as a render worker is running before `render --all` is typed.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            list(pool.map(_warm_up, range(workers)))
            start = time.perf_counter()
            results = list(pool.map(_render_batch, jobs))
            figures[phase] = time.perf_counter() - start
        figures[f"{phase}_peak_rss_mb"] = max(rss for _, rss in results)
    figures["files"] = sum(written for written, _ in results)
    return figures


def in_own_process(articles: int, root: Path, workers: int) -> dict[str, float]:
    """``ours`` in a child process (see the module's docstring)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.cold_build", "--articles", str(articles),
         "--workers", str(workers), "--root", str(root)],
        capture_output=True, text=True, timeout=7200,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the cold build failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--root", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(ours(args.articles, args.root, args.workers)))


if __name__ == "__main__":
    main()
