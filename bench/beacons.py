"""Beacon throughput of one views API process, side by side with a plain FastAPI endpoint
doing one Redis HINCRBY per request; then the exactness check: accepted == counted.

    python -m bench.beacons [--quick]

Both servers run the same way (one uvicorn process, no access log) against a Redis of the
benchmark's own, and are loaded by the same wrk script: every request a new reader (a new
X-Forwarded-For address from the trusted local proxy) viewing one of 100 live articles, so
every beacon is really counted, not answered as a duplicate. While the views API is loaded,
a flusher moves the buffer into the views DB (SQLite) every second, as the worker would.
Figures are printed, never asserted: this machine is shared and has two cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy import func, select

from bench.tools import ensure_debian_package
from services.views import buffer, flusher, service
from services.views.commands import MIGRATIONS
from services.views.models import ArticleTotal
from shared.contracts import ArticleSnapshot, CategoryRef
from shared.db import Database, migrate
from tests.resources import RedisServer, free_port

ARTICLES = 100
CONNECTIONS = 32
ROOT = Path(__file__).resolve().parents[1]

# One wrk thread, so one counter: each request is a reader never seen before.
WRK_SCRIPT = """
local n = 0
request = function()
  n = n + 1
  local ip = string.format("%d.%d.%d.%d", {octet}, math.floor(n / 65536) % 256,
                           math.floor(n / 256) % 256, n % 256)
  local path = "/api/v1/views/" .. ((n % {articles}) + 1)
  return wrk.format("POST", path, {{
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
    ["X-Forwarded-For"] = ip,
    ["Content-Length"] = "0",
  }})
end
"""


def start_server(app: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning",
         "--no-proxy-headers"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/openapi.json", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{app} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): CPU per request is a fairer
    figure than requests per second on a machine that other work shares."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, url: str, seconds: int, octet: int, workdir: Path) -> dict[str, float]:
    script = workdir / f"beacon-{octet}.lua"
    script.write_text(WRK_SCRIPT.format(octet=octet, articles=ARTICLES))
    out = subprocess.run(
        [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "requests": total, "non_2xx": int(errors.group(1)) if errors else 0}


def prepare_views(workdir: Path, redis_url: str) -> tuple[dict[str, str], Database, redis.Redis]:
    env = {
        **os.environ,
        "HEALTHHUB_REDIS_URL": redis_url,
        "HEALTHHUB_VAR_DIR": str(workdir),
        "HEALTHHUB_ENVIRONMENT": "test",
        "HEALTHHUB_LOG_LEVEL": "WARNING",
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


def counted(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.coalesce(func.sum(ArticleTotal.total), 0))) or 0)


def measure(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark; the figures as a dict (bench.run collects them)."""
    wrk = ensure_debian_package("wrk")
    # Several short alternating rounds rather than one long run each: on a shared machine the
    # neighbours' load comes and goes, and the best round of each is the fairest comparison.
    seconds = 3 if quick else 5
    rounds = 1 if quick else 5
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="hh-bench-beacons-"))
    redis_server = RedisServer.launch()
    env, db, r = prepare_views(workdir, redis_server.url)
    baseline_rps: list[float] = []
    views_rps: list[float] = []
    baseline_cpu: list[float] = []
    views_cpu: list[float] = []
    non_2xx = 0
    octet = 11
    stop_flushing = threading.Event()

    def flush_loop() -> None:
        while not stop_flushing.wait(1.0):
            flusher.flush(r, db, now=datetime.now(UTC))

    try:
        # Alternate the two servers, so a noisy neighbour hurts both alike.
        for _ in range(rounds):
            for name in ("baseline", "views"):
                app = "bench.baseline_app:create_app" if name == "baseline" else (
                    "services.views.app:create_app"
                )  # fmt: skip
                proc, url = start_server(app, env)
                flushing = threading.Thread(target=flush_loop)
                if name == "views":
                    stop_flushing.clear()
                    flushing.start()
                try:
                    run_wrk(wrk, url, 1, octet, workdir)  # warm-up
                    cpu_before = cpu_seconds(proc.pid)
                    result = run_wrk(wrk, url, seconds, octet + 1, workdir)
                    cpu_us = (cpu_seconds(proc.pid) - cpu_before) / result["requests"] * 1e6
                    octet += 2
                finally:
                    stop_flushing.set()
                    if flushing.is_alive():
                        flushing.join()
                    stop(proc)
                (baseline_rps if name == "baseline" else views_rps).append(result["rps"])
                (baseline_cpu if name == "baseline" else views_cpu).append(cpu_us)
                if name == "views":
                    non_2xx += int(result["non_2xx"])
        flusher.flush(r, db, now=datetime.now(UTC))  # what is left in the buffer
        accepted = int(r.get(buffer.ACCEPTED_KEY) or 0)
        total = counted(db)
    finally:
        db.dispose()
        r.close()
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(redis_server.data_dir, ignore_errors=True)
    best_baseline, best_views = max(baseline_rps), max(views_rps)
    ratios = sorted(v / b for v, b in zip(views_rps, baseline_rps, strict=True))
    return {
        # Medians over the interleaved rounds are the figures; the best rounds are kept too.
        "median_baseline_rps": round(statistics.median(baseline_rps)),
        "median_views_rps": round(statistics.median(views_rps)),
        "round_ratios": [round(x, 2) for x in ratios],
        "median_round_ratio": round(ratios[len(ratios) // 2], 2),
        "load_average_before": round(load_before, 2),
        "baseline_rps": round(best_baseline),
        "views_rps": round(best_views),
        "ratio": round(best_views / best_baseline, 2),
        "baseline_cpu_us_per_request": round(min(baseline_cpu), 1),
        "views_cpu_us_per_request": round(min(views_cpu), 1),
        "cpu_ratio": round(min(baseline_cpu) / min(views_cpu), 2),
        "accepted": accepted,
        "counted": total,
        "exact": accepted == total,
        "views_non_2xx": non_2xx,
        "seconds_per_run": seconds,
        "rounds": rounds,
        "connections": CONNECTIONS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s runs, one round")
    figures = measure(quick=parser.parse_args().quick)
    print(f"beacon throughput, wrk -t1 -c{figures['connections']}, "
          f"{figures['seconds_per_run']} s x {figures['rounds']} round(s), best of each:")  # fmt: skip
    print(f"  plain FastAPI + one HINCRBY : {figures['baseline_rps']:>8} req/s")
    print(f"  views API beacon            : {figures['views_rps']:>8} req/s")
    print(f"  ratio                       : {figures['ratio']:>8}x  (target >= 2x)")
    print(f"  ratio per round (sorted)    : {figures['round_ratios']}, median "
          f"{figures['median_round_ratio']}x; load average before: "
          f"{figures['load_average_before']}")  # fmt: skip
    print("server CPU per request (the flusher runs in the bench process, not counted here):")
    print(f"  plain FastAPI + one HINCRBY : {figures['baseline_cpu_us_per_request']:>8} us")
    print(f"  views API beacon            : {figures['views_cpu_us_per_request']:>8} us")
    print(f"  ratio                       : {figures['cpu_ratio']:>8}x")
    print(f"  non-2xx beacon answers      : {figures['views_non_2xx']:>8}")
    print(f"accepted views {figures['accepted']} == counted views {figures['counted']}: "
          f"{'yes' if figures['exact'] else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    main()
