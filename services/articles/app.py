"""create_app(): the articles API (editor API and public content API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis as sync_redis
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.articles import errors, metrics, outbox
from services.articles.deps import Clock, utcnow
from services.articles.editor.app import install as install_editor
from services.articles.media import errors as media_errors
from services.articles.media.routes import media_router
from services.articles.people_routes import people_router
from services.articles.preview import preview_router
from services.articles.review_routes import review_router
from services.articles.revision_routes import revision_router
from services.articles.routes import editor_router, public_router
from services.articles.settings import ArticlesSettings, get_settings
from services.articles.taxonomy_routes import taxonomy_router
from services.articles.token_routes import token_router
from services.articles.worker import create_celery
from shared.clients import ClientAddress
from shared.db import Database
from shared.health import add_health_routes
from shared.http_metrics import install_observability
from shared.limits import BodySizeLimit
from shared.logs import configure_logging
from shared.openapi import install_problem_openapi
from shared.problems import Problem, install_problem_handlers
from shared.ratelimit import PublicRateLimit, RateLimiter


def _conflict(exc: Exception) -> Problem:
    if isinstance(exc, errors.StaleVersion):
        return Problem(409, str(exc), extra={"current_version": exc.current})
    return Problem(409, "Someone else saved this article at the same moment; reload and retry.")


DOMAIN_ERRORS = {
    errors.ArticleNotFound: lambda e: Problem(404, str(e)),
    errors.CategoryNotFound: lambda e: Problem(422, str(e)),
    errors.SlugTaken: lambda e: Problem(409, str(e)),
    errors.StaleVersion: _conflict,
    StaleDataError: _conflict,
    errors.VersionRequired: lambda e: Problem(428, str(e), title="Precondition required"),
    errors.BodyTooLarge: lambda e: Problem(413, str(e)),
    errors.InvalidTransition: lambda e: Problem(409, str(e)),
    errors.CategoryUnknown: lambda e: Problem(404, str(e)),
    errors.CategoryInUse: lambda e: Problem(409, str(e)),
    errors.RevisionNotFound: lambda e: Problem(404, str(e)),
    errors.RevisionNotRestorable: lambda e: Problem(409, str(e), extra={"fields": e.fields}),
    errors.TokenNotFound: lambda e: Problem(404, str(e)),
    errors.PageTooDeep: lambda e: Problem(404, str(e)),
    errors.UnknownCitation: lambda e: Problem(422, str(e), extra={"missing": e.missing}),
    errors.FootnoteDefinitionInBody: lambda e: Problem(422, str(e)),
    errors.CategorySlugTaken: lambda e: Problem(409, str(e)),
    errors.CategoryCycle: lambda e: Problem(422, str(e)),
    media_errors.MediaNotFound: lambda e: Problem(404, str(e)),
    media_errors.UnknownMedia: lambda e: Problem(422, str(e)),
    media_errors.NotAnImage: lambda e: Problem(415, str(e), title="Unsupported media type"),
    media_errors.ImageTooLarge: lambda e: Problem(422, str(e)),
    media_errors.FileTooLarge: lambda e: Problem(413, str(e)),
    media_errors.MediaInUse: lambda e: Problem(
        409, str(e), extra={"articles": e.article_ids, "people": e.people}
    ),
    errors.PersonNotFound: lambda e: Problem(422, str(e)),
    errors.PersonUnknown: lambda e: Problem(404, str(e)),
    errors.PersonSlugTaken: lambda e: Problem(409, str(e)),
    errors.PersonInUse: lambda e: Problem(409, str(e)),
    errors.ReviewRequired: lambda e: Problem(409, str(e), title="Medical review required"),
    errors.OverrideNotAllowed: lambda e: Problem(403, str(e)),
    errors.ReviewerUnlinked: lambda e: Problem(403, str(e)),
    # 409: the request is fine; the category's rule (review records decide) refuses it.
    errors.LegacyReviewField: lambda e: Problem(409, str(e)),
    errors.NoteRequired: lambda e: Problem(422, str(e)),
    errors.NotATypo: lambda e: Problem(422, str(e), title="Not a typo-only edit"),
    errors.ReviewerIsAuthor: lambda e: Problem(409, str(e), title="Reviewer is an author"),
    # The service checks uniqueness first; this catches the race between two requests that
    # both passed the check (PostgreSQL; SQLite serialises writers).
    IntegrityError: lambda e: Problem(
        409, "This conflicts with a change saved at the same moment (e.g. the same slug); retry."
    ),
}


def create_app(settings: ArticlesSettings | None = None, clock: Clock = utcnow) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, as_json=settings.log_json, service="articles-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings.articles_database_url)
        app.state.celery = create_celery(settings)
        app.state.breaker = outbox.BrokerBreaker()
        app.state.dispatcher = outbox.Dispatcher(
            app.state.db, app.state.celery, app.state.breaker, settings.publish_send_wait_seconds
        )
        app.state.warm_up = app.state.dispatcher.warm_up()
        yield
        app.state.dispatcher.close()
        app.state.db.dispose()

    app = FastAPI(
        title="HealthHub articles API",
        version="1.0",
        summary="Write, revise and publish health articles; read what is published.",
        lifespan=lifespan,
        # No redirect for a trailing slash: Starlette's would be an absolute URL built from
        # the request's Host header (a redirect to wherever the client says we live).
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.clock = clock
    # JSON escaping can double a body's size; the service checks the Markdown itself at 1 MB.
    # An image upload has a limit of its own (multipart framing and the alt text on top).
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes * 2 + 64_000,
        path_limits={"/api/v1/media": settings.media_max_bytes + 64_000},
    )
    app.add_middleware(
        PublicRateLimit,
        client_address=ClientAddress(settings.trusted_proxies),
        content=RateLimiter(settings.content_rate_limit_per_minute),
        search=RateLimiter(settings.search_rate_limit_per_minute),
    )
    install_problem_handlers(app, DOMAIN_ERRORS)
    install_problem_openapi(app)

    def ready() -> None:
        with app.state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        sync_redis.Redis.from_url(
            settings.broker_url, socket_timeout=1, socket_connect_timeout=1
        ).ping()

    add_health_routes(app, "articles", ready)
    install_observability(
        app,
        "articles",
        metrics.producer(lambda: app.state.db, settings.broker_url, lambda: app.state.clock()),
    )
    app.include_router(editor_router)
    app.include_router(public_router)
    app.include_router(preview_router)
    app.include_router(revision_router)
    app.include_router(taxonomy_router)
    app.include_router(token_router)
    app.include_router(media_router)
    app.include_router(people_router)
    app.include_router(review_router)
    install_editor(app, settings)
    return app
