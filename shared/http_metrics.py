"""Request ids, HTTP metrics and /metrics for every API (FastAPI middleware and route).

Request ids: taken from ``X-Request-ID`` (the gateway sets one) or made up, returned in the
response, put on every log line, and carried into the Celery tasks a request sends
(see shared.celery), so one id follows a publish from the editor's call to the render.
Apart from shared.observability so that workers, which serve no HTTP API, never import
FastAPI, which each would otherwise hold in memory for nothing
(tests/shared/test_worker_imports.py keeps it so).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import request_id_var
from shared.observability import StateCollector

REQUEST_ID_HEADER = b"x-request-id"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, service: str, registry: CollectorRegistry) -> None:
        self.app = app
        self.service = service
        self.requests = Counter(
            "healthhub_http_requests", "HTTP requests by route and status",
            ["service", "method", "route", "status"], registry=registry,
        )  # fmt: skip
        self.latency = Histogram(
            "healthhub_http_request_seconds", "HTTP request latency by route",
            ["service", "method", "route"], registry=registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for name, value in scope.get("headers", []):
            if name == REQUEST_ID_HEADER:
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or uuid.uuid4().hex
        token = request_id_var.set(rid)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.requests.labels(self.service, method, path, str(status)).inc()
            self.latency.labels(self.service, method, path).observe(time.perf_counter() - start)
            request_id_var.reset(token)


def install_observability(
    app: FastAPI, service: str, produce: Callable[[], Iterable[Metric]] | None = None
) -> CollectorRegistry:
    registry = CollectorRegistry()
    if produce is not None:
        registry.register(StateCollector(produce))
    app.add_middleware(ObservabilityMiddleware, service=service, registry=registry)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return registry
