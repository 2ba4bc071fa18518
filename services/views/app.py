"""create_app(): the views API (beacon and counts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import redis as sync_redis
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text

from services.views import beacon, bots, buffer, devices, metrics, readers, redisclient, service
from services.views.fastpath import ViewsAPI
from services.views.routes import router
from services.views.routes_analytics import router as analytics_router
from services.views.settings import ViewsSettings, get_settings
from shared.db import Database
from shared.health import add_health_routes
from shared.http_metrics import install_observability
from shared.limits import BodySizeLimit
from shared.logs import configure_logging
from shared.openapi import install_problem_openapi
from shared.problems import Problem, install_problem_handlers


def _utcnow() -> datetime:
    return datetime.now(UTC)


def limits_of(settings: ViewsSettings) -> buffer.Limits:
    return buffer.Limits(
        window_seconds=settings.dedupe_window_seconds,
        reader_per_minute=settings.rate_limit_per_minute,
        address_per_minute=settings.address_rate_limit_per_minute,
        readers_per_address=settings.readers_per_address,
    )


def create_app(
    settings: ViewsSettings | None = None,
    clock: Callable[[], datetime] = _utcnow,
    *,
    fast_path: bool = True,
) -> FastAPI:
    """The views API. ``fast_path=False`` leaves the beacon to the FastAPI routes alone (the
    tests run the beacon rules through both, to prove they agree)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, as_json=settings.log_json, service="views-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings.views_database_url)
        # A beacon's round trip takes a millisecond; a frozen Redis costs the beacons in
        # flight this timeout, then the recorder's breaker refuses the rest at once.
        app.state.redis = redisclient.client(
            settings.views_redis_url,
            socket_timeout=settings.beacon_redis_timeout_seconds,
            socket_connect_timeout=settings.beacon_redis_timeout_seconds,
        )
        # The bot matcher and the device parser compile their rules on first use (about
        # 0.2 s): done here, so the first beacons after a start do not wait for it.
        bots.matcher()
        devices.warm()
        app.state.beacon = beacon.BeaconContext(
            settings=settings,
            clock=clock,
            salt=service.DailySalt(),
            client_address=readers.ClientAddress(settings.trusted_proxies),
            recorder=service.ViewRecorder(app.state.redis, limits=limits_of(settings)),
        )
        yield
        await app.state.redis.aclose()
        app.state.db.dispose()

    app = ViewsAPI(
        title="HealthHub views API",
        version="1.0",
        summary="Count page views exactly and privately; read per-article counts.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.fast_path = fast_path
    app.max_body_bytes = settings.max_beacon_bytes
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_beacon_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization"],
        max_age=3600,
    )
    install_problem_handlers(app, {service.UnknownArticle: lambda e: Problem(404, str(e))})
    install_problem_openapi(app)

    def db_ready() -> None:
        with app.state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def redis_ready() -> None:
        sync_redis.Redis.from_url(settings.views_redis_url, socket_timeout=1).ping()

    add_health_routes(app, "views", db_ready, redis_ready)
    install_observability(
        app,
        "views",
        metrics.producer(
            lambda: app.state.db,
            settings.views_redis_url,
            lambda: app.state.beacon.outcomes if hasattr(app.state, "beacon") else {},
        ),
    )
    # Analytics first: /{id}/breakdown and /{id}/daily.csv before the counts' /{id} routes.
    app.include_router(analytics_router)
    app.include_router(router)
    return app
