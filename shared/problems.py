"""problem+json (RFC 9457) answers, installed on every service's FastAPI app in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisOutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("healthhub.problems")

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class BodyTooLargeError(Exception):
    """Raised while reading a request body that exceeds the service's limit (413)."""


class Problem(Exception):
    """An error with an HTTP status, raised by routes or mapped from domain exceptions."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update(extra or {})
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        out.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


DomainMapper = Callable[[Exception], Problem]
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405: every method some route serves on this path. Starlette
    names only the first route that matched the path, but one path often has a route per
    method (GET and POST on a collection), and a client must learn all of them. Each method
    is asked of the router as a request would be, so included routers are covered too."""
    routes = request.app.router.routes
    methods = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return ", ".join(methods)


def install_problem_handlers(
    app: FastAPI, domain: Mapping[type[Exception], DomainMapper] | None = None
) -> None:
    """Map every error to problem+json: HTTP errors, validation errors, domain errors, the rest."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        log.info(
            "problem %s on %s %s: %s", exc.status, request.method, request.url.path, exc.detail
        )
        return problem_response(
            request, exc.status, exc.detail, title=exc.title, extra=exc.extra, headers=exc.headers
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        log.info(
            "http %s on %s %s: %s", exc.status_code, request.method, request.url.path, exc.detail
        )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem_response(request, exc.status_code, str(exc.detail), headers=headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _jsonable_errors(exc.errors())
        log.info("invalid request on %s %s: %s", request.method, request.url.path, errors)
        return problem_response(
            request, 422, "The request did not validate.", extra={"errors": errors}
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "An unexpected error occurred; it has been logged.")

    async def on_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("dependency unavailable on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(
            request,
            503,
            "A backing service (database or Redis) is not answering; try again shortly.",
            headers={"Retry-After": "2"},
        )

    async def on_too_large(request: Request, exc: Exception) -> JSONResponse:
        log.info("body too large on %s %s", request.method, request.url.path)
        return problem_response(request, 413, str(exc))

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(BodyTooLargeError, on_too_large)
    # A Redis at its maxmemory (noeviction) refuses writes: the service is full, not broken.
    unavailable_errors = (
        OperationalError, RedisConnectionError, RedisTimeoutError, RedisOutOfMemoryError
    )  # fmt: skip
    for unavailable in unavailable_errors:
        app.add_exception_handler(unavailable, on_unavailable)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    for exc_type, mapper in (domain or {}).items():

        def make_handler(mapper: DomainMapper) -> Callable[[Request, Exception], Any]:
            async def handler(request: Request, exc: Exception) -> JSONResponse:
                return await on_problem(request, mapper(exc))

            return handler

        app.add_exception_handler(exc_type, make_handler(mapper))
    app.add_exception_handler(Exception, on_unexpected)
