"""The OpenAPI document says what the problem handlers answer (shared by every API).

FastAPI documents a 422 as ``application/json`` with its own validation-error shape, but
every error here is answered as problem+json (shared/problems.py); and a request body that
cannot be read at all (not UTF-8) is answered 400 by FastAPI before any validation. The
document is corrected once, here, so a client generated from it (or schemathesis checking
answers against it) meets what the service really sends. Operations that already document
a status as problem+json (with their own example) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from shared.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem; validation errors add `errors`.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}
UNREADABLE_BODY = "The body could not be read (not UTF-8 text)."
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def problem_content(status: int, detail: str) -> dict[str, Any]:
    title = HTTPStatus(status).phrase
    example = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA, "example": example}}


def correct_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx documented as problem+json; a 400 on every operation that takes a body."""
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if "requestBody" in operation and "400" not in responses:
                responses["400"] = {
                    "description": UNREADABLE_BODY,
                    "content": problem_content(400, UNREADABLE_BODY),
                }
            for status, response in responses.items():
                if not status.startswith("4"):
                    continue
                content = response.get("content")
                if content is None or set(content) == {"application/json"}:
                    detail = response.get("description") or "See the problem's detail."
                    response["content"] = problem_content(int(status), detail)
    return document


def install_problem_openapi(app: FastAPI) -> None:
    """Correct the app's OpenAPI document (built once, on first request, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = correct_problem_responses(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
