"""Shared pieces of the OpenAPI document: problem+json answers with examples."""

from __future__ import annotations

from typing import Any

from shared.problems import PROBLEM_JSON

_EXAMPLES: dict[int, tuple[str, str, str]] = {
    304: ("Not modified", "", "Your copy (If-None-Match) is current; no body."),
    401: ("Unauthorized", "Unauthorized", "Send an API token as `Authorization: Bearer <token>`."),
    403: ("Forbidden", "Forbidden", "This needs the admin role; your token has editor."),
    404: ("Not found", "Not found", "No article 42."),
    409: (
        "Conflict",
        "Conflict",
        "You edited version 3, but the article is now at version 4; reload it and apply "
        "your change again.",
    ),
    413: (
        "Content too large",
        "Content too large",
        "The body is 1200000 bytes; the limit is 1000000 bytes.",
    ),
    422: ("Unprocessable content", "Unprocessable content", "The request did not validate."),
    429: (
        "Too many requests",
        "Too many requests",
        "Too many requests from this client; retry in 12 s.",
    ),
    428: (
        "Precondition required",
        "Precondition required",
        "Send the version you are editing, as If-Match or a `version` field.",
    ),
    503: (
        "Service unavailable",
        "Service unavailable",
        "A backing service (database or Redis) is not answering; try again shortly.",
    ),
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these statuses, each with a problem+json example."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, title, detail = _EXAMPLES[status]
        if status == 304:
            out[status] = {"description": detail}
            continue
        example: dict[str, Any] = {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": "/api/v1/articles/42",
        }
        if status == 409:
            example["current_version"] = 4
        out[status] = {
            "description": description,
            "content": {PROBLEM_JSON: {"example": example}},
        }
    return out


EDITOR = (401, 403, 422)


def page_too_deep() -> dict[int | str, dict[str, Any]]:
    """The 404 of a list page past the deepest one served (page x per_page)."""
    return {
        404: {
            "description": "A page past the deepest one served (page x per_page > 10,000).",
            "content": {
                PROBLEM_JSON: {
                    "example": {
                        "type": "about:blank",
                        "title": "Not found",
                        "status": 404,
                        "detail": "No such page: lists go as deep as result 10,000 "
                        "(page x per_page); narrow the query (updated_since, category, tag) "
                        "to go further.",
                        "instance": "/api/v1/content/articles",
                    }
                }
            },
        }
    }
