"""Helpers of the admin-screen tests: an admin signed in, the API's view of things."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from tests.articles.editor.conftest import add_user, page_token, sign_in
from tests.helpers import auth

ADMIN = "root@example.org"


def sign_in_admin(settings: ArticlesSettings, client: TestClient) -> str:
    """Sign in an admin; the CSRF token of their session."""
    add_user(settings, ADMIN, role="admin", name="Root")
    assert sign_in(client, ADMIN).status_code == 303
    return page_token(client)


def api_get(client: TestClient, token: str, path: str) -> Any:
    response = client.get(path, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def assert_html(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    text: str = response.text
    assert text.count("<h1") == 1
    return text
