"""The benchmark's yardstick: a plain FastAPI endpoint doing one Redis HINCRBY per request.

Run by bench/beacons.py as ``uvicorn --factory bench.baseline_app:create_app`` with
BENCH_REDIS_URL set; it answers the same path the beacon does.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI, Request


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = aioredis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
        yield
        await app.state.redis.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/api/v1/views/{article_id}", status_code=202)
    async def beacon(article_id: int, request: Request) -> dict[str, str]:
        await request.app.state.redis.hincrby("bench:baseline", str(article_id), 1)
        return {"status": "counted"}

    return app
