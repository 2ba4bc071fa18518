"""Public page reads, req/s: the embedded page server, the nginx gateway and bare nginx
serving the same article file, plus a plain FastAPI FileResponse endpoint as the page
server's yardstick.

    python -m bench.pages [--quick]

All four serve one rendered sample article (the osteoporosis explainer) from the same page
store. The gateway is the compose nginx configuration (deploy/nginx/default.conf.template);
bare nginx is a minimal `root` + `try_files` server; both run one worker process. wrk sends
`Accept-Encoding: gzip`, as browsers do. Runs are interleaved; figures are medians.
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

from bench.tools import (
    ensure_debian_package,
    interleave,
    median,
    ratio,
    run_wrk,
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

PATH = "/health/is-osteoporosis-an-autoimmune-disease"

BARE_SERVER = """
server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ try_files $uri/index.html $uri =404; }}
}}
"""


def build_store(root: Path) -> PageStore:
    _, articles = read_sample()
    sample = next(a for a in articles if a.slug == "is-osteoporosis-an-autoimmune-disease")
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


def start_nginx(prefix: Path, server_conf: str) -> subprocess.Popen[bytes]:
    nginx = ensure_debian_package("nginx")
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "healthhub.conf").write_text(server_conf)
    conf = prefix / "nginx.conf"
    conf.write_text(MAIN_CONF.format(prefix=prefix.resolve(), mime_types="/etc/nginx/mime.types"))
    return subprocess.Popen([nginx, "-c", str(conf), "-p", str(prefix)], stderr=subprocess.DEVNULL)


def measure(quick: bool = False) -> dict[str, Any]:
    seconds, rounds = (2.0, 3) if quick else (5.0, 5)
    work = Path(tempfile.mkdtemp(prefix="hh-bench-pages-"))
    work.chmod(0o755)  # nginx workers run as an unprivileged user: they must read the store
    store = build_store(work / "pages")
    size = len(store.read(article_page("health", PATH.rsplit("/", 1)[1])) or b"")
    env = {
        **os.environ,
        "HEALTHHUB_PAGE_STORE_DIR": str(store.root),
        "BENCH_PAGE_STORE": str(store.root),
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        pages_proc, pages = start_uvicorn("services.render.pageserver:create_app", env)
        procs.append(pages_proc)
        fastapi_proc, fastapi = start_uvicorn("bench.baseline_files:create_app", env)
        procs.append(fastapi_proc)
        gw_port, bare_port = free_port(), free_port()
        gw_conf = write_nginx_config(
            work / "gateway", port=gw_port, page_store=store.root,
            pages=pages.removeprefix("http://"), articles="127.0.0.1:9", views=["127.0.0.1:9"],
        )  # fmt: skip
        procs.append(
            subprocess.Popen(
                [ensure_debian_package("nginx"), "-c", str(gw_conf), "-p", str(gw_conf.parent)],
                stderr=subprocess.DEVNULL,
            )
        )
        procs.append(
            start_nginx(work / "bare", BARE_SERVER.format(port=bare_port, root=store.root))
        )
        gateway, bare = f"http://127.0.0.1:{gw_port}", f"http://127.0.0.1:{bare_port}"
        wait_until_up(gateway + PATH)
        wait_until_up(bare + PATH)
        headers = {"Accept-Encoding": "gzip"}
        urls = {
            "page server": pages,
            "nginx gateway": gateway,
            "bare nginx": bare,
            "FastAPI FileResponse": fastapi,
        }
        for base in urls.values():  # warm up caches
            run_wrk(base + PATH, seconds=1, headers=headers)

        def load(base: str) -> Callable[[], float]:
            return lambda: (
                run_wrk(base + PATH, seconds=seconds, headers=headers).requests_per_second
            )

        runs = interleave({name: load(base) for name, base in urls.items()}, rounds)
    finally:
        for proc in procs:
            stop(proc)
    figures = {name: median(values) for name, values in runs.items()}
    return {
        "page_bytes": size,
        "runs": runs,
        "req_per_s": figures,
        "gateway_vs_bare_nginx": ratio(figures["nginx gateway"], figures["bare nginx"]),
        "page_server_vs_fastapi": ratio(figures["page server"], figures["FastAPI FileResponse"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    result = measure(parser.parse_args().quick)
    print(f"Article page: {result['page_bytes']} bytes of HTML")
    for name, value in result["req_per_s"].items():
        print(
            f"  {name:<22} {value:>10,.0f} req/s   (runs: {', '.join(f'{v:,.0f}' for v in result['runs'][name])})"
        )
    print(f"  gateway / bare nginx      {result['gateway_vs_bare_nginx']:.2f}x   (target >= 0.90x)")
    print(
        f"  page server / FastAPI     {result['page_server_vs_fastapi']:.2f}x   (target >= 1.50x)"
    )


if __name__ == "__main__":
    main()
