"""Public page reads, req/s: the embedded page server and the nginx gateway, each beside
anchors doing the same work: bare nginx, a FastAPI FileResponse route and Starlette's
StaticFiles, all serving the same article file.

    python -m bench.pages [--quick] [--seconds S] [--rounds N] [--threads T]

All five serve one rendered sample article (the osteoporosis explainer) from one page store.
wrk sends `Accept-Encoding: gzip`, as browsers do. What each does with it:

- the gateway (deploy/nginx/default.conf.template, one worker process) and bare nginx (a
  minimal `root` + `try_files` server, one worker process, with the gateway's `gzip_static
  on` and `gzip_vary on`) send the store's pre-gzipped copy;
- the page server sends the same copy from its in-memory cache;
- the FastAPI route (bench/baseline_files.py, `async def`) sends the same copy;
- StaticFiles has no pre-compressed support and sends the page uncompressed.

Before loading, each server is asked once and must answer the same page; what it sent
(encoding, bytes) is archived. Runs are interleaved (one run of each per round, in turn);
figures are medians over the rounds. Every run also records the CPU time of wrk and of the
server (bench/loadgen.py), so the results say when wrk was the bottleneck.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import describe_load, load_check, wrk
from bench.tools import (
    ensure_debian_package,
    interleave,
    median,
    ratio,
    start_uvicorn,
    stop,
    wait_until_up,
)
from services.render.renderer import Renderer, Site
from services.render.store import PageStore, article_page
from services.seed import read_sample
from shared.contracts import ArticleSnapshot, CategoryRef
from tests.e2e.gateway import MAIN_CONF, write_nginx_config
from tests.resources import free_port

SLUG = "is-osteoporosis-an-autoimmune-disease"
PATH = f"/health/{SLUG}"
HEADERS = {"Accept-Encoding": "gzip"}
CONNECTIONS = 32
# One wrk thread: on two cores, a second wrk thread would take CPU from the server it
# measures. Whether one thread was enough is checked on every run (bench/loadgen.py).
THREADS = 1

# The gateway's compression settings, nothing else of it: bare nginx does the same work.
BARE_SERVER = """
server {{
    listen 127.0.0.1:{port};
    root {root};
    gzip_static on;
    gzip_vary on;
    location / {{ try_files $uri/index.html $uri =404; }}
}}
"""


def build_store(root: Path) -> PageStore:
    _, articles = read_sample()
    sample = next(a for a in articles if a.slug == SLUG)
    when = datetime(2025, 2, 17, 9, tzinfo=UTC)
    snapshot = ArticleSnapshot(
        id=1, version=2, slug=sample.slug, category=CategoryRef(slug="health", name="Health"),
        title=sample.front["title"], summary=sample.front["summary"], body=sample.body,
        tags=tuple(sample.front["tags"]), status="published",
        created_at=when, updated_at=when, published_at=when,
    )  # fmt: skip
    store = PageStore(root)
    html = Renderer(Site("HealthHub", "http://127.0.0.1", "")).article(snapshot, views=4617)
    store.write(article_page("health", sample.slug), html)
    return store


def start_nginx(conf: Path) -> subprocess.Popen[bytes]:
    nginx = ensure_debian_package("nginx")
    return subprocess.Popen([nginx, "-c", str(conf), "-p", str(conf.parent)],
                            stderr=subprocess.DEVNULL)  # fmt: skip


def bare_nginx_conf(prefix: Path, port: int, root: Path) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "healthhub.conf").write_text(BARE_SERVER.format(port=port, root=root))
    conf = prefix / "nginx.conf"
    conf.write_text(MAIN_CONF.format(prefix=prefix.resolve(), mime_types="/etc/nginx/mime.types"))
    return conf


def what_is_served(url: str, html: bytes) -> dict[str, Any]:
    """One request as wrk sends it: the page must come back (decoded) byte for byte."""
    answer = httpx.get(url, headers=HEADERS, timeout=5)
    encoding = answer.headers.get("content-encoding", "identity")
    body = answer.content  # httpx decodes gzip
    if answer.status_code != 200 or body != html:
        raise RuntimeError(f"{url} did not answer the page ({answer.status_code})")
    # Bytes of the body as sent (before httpx decodes it): what each request costs to send.
    return {"content_encoding": encoding, "body_bytes": answer.num_bytes_downloaded}


def start_servers(
    work: Path, store: PageStore, procs: list[subprocess.Popen[bytes]]
) -> dict[str, tuple[str, list[int]]]:
    """Every contender started (appended to `procs` for stopping): name -> (url, its pids)."""
    env = {**os.environ, "HEALTHHUB_PAGE_STORE_DIR": str(store.root),
           "BENCH_PAGE_STORE": str(store.root)}  # fmt: skip
    servers: dict[str, tuple[str, list[int]]] = {}
    for name, app in (
        ("page server", "services.render.pageserver:create_app"),
        ("FastAPI FileResponse", "bench.baseline_files:create_app"),
        ("Starlette StaticFiles", "bench.baseline_files:create_static_app"),
    ):
        proc, base = start_uvicorn(app, env)
        procs.append(proc)
        # StaticFiles serves a directory's index.html at the URL with a trailing slash (it
        # redirects the other one): load it where it answers 200 itself.
        servers[name] = (base + PATH + ("/" if "StaticFiles" in name else ""), [proc.pid])
    gw_port, bare_port = free_port(), free_port()
    gw_conf = write_nginx_config(
        work / "gateway", port=gw_port, page_store=store.root,
        pages=servers["page server"][0].split("/")[2], articles="127.0.0.1:9",
        views=["127.0.0.1:9"],
    )  # fmt: skip
    for name, conf, port in (
        ("nginx gateway", gw_conf, gw_port),
        ("bare nginx", bare_nginx_conf(work / "bare", bare_port, store.root), bare_port),
    ):
        proc = start_nginx(conf)
        procs.append(proc)
        servers[name] = (f"http://127.0.0.1:{port}{PATH}", [proc.pid])
        wait_until_up(servers[name][0], proc)
    return servers


def measure(
    quick: bool = False,
    seconds: int | None = None,
    rounds: int | None = None,
    threads: int = THREADS,
) -> dict[str, Any]:
    """Run the benchmark; the figures as a dict (bench.run archives it)."""
    seconds = seconds or (2 if quick else 5)
    rounds = rounds or (3 if quick else 5)
    work = Path(tempfile.mkdtemp(prefix="hh-bench-pages-"))
    work.chmod(0o755)  # nginx workers run as an unprivileged user: they must read the store
    store = build_store(work / "pages")
    html = store.read(article_page("health", SLUG)) or b""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        servers = start_servers(work, store, procs)
        served = {name: what_is_served(url, html) for name, (url, _) in servers.items()}
        for url, pids in servers.values():  # warm up caches
            wrk(url, seconds=1, servers=pids, threads=threads, headers=HEADERS)

        def load(url: str, pids: list[int]) -> Callable[[], dict[str, Any]]:
            return lambda: wrk(
                url, seconds=seconds, servers=pids, threads=threads,
                connections=CONNECTIONS, headers=HEADERS,
            ).figures()  # fmt: skip

        runs = interleave({name: load(*server) for name, server in servers.items()}, rounds)
    finally:
        for proc in procs:
            stop(proc)
    figures = {name: median([r["requests_per_second"] for r in rs]) for name, rs in runs.items()}
    return {
        "page_bytes": len(html),
        "gzip_bytes": (store.root / "health" / SLUG / "index.html.gz").stat().st_size,
        "seconds_per_run": seconds,
        "rounds": rounds,
        "request_headers": HEADERS,
        "served": served,
        "runs": runs,
        "req_per_s": figures,
        "gateway_vs_bare_nginx": ratio(figures["nginx gateway"], figures["bare nginx"]),
        "page_server_vs_fastapi": ratio(figures["page server"], figures["FastAPI FileResponse"]),
        "page_server_vs_staticfiles": ratio(
            figures["page server"], figures["Starlette StaticFiles"]
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s runs, 3 rounds")
    parser.add_argument("--seconds", type=int, default=None, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--threads", type=int, default=THREADS, help="wrk threads")
    args = parser.parse_args()
    result = measure(args.quick, args.seconds, args.rounds, args.threads)
    print(f"Article page: {result['page_bytes']} bytes of HTML, {result['gzip_bytes']} gzipped")
    for name, value in result["req_per_s"].items():
        runs = ", ".join(f"{r['requests_per_second']:,.0f}" for r in result["runs"][name])
        served = result["served"][name]
        print(f"  {name:<22} {value:>9,.0f} req/s (median; runs {runs}); sends "
              f"{served['content_encoding']} {served['body_bytes']} B")  # fmt: skip
        print(f"  {'':<22} {describe_load(load_check(result['runs'][name]))}")
    print(f"  gateway / bare nginx           {result['gateway_vs_bare_nginx']:.2f}x (>= 0.90x)")
    print(f"  page server / FastAPI          {result['page_server_vs_fastapi']:.2f}x (>= 1.50x)")
    print(
        f"  page server / StaticFiles      {result['page_server_vs_staticfiles']:.2f}x (>= 1.50x)"
    )


if __name__ == "__main__":
    main()
