"""Every state-changing editor route, listed from the app itself: each checks the session's
CSRF token and origin, and a reviewer cannot do what the API keeps for editors. A POST route
added later without the check fails here, whatever it is called."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from services.articles.app import create_app
from services.articles.editor import deps
from services.articles.settings import ArticlesSettings
from tests.articles.editor.conftest import add_user, page_token, sign_in
from tests.helpers import auth, create_article, make_token

# Sign-in checks its own double-submit token (no session exists yet): test_sign_in.py.
OWN_CHECK = {("POST", "/editor/sign-in")}


def api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """(full path, route) of every APIRoute, also inside included routers: FastAPI keeps an
    included router as a wrapper holding it and the prefix it was included with."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            inner = prefix + route.include_context.prefix
            # A router included with dependencies would hide a check from route.dependant.
            assert not route.include_context.dependencies, "check router-level dependencies"
            found += api_routes(route.original_router.routes, inner)
    return found


def change_routes(settings: ArticlesSettings) -> list[tuple[str, str, APIRoute]]:
    return [
        (method, path, route)
        for path, route in api_routes(create_app(settings).routes)
        if path.startswith("/editor")
        for method in sorted((route.methods or set()) - {"GET", "HEAD"})
    ]


def depends_on(dependant: Any, call: Any) -> bool:
    return any(d.call is call or depends_on(d, call) for d in dependant.dependencies)


def concrete(path: str, article_id: int) -> str:
    return re.sub(r"\{[^}]+\}", str(article_id), path)


def test_every_change_route_depends_on_the_csrf_check(settings: ArticlesSettings) -> None:
    routes = change_routes(settings)
    paths = {path for _, path, _ in routes}
    # Not vacuous: the routes of every part of the editor are in the list.
    for expected in ("/editor/articles/{article_id}/schedule", "/editor/articles/new",
                     "/editor/articles/{article_id}/submit", "/editor/admin/tokens",
                     "/editor/sign-out"):  # fmt: skip
        assert expected in paths, expected
    unchecked = [
        (m, p) for m, p, r in routes
        if (m, p) not in OWN_CHECK and not depends_on(r.dependant, deps.signed_in)
    ]  # fmt: skip
    assert unchecked == []


def test_every_change_route_refuses_a_post_without_the_token_or_from_a_bad_origin(
    settings: ArticlesSettings, client: TestClient
) -> None:
    token = make_token(settings, "editor")
    article = create_article(client, token, title="Gout and diet")
    add_user(settings, "root@example.org", role="admin")
    assert sign_in(client, "root@example.org").status_code == 303
    csrf = page_token(client)
    for method, path, _ in change_routes(settings):
        if (method, path) in OWN_CHECK:
            continue
        url = concrete(path, article["id"])
        bare = client.request(method, url, data={"version": "1"})
        assert bare.status_code == 403 and "Request refused" in bare.text, (method, path)
        forged = client.request(
            method, url, data={"csrf_token": csrf, "version": "1"},
            headers={"Origin": "http://[::1"},
        )  # fmt: skip
        assert forged.status_code == 403 and "Request refused" in forged.text, (method, path)
    after = client.get(f"/api/v1/articles/{article['id']}", headers=auth(token)).json()
    assert (after["version"], after["status"]) == (1, "draft")  # nothing changed


WRITER_ROUTES = [
    "/editor/articles/new",
    "/editor/articles/{id}/edit",
    "/editor/articles/{id}/publish",
    "/editor/articles/{id}/schedule",
    "/editor/articles/{id}/unpublish",
    "/editor/articles/{id}/archive",
    "/editor/articles/{id}/delete",
    "/editor/articles/{id}/submit",
    "/editor/articles/{id}/revisions/1/restore",
]


@pytest.mark.parametrize("path", WRITER_ROUTES)
def test_a_reviewer_cannot_write_publish_or_restore(
    settings: ArticlesSettings, client: TestClient, path: str
) -> None:
    """The API gives these to editor tokens only: a reviewer's valid form is a 403 page."""
    token = make_token(settings, "editor")
    article = create_article(client, token, title="Gout and diet")
    add_user(settings, "rev@example.org", role="reviewer")
    assert sign_in(client, "rev@example.org").status_code == 303
    csrf = page_token(client)
    response = client.post(
        path.replace("{id}", str(article["id"])),
        data={"csrf_token": csrf, "version": "1", "title": "Changed", "category": "health"},
    )
    assert response.status_code == 403, response.text
    assert "Not allowed" in response.text
    after = client.get(f"/api/v1/articles/{article['id']}", headers=auth(token)).json()
    assert (after["version"], after["title"]) == (1, "Gout and diet")
