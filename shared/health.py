"""/healthz (the process is alive) and /readyz (its database and Redis answer)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from shared.problems import Problem


def add_health_routes(app: FastAPI, service: str, *checks: Callable[[], None]) -> None:
    """`service` names the process in /healthz, so that a supervisor (or an operator) can
    tell that a port answers as the service it expects, not as whatever else bound it."""

    @app.get("/healthz", tags=["health"], include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["health"], include_in_schema=False)
    async def readyz() -> dict[str, str]:
        for check in checks:
            try:
                await run_in_threadpool(check)
            except Exception as exc:
                raise Problem(503, f"Not ready: {exc}", headers={"Retry-After": "2"}) from exc
        return {"status": "ready"}
