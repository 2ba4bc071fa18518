"""A category edit reaches every page that shows it, and only those, through the real flow:
the articles API (its outbox) → Celery on a real Redis → real render worker processes → the
page store; a category slug change leaves 301s, served by the page server (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from services.render.pageserver import PageServer
from services.render.settings import RenderSettings
from services.render.store import PageStore
from tests.e2e.stack import wait_for
from tests.helpers import articles_client, auth, create_article, make_token, seed_categories
from tests.render.workers import render_workers, wait_until_render_work_is_done

pytestmark = pytest.mark.e2e

BONES = "bones-and-joints"


@pytest.fixture
def render(render_settings: RenderSettings) -> RenderSettings:
    # Two cards a page: the bones category (three articles) gets archive pages.
    return render_settings.model_copy(update={"listing_page_size": 2})


@pytest.fixture
def articles(articles_settings: ArticlesSettings) -> ArticlesSettings:
    seed_categories(articles_settings)
    return articles_settings


@pytest.fixture
def pages(render: RenderSettings) -> Iterator[TestClient]:
    with TestClient(PageServer(render.page_store_dir)) as client:
        yield client


def read(root: Path, rel: str) -> str:
    path = root / rel
    return path.read_text() if path.exists() else ""


def crumbs(html: str) -> list[str]:
    found = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S)
    return re.findall(r">([^<>]+)</a>", found.group(0)) if found else []


def nav(html: str) -> list[str]:
    found = re.search(r'<nav aria-label="Categories">.*?</nav>', html, re.S)
    return re.findall(r">([^<>]+)</a>", found.group(0)) if found else []


def card_categories(html: str) -> set[str]:
    return set(re.findall(r'<a class="category" href="/[^"]+">([^<]+)</a><h3>', html))


def heading(html: str) -> str:
    found = re.search(r"<h1[^>]*>([^<]*)</h1>", html)
    return found.group(1) if found else ""


def publish(client: TestClient, token: str, **fields: Any) -> dict[str, Any]:
    article = create_article(client, token, **fields)
    response = client.post(
        f"/api/v1/articles/{article['id']}/publish",
        json={"version": article["version"]},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def mtimes(root: Path, rels: list[str]) -> dict[str, int]:
    return {rel: (root / rel).stat().st_mtime_ns for rel in rels}


def test_category_edits_reach_exactly_the_pages_that_show_the_category(
    articles: ArticlesSettings, render: RenderSettings, pages: TestClient
) -> None:
    root = render.page_store_dir
    editor = make_token(articles)
    admin = make_token(articles, role="admin", name="admin")
    with render_workers(render), articles_client(articles) as client:
        bones = [
            publish(client, editor, title=f"Bone fact {n}", category=BONES, tags=["bones"])
            for n in (1, 2, 3)
        ]
        food = publish(client, editor, title="Fibre facts", category="nutrition", tags=["diet"])
        bone_pages = [f"{BONES}/{a['slug']}/index.html" for a in bones]
        food_page = f"nutrition/{food['slug']}/index.html"
        untouched = [food_page, "nutrition/index.html", "tags/diet/index.html"]
        wait_for(
            "the site's first render",
            lambda: (
                all((root / p).exists() for p in [*bone_pages, *untouched])
                and (root / f"{BONES}/page/2/index.html").exists()
                and "Fibre facts" in read(root, "index.html")
                and nav(read(root, food_page)) == ["Health", "Nutrition"]
            ),
            timeout=90,
        )
        wait_until_render_work_is_done(render)  # the listings run after the last publish too
        before = mtimes(root, untouched)

        # --- rename and describe a sub-category: no navigation change ------------------
        renamed = client.patch(
            f"/api/v1/categories/{BONES}",
            json={"name": "Bones, joints and muscles", "description": "Keeping bones strong."},
            headers=auth(admin),
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "Bones, joints and muscles"
        assert renamed.headers["x-articles-updated"] == "3"
        new = "Bones, joints and muscles"

        def everything_shows_the_new_name() -> bool:
            landing = read(root, f"{BONES}/index.html")
            return (
                all(crumbs(read(root, p))[:3] == ["Home", "Health", new] for p in bone_pages)
                and heading(landing) == new
                and "Keeping bones strong." in landing
                and all(
                    heading(read(root, f"{BONES}/page/{n}/index.html")) == f"{new}: page {n}"
                    for n in (1, 2)
                )
                and card_categories(read(root, "health/index.html")) == {new}
                and card_categories(read(root, "tags/bones/index.html")) == {new}
                and new in card_categories(read(root, "index.html"))
            )

        wait_for("breadcrumbs, cards and the category page renamed", everything_shows_the_new_name)
        # Every render the rename caused has run: a wrong re-render would be on disk now.
        wait_until_render_work_is_done(render)
        assert mtimes(root, untouched) == before, "a page not showing the category was rendered"
        assert "Bone fact" not in read(root, "nutrition/index.html")

        # --- rename a top-level category: it is in the navigation on every page ---------
        top = client.patch(
            "/api/v1/categories/nutrition", json={"name": "Food and drink"}, headers=auth(admin)
        )
        assert top.status_code == 200, top.text
        wait_for(
            "the navigation of every page renamed",
            lambda: all(
                nav(read(root, p)) == ["Health", "Food and drink"]  # by slug
                for p in [*bone_pages, "index.html", f"{BONES}/index.html", food_page]
            ),
            timeout=90,
        )
        assert crumbs(read(root, food_page))[:2] == ["Home", "Food and drink"]
        # The check above can fail: a page that is rendered again gets a new mtime.
        assert mtimes(root, untouched) != before

        # --- change the sub-category's slug: every moved URL answers 301 ----------------
        moved = client.patch(
            f"/api/v1/categories/{BONES}",
            json={"slug": "bones-joints-muscles"},
            headers=auth(admin),
        )
        assert moved.status_code == 200, moved.text
        assert moved.headers["location"] == "/api/v1/categories/bones-joints-muscles"

        def old_urls_redirect() -> bool:
            answers = [
                pages.get(f"/{BONES}", follow_redirects=False),
                pages.get(f"/{BONES}/page/2", follow_redirects=False),
                *(pages.get(f"/{BONES}/{a['slug']}", follow_redirects=False) for a in bones),
            ]
            # The new pages are written as the articles move, one event each: during the move
            # an old archive page may already redirect to a new one not yet written.
            moved_pages = [f"bones-joints-muscles/page/{n}/index.html" for n in (1, 2)]
            return all(r.status_code == 301 for r in answers) and all(
                (root / p).exists() for p in moved_pages
            )

        wait_for("the old category URLs to redirect", old_urls_redirect, timeout=90)
        assert pages.get(f"/{BONES}", follow_redirects=False).headers["location"] == (
            "/bones-joints-muscles"
        )
        assert pages.get(f"/{BONES}/page/2", follow_redirects=False).headers["location"] == (
            "/bones-joints-muscles/page/2"
        )
        first = pages.get(f"/{BONES}/{bones[0]['slug']}", follow_redirects=False)
        assert first.headers["location"] == f"/bones-joints-muscles/{bones[0]['slug']}"
        followed = pages.get(f"/{BONES}/page/2")
        assert followed.status_code == 200 and heading(followed.text) == f"{new}: page 2"
        article = pages.get(f"/{BONES}/{bones[0]['slug']}")
        assert article.status_code == 200
        assert 'href="/bones-joints-muscles"' in article.text
        # The sitemap lists the new URLs only.
        sitemap = "".join(p.read_text() for p in root.glob("sitemap-articles-*.xml"))
        assert f"/bones-joints-muscles/{bones[0]['slug']}" in sitemap
        assert f"/{BONES}/" not in sitemap
        # An unknown former slug is still a plain 404.
        assert pages.get("/no-such-category", follow_redirects=False).status_code == 404


def test_category_edit_errors_are_problems(articles: ArticlesSettings) -> None:
    editor = make_token(articles)
    admin = make_token(articles, role="admin", name="admin")
    with articles_client(articles) as client:
        url = f"/api/v1/categories/{BONES}"
        assert client.patch(url, json={"name": "X"}, headers=auth(editor)).status_code == 403
        missing = client.patch("/api/v1/categories/nope", json={"name": "X"}, headers=auth(admin))
        assert missing.status_code == 404
        taken = client.patch(url, json={"slug": "nutrition"}, headers=auth(admin))
        assert taken.status_code == 409
        cycle = client.patch(
            "/api/v1/categories/health", json={"parent": BONES}, headers=auth(admin)
        )
        assert cycle.status_code == 422 and "sub-categories" in cycle.json()["detail"]
        unknown_parent = client.patch(url, json={"parent": "nope"}, headers=auth(admin))
        assert unknown_parent.status_code == 422
        for response in (missing, taken, cycle, unknown_parent):
            assert response.headers["content-type"].startswith("application/problem+json")
        top = client.patch(url, json={"parent": None}, headers=auth(admin))
        assert top.status_code == 200 and top.json()["parent"] is None
        # Nothing was published: nothing to re-send.
        assert top.headers["x-articles-updated"] == "0"


def test_the_page_server_redirects_only_category_pages_to_a_checked_slug(tmp_path: Path) -> None:
    store = PageStore(tmp_path / "pages")
    store.set_category_redirect("old-name", "new-name")
    store.write("new-name/index.html", b"<h1>New</h1>")
    (store.root / "_category_redirects" / "tampered").write_text("//evil.example/x")
    with TestClient(PageServer(store.root)) as client:

        def get(path: str) -> Any:
            return client.get(path, follow_redirects=False)

        assert get("/old-name").headers["location"] == "/new-name"
        assert get("/old-name/page/3").headers["location"] == "/new-name/page/3"
        assert get("/old-name/page/x").status_code == 404
        assert get("/old-name/other/3").status_code == 404
        assert get("/tampered").status_code == 404
        assert get("/_category_redirects/old-name").status_code == 404
        # A page that exists wins over a marker: the old slug reused by a new category.
        store.write("old-name/index.html", b"<h1>Reused</h1>")
        assert get("/old-name").status_code == 200
