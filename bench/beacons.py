"""Beacon throughput of one views API process, side by side with a plain FastAPI endpoint
doing one Redis HINCRBY per request; then the exactness check: accepted == counted.

    python -m bench.beacons [--quick] [--seconds S] [--rounds N] [--threads T]

Both servers run the same way (one uvicorn process, no access log) against a Redis of the
benchmark's own, and are loaded by the same wrk script (bench/beacons.lua): every request a
new reader (a new X-Forwarded-For address from the trusted local proxy) viewing one of 100
live articles, so every beacon is really counted, not answered as a duplicate; one in
FRESH_EVERY (10) has a User-Agent and a referrer host never seen before, so the caches in
front of the bot matcher and the device and query parsers do not hide their cost. While the
views API is loaded, a flusher moves the buffer into the views DB (SQLite) every second, as
the worker would. Rounds alternate the two servers; each run first warms the fresh process
up for a second. Throughput is beacons answered per second of the script's active window.

Exactness (bench/accounting.py): accepted is the number of "counted" answers wrk saw over
every views run, warm-ups included; counted is the total in the views database after the
last flush. They must be equal, article by article when that is checkable.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import select

from bench import accounting
from bench.loadgen import cpu_seconds, describe_load, load_check, wrk
from bench.tools import median, ratio, start_uvicorn, stop
from services.views import buffer, flusher, service
from services.views.commands import MIGRATIONS
from services.views.models import ArticleTotal
from shared.contracts import ArticleSnapshot, CategoryRef
from shared.db import Database, migrate
from tests.resources import RedisServer

ARTICLES = 100
# One beacon in this many has a User-Agent and a referrer host never seen before (see
# beacons.lua), so the bot matcher, device parser and query parser are measured, not cached.
FRESH_EVERY = 10
CONNECTIONS = 32
THREADS = 1  # checked on every run: see bench/loadgen.py
SCRIPT = Path(__file__).with_name("beacons.lua")
SERVERS = {
    "views API": "services.views.app:create_app",
    "FastAPI + HINCRBY": "bench.baseline_app:create_app",
}


def prepare_views(workdir: Path, redis_url: str) -> tuple[dict[str, str], Database, redis.Redis]:
    env = {
        **os.environ,
        "HEALTHHUB_REDIS_URL": redis_url,
        "HEALTHHUB_VAR_DIR": str(workdir),
        "HEALTHHUB_ENVIRONMENT": "test",
        "HEALTHHUB_LOG_LEVEL": "WARNING",
        "HEALTHHUB_SITE_URL": "https://health.example",  # the Origin beacons.lua sends
        # Every request is a new reader from one proxy: lift the per-client limit.
        "HEALTHHUB_RATE_LIMIT_PER_MINUTE": "100000000",
        "HEALTHHUB_VIEWS_DATABASE_URL": f"sqlite:///{workdir / 'views.db'}",
        "BENCH_REDIS_URL": redis_url + "/2",
    }
    migrate(env["HEALTHHUB_VIEWS_DATABASE_URL"], MIGRATIONS)
    db = Database(env["HEALTHHUB_VIEWS_DATABASE_URL"])
    r = redis.Redis.from_url(redis_url + "/1")  # the views Redis database (default 1)
    now = datetime.now(UTC)
    with db.transaction() as session:
        for i in range(1, ARTICLES + 1):
            snap = ArticleSnapshot(
                id=i, version=1, slug=f"bench-{i}", title=f"Bench {i}", status="published",
                category=CategoryRef(slug="health", name="Health"), created_at=now,
                updated_at=now, published_at=now,
            )  # fmt: skip
            service.learn_article(session, r, snap, now)
    return env, db, r


def counted_per_article(db: Database) -> dict[int, int]:
    with db.transaction() as session:
        rows = session.execute(select(ArticleTotal.article_id, ArticleTotal.total)).all()
    return {int(article): int(total) for article, total in rows if total}


class Flushing:
    """The flusher, every second, in a thread of this process (as the views worker would
    run it; its CPU is not the server's)."""

    def __init__(self, r: redis.Redis, db: Database) -> None:
        self.r, self.db = r, db
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            flusher.flush(self.r, self.db, now=datetime.now(UTC))

    def __enter__(self) -> Flushing:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def load_once(
    url: str, pid: int, octet: int, seconds: int, threads: int, redis_pid: int
) -> tuple[dict[str, Any], accounting.ClientTally]:
    """One wrk run: beacons for `seconds`, then a second of drain (see beacons.lua). The
    Redis server's CPU over the run is measured too: it shares the machine's cores with the
    server and wrk, so what a beacon costs Redis limits the rate as much as the server."""
    redis_before = cpu_seconds(redis_pid)
    run = wrk(
        url, seconds=seconds + 1, servers=[pid], threads=threads, connections=CONNECTIONS,
        script=SCRIPT,
        script_args=[str(octet), str(ARTICLES), str(seconds), str(FRESH_EVERY)],
    )  # fmt: skip
    redis_cpu_s = cpu_seconds(redis_pid) - redis_before
    tally = accounting.parse_tally(run.output)
    figures = run.figures()
    answered = tally.counted + tally.other
    figures.update(
        beacons_per_s=round(answered / seconds, 1),
        # The server's CPU over the whole run (the drain second's 404s included) per beacon:
        # what each one cost, however much CPU a busy machine left the server.
        server_cpu_us_per_beacon=round(figures["server_cpu_s"] / answered * 1e6, 1)
        if answered
        else None,
        redis_cpu_s=round(redis_cpu_s, 3),
        redis_cpu_us_per_beacon=round(redis_cpu_s / answered * 1e6, 1) if answered else None,
        sent=tally.sent,
        counted=tally.counted,
        other=tally.other,
        unanswered=tally.unanswered,
    )
    return figures, tally


def measure(
    quick: bool = False, seconds: int | None = None, rounds: int | None = None,
    threads: int = THREADS,
) -> dict[str, Any]:  # fmt: skip
    """Run the benchmark; the figures as a dict (bench.run archives it)."""
    seconds = seconds or (3 if quick else 5)
    rounds = rounds or (1 if quick else 5)
    workdir = Path(tempfile.mkdtemp(prefix="hh-bench-beacons-"))
    redis_server = RedisServer.launch()
    assert redis_server.proc is not None
    redis_pid = redis_server.proc.pid
    env, db, r = prepare_views(workdir, redis_server.url)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SERVERS}
    tallies: list[accounting.ClientTally] = []  # of the views API only
    next_octet = iter(range(11, 224))  # a new first octet per run: readers never repeat

    def run_round(name: str) -> None:
        # The views service reads X-Forwarded-For itself (from its trusted proxy): uvicorn
        # must not rewrite the client address first.
        proc, url = start_uvicorn(SERVERS[name], env, args=["--no-proxy-headers"])
        try:
            for active in (1, seconds):  # a warm-up second, then the measured run
                figures, tally = load_once(
                    url, proc.pid, next(next_octet), active, threads, redis_pid
                )
                if name == "views API":
                    tallies.append(tally)
            runs[name].append(figures)
        finally:
            stop(proc)

    try:
        for _ in range(rounds):  # alternate the two, so a noisy neighbour hurts both alike
            run_round("FastAPI + HINCRBY")
            with Flushing(r, db):
                run_round("views API")
        flusher.flush(r, db, now=datetime.now(UTC))  # what is left in the buffer
        total = accounting.sum_tallies(tallies)
        exactness = accounting.check(total, ARTICLES, counted_per_article(db))
        server_accepted = int(r.get(buffer.ACCEPTED_KEY) or 0)
    finally:
        db.dispose()
        r.close()
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(redis_server.data_dir, ignore_errors=True)
    rates = {name: [f["beacons_per_s"] for f in rs] for name, rs in runs.items()}
    medians = {name: median(values) for name, values in rates.items()}
    cpu = {
        name: median([f["server_cpu_us_per_beacon"] for f in rs if f["server_cpu_us_per_beacon"]])
        for name, rs in runs.items()
    }
    redis_cpu = {
        name: median(
            [f["redis_cpu_us_per_beacon"] for f in rs if f["redis_cpu_us_per_beacon"] is not None]
            or [0.0]
        )
        for name, rs in runs.items()
    }
    return {
        "articles": ARTICLES,
        "fresh_agent_and_referrer_every": FRESH_EVERY,
        "seconds_per_run": seconds,
        "rounds": rounds,
        "runs": runs,
        "beacons_per_s": medians,
        "server_cpu_us_per_beacon": cpu,
        "redis_cpu_us_per_beacon": redis_cpu,
        "round_ratios": [
            round(v / b, 2)
            for v, b in zip(rates["views API"], rates["FastAPI + HINCRBY"], strict=True)
        ],
        "views_vs_baseline": ratio(medians["views API"], medians["FastAPI + HINCRBY"]),
        "accepted": exactness.accepted,
        "counted": exactness.counted,
        "exact": exactness.exact,
        "exactness": exactness.describe(),
        "per_article_checked": exactness.per_article_checked,
        "articles_differing": {str(k): list(v) for k, v in exactness.differing.items()},
        "views_runs_with_warmups": len(tallies),
        "beacons_sent": total.sent,
        "answers_not_counted": total.other,
        "beacons_unanswered": total.unanswered,
        "server_accepted_counter": server_accepted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s runs, one round")
    parser.add_argument("--seconds", type=int, default=None, help="seconds of beacons per run")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--threads", type=int, default=THREADS, help="wrk threads")
    args = parser.parse_args()
    f = measure(args.quick, args.seconds, args.rounds, args.threads)
    print(f"beacon throughput, {f['seconds_per_run']} s x {f['rounds']} round(s), medians "
          f"(1 beacon in {f['fresh_agent_and_referrer_every']} with a User-Agent and referrer "
          "never seen before):")  # fmt: skip
    for name, rate in f["beacons_per_s"].items():
        print(
            f"  {name:<18} {rate:>9,.0f} beacons/s   {describe_load(load_check(f['runs'][name]))}"
        )
    print(
        "  server CPU per beacon (median): "
        + ", ".join(f"{name} {us:,.0f} us" for name, us in f["server_cpu_us_per_beacon"].items())
    )
    print(
        "  Redis CPU per beacon (median): "
        + ", ".join(f"{name} {us:,.0f} us" for name, us in f["redis_cpu_us_per_beacon"].items())
    )
    print(f"  ratio              {f['views_vs_baseline']:>9.2f}x   (target >= 2x); per round "
          f"{f['round_ratios']}")  # fmt: skip
    print(f"  beacons sent {f['beacons_sent']:,}, answered not counted "
          f"{f['answers_not_counted']:,}, unanswered {f['beacons_unanswered']:,}; the views "
          f"service's own accepted counter {f['server_accepted_counter']:,}")  # fmt: skip
    print(f"exact: {'yes' if f['exact'] else 'NO'}: {f['exactness']}")
    if not f["exact"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
