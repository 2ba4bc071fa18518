"""The yardsticks for the page server, written as a FastAPI user would write them.

Run by bench/pages.py with BENCH_PAGE_STORE set:

- ``uvicorn --factory bench.baseline_files:create_app``: an ``async def`` route returning a
  ``FileResponse``. Like the page server it sends the store's pre-gzipped copy (written
  beside every page, always before the page itself: PageStore.write) with
  ``Content-Encoding: gzip`` when the client accepts gzip, so both send the same bytes.
- ``uvicorn --factory bench.baseline_files:create_static_app``: Starlette's ``StaticFiles``
  mounted with ``html=True``, what a FastAPI user reaches for first. It has no support for
  pre-compressed files, so it sends the page uncompressed: that is what a user gets.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles


def _root() -> Path:
    return Path(os.environ["BENCH_PAGE_STORE"]).resolve()


async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")


def create_app() -> FastAPI:
    root = _root()
    app = FastAPI()
    app.get("/healthz")(healthz)

    @app.get("/{category}/{slug}")
    async def page(category: str, slug: str, request: Request) -> FileResponse:
        page = root / category / slug / "index.html"
        if "gzip" in request.headers.get("accept-encoding", ""):
            return FileResponse(
                page.with_name("index.html.gz"),
                media_type="text/html; charset=utf-8",
                headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
            )
        return FileResponse(page, media_type="text/html; charset=utf-8")

    return app


def create_static_app() -> FastAPI:
    app = FastAPI()
    app.get("/healthz")(healthz)
    app.mount("/", StaticFiles(directory=_root(), html=True), name="site")
    return app
