"""Draft previews: the articles API asks a real render worker process for the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.articles import preview
from services.articles.settings import ArticlesSettings
from services.render.settings import RenderSettings
from tests.helpers import (
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
    seed_categories,
)
from tests.render.workers import render_workers


@pytest.fixture
def client(articles_settings: ArticlesSettings) -> Iterator[TestClient]:
    seed_categories(articles_settings)
    with articles_client(articles_settings) as c:
        yield c


@pytest.mark.e2e
def test_an_editor_previews_a_draft_rendered_with_the_site_templates(
    client: TestClient, articles_settings: ArticlesSettings, render_settings: RenderSettings
) -> None:
    token = make_token(articles_settings)
    draft = create_article(
        client, token, title="Draft about <b>bones</b>", category="bones-and-joints",
        body="## Calcium\n\nEnough.\n\n<script>alert(1)</script>\n",
    )  # fmt: skip
    with render_workers(render_settings):
        response = client.get(f"/api/v1/articles/{draft['id']}/preview", headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert "<h1>Draft about &lt;b&gt;bones&lt;/b&gt;</h1>" in html
    assert 'aria-label="Breadcrumb"' in html and ">Bones and joints</a>" in html
    assert 'href="#calcium"' in html  # table of contents
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "/api/v1/views/" not in html  # a preview sends no view beacon
    assert "<script>alert(1)" not in html  # escaped to text, never run
    written = [p for p in render_settings.page_store_dir.rglob("*") if p.is_file()]
    assert written == []  # nothing reaches the page store


def test_preview_needs_an_editor_token(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/articles/1/preview"), 401)
    bad = client.get("/api/v1/articles/1/preview", headers=auth("not-a-token"))
    assert bad.status_code in (401, 403)


def test_preview_of_a_missing_or_malformed_article_is_a_problem(
    client: TestClient, articles_settings: ArticlesSettings
) -> None:
    token = make_token(articles_settings)
    assert_problem(client.get("/api/v1/articles/999/preview", headers=auth(token)), 404)
    assert_problem(client.get("/api/v1/articles/abc/preview", headers=auth(token)), 422)


def test_without_a_render_worker_the_preview_is_503_not_a_hang(
    client: TestClient, articles_settings: ArticlesSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shorter wait keeps the test quick; the behaviour is the same at 10 s.
    monkeypatch.setattr(preview, "PREVIEW_TIMEOUT_SECONDS", 1)
    token = make_token(articles_settings)
    draft = create_article(client, token)
    response = client.get(f"/api/v1/articles/{draft['id']}/preview", headers=auth(token))
    problem = assert_problem(response, 503)
    assert "preview" in problem["detail"]
