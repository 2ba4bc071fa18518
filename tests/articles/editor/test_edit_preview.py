"""The edit screen's live preview, rendered by a real render worker process."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from services.render.settings import RenderSettings
from tests.articles.editor.conftest import add_user, page_token, sign_in
from tests.helpers import auth, create_article, make_token
from tests.render.workers import render_workers

pytestmark = pytest.mark.e2e


def test_the_preview_shows_the_unsaved_form_in_a_sandboxed_frame(
    settings: ArticlesSettings, render_settings: RenderSettings, client: TestClient
) -> None:
    token = make_token(settings)
    article = create_article(client, token, title="Saved title", category="bones-and-joints")
    add_user(settings)
    sign_in(client)
    csrf = page_token(client)
    fields = {
        "title": "Unsaved <b>title</b>", "category": "bones-and-joints", "summary": "",
        "body": "## Typed heading\n\n<script>alert(1)</script>\n", "tags": "", "version": "1",
    }  # fmt: skip
    with render_workers(render_settings, kinds=("render-pages",)):
        edited = client.post(
            f"/editor/articles/{article['id']}/preview", data=fields,
            headers={"X-CSRF-Token": csrf},
        )  # fmt: skip
        new = client.post("/editor/articles/new/preview", data={**fields, "csrf_token": csrf})
    for response in (edited, new):
        assert response.status_code == 200, response.text
        assert (
            '<iframe class="preview-frame" title="Preview of the article page" sandbox="allow-same-origin" srcdoc="'
            in response.text
        )
        start = response.text.index('srcdoc="') + len('srcdoc="')
        page = html.unescape(response.text[start : response.text.index('"', start)])
        assert "<h1>Unsaved &lt;b&gt;title&lt;/b&gt;</h1>" in page
        assert 'id="typed-heading"' in page or "Typed heading</h2>" in page
        assert "<script>alert(1)" not in page
        assert "<style" not in page, page[:3000]
        link = re.search(
            r'<link rel="stylesheet" href="(/editor/preview-styles/[0-9a-f]{64}\.css)">', page
        )
        assert link, page[:3000]
        css = client.get(link[1])
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert "font:17px/1.6" in css.text
    assert (
        "<script" not in edited.text.split("srcdoc=")[1].split('"')[0]
    )  # escaped in the attribute
    after = client.get(f"/api/v1/articles/{article['id']}", headers=auth(token)).json()
    assert (after["title"], after["version"]) == ("Saved title", 1)
    assert client.get("/api/v1/articles", headers=auth(token)).json()["total"] == 1
