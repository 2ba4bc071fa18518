"""What the OpenAPI documents promise, each answer checked on its own (the schemathesis run
in tests/reliability/test_schemathesis.py finds these by fuzzing; these pin them down)."""

from __future__ import annotations

from typing import Any

import pytest

from services.articles.app import create_app as create_articles_app
from services.articles.settings import ArticlesSettings
from services.views.app import create_app as create_views_app
from services.views.auth import token_digest
from services.views.settings import ViewsSettings
from shared.problems import PROBLEM_JSON
from tests.helpers import articles_client, assert_problem, auth, make_token
from tests.views.builders import views_client

METHODS = {"get", "post", "put", "patch", "delete"}


def documented_methods(doc: dict[str, Any], path: str) -> set[str]:
    return {m.upper() for m in doc["paths"][path] if m in METHODS}


def test_a_405_allows_every_method_the_path_has(articles_settings: ArticlesSettings) -> None:
    doc = create_articles_app(articles_settings).openapi()
    with articles_client(articles_settings) as client:
        for path, probe in (
            ("/api/v1/articles", "/api/v1/articles"),
            ("/api/v1/articles/{article_id}", "/api/v1/articles/1"),
            ("/api/v1/categories", "/api/v1/categories"),
            ("/api/v1/tokens", "/api/v1/tokens"),
        ):
            response = client.request("PUT", probe)
            assert_problem(response, 405)
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert allowed == documented_methods(doc, path), path


@pytest.mark.parametrize("value", ["0.5", "1700000000", "2026-02-01", "2026-02-01T00:00:00"])
def test_updated_since_takes_only_an_rfc_3339_date_time(
    articles_settings: ArticlesSettings, value: str
) -> None:
    token = make_token(articles_settings)
    with articles_client(articles_settings) as client:
        params = {"updated_since": value}
        assert_problem(client.get("/api/v1/content/articles", params=params), 422)
        assert_problem(client.get("/api/v1/articles", params=params, headers=auth(token)), 422)
        ok = client.get(
            "/api/v1/content/articles", params={"updated_since": "2026-02-01T00:00:00Z"}
        )
        assert ok.status_code == 200


def test_every_4xx_and_a_400_for_unreadable_bodies_are_documented_as_problems(
    articles_settings: ArticlesSettings, views_settings: ViewsSettings
) -> None:
    for doc in (
        create_articles_app(articles_settings).openapi(),
        create_views_app(views_settings).openapi(),
    ):
        for item in doc["paths"].values():
            for method, op in item.items():
                if method not in METHODS:
                    continue
                if "requestBody" in op:
                    assert "400" in op["responses"], (method, op["summary"])
                for status, response in op["responses"].items():
                    if status.startswith("4"):
                        assert list(response["content"]) == [PROBLEM_JSON], (status, op["summary"])


def test_an_unreadable_body_is_the_documented_400(articles_settings: ArticlesSettings) -> None:
    token = make_token(articles_settings)
    with articles_client(articles_settings) as client:
        response = client.post(
            "/api/v1/articles",
            content=b"\xff\x05",
            headers={**auth(token), "Content-Type": "application/json"},
        )
        assert_problem(response, 400)


def test_views_top_refuses_other_methods_with_405_not_the_beacons_422(
    views_settings: ViewsSettings,
) -> None:
    with views_client(views_settings) as client:
        response = client.post("/api/v1/views/top")
        assert_problem(response, 405)
        assert response.headers["allow"] == "GET"
        # Any other malformed id still meets the beacon route and its validation.
        assert_problem(client.post("/api/v1/views/abc"), 422)


@pytest.mark.parametrize("query", ["to=0", "from=1&to=2026-03-01", "to=20260301"])
def test_analytics_dates_take_only_yyyy_mm_dd(views_settings: ViewsSettings, query: str) -> None:
    editor = "an-editor-token"
    settings = views_settings.model_copy(update={"editor_token_hashes": [token_digest(editor)]})
    with views_client(settings) as client:
        for path in ("breakdown", "daily.csv"):
            response = client.get(f"/api/v1/views/1/{path}?{query}", headers=auth(editor))
            assert_problem(response, 422)
