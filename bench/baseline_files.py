"""The yardstick for the page server: a plain FastAPI endpoint returning a FileResponse.

Run by bench/pages.py as ``uvicorn --factory bench.baseline_files:create_app`` with
BENCH_PAGE_STORE set.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, PlainTextResponse


def create_app() -> FastAPI:
    root = Path(os.environ["BENCH_PAGE_STORE"]).resolve()
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/{category}/{slug}")
    def page(category: str, slug: str) -> FileResponse:
        return FileResponse(root / category / slug / "index.html", media_type="text/html")

    return app
