"""End to end, real processes: publish → page appears; beacons → the count grows."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.stack import Stack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("show_logs_on_failure")]


def create_and_publish(stack: Stack, token: str, **fields: object) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "title": "Is osteoporosis an autoimmune disease?",
        "category": "health",
        "summary": "How bone loss and autoimmunity meet.",
        "body": "## What osteoporosis is\n\nBones thin.\n\n## Autoimmunity\n\nA different process.\n",
        **fields,
    }
    created = httpx.post(
        f"{stack.articles}/api/v1/articles", json=body, headers=headers, timeout=10
    )
    assert created.status_code == 201, created.text
    article = created.json()
    published = httpx.post(
        f"{stack.articles}/api/v1/articles/{article['id']}/publish", headers=headers, timeout=10
    )
    assert published.status_code == 200, published.text
    data: dict[str, object] = published.json()
    return data


def page(stack: Stack, path: str) -> httpx.Response:
    return httpx.get(stack.pages + path, timeout=5, follow_redirects=False)


@pytest.mark.usefixtures("sample_site")
def test_publish_makes_the_page_appear_and_beacons_grow_its_count(
    stack: Stack, editor_token: str
) -> None:
    token = editor_token
    article = create_and_publish(stack, token, slug="e2e-loop", tags=["e2e"])
    path = str(article["path"])
    html = wait_for("the page", lambda: (r := page(stack, path)).status_code == 200 and r.text)
    assert "<h1>Is osteoporosis an autoimmune disease?</h1>" in html
    crumbs = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S)
    assert crumbs is not None
    assert re.findall(r">([^<>]+)</a>", crumbs.group(0)) == [
        "Home",
        "Health",
        "Is osteoporosis an autoimmune disease?",
    ]
    home = wait_for(
        "the home page to list it", lambda: path in page(stack, "/").text and page(stack, "/").text
    )
    assert "Latest articles" in home

    # Three readers (told apart by address, trusted from the local proxy) and one repeat.
    beacon = f"{stack.views}/api/v1/views/{article['id']}"
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
    for reader in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.1"):
        r = httpx.post(beacon, headers={**browser, "X-Forwarded-For": reader}, timeout=5)
        assert r.status_code == 202
    assert httpx.post(beacon, headers={"User-Agent": "Googlebot/2.1"}, timeout=5).status_code == 204
    counts = wait_for(
        "the count to reach 3",
        lambda: (c := httpx.get(beacon, timeout=5).json())["total"] == 3 and c,
    )
    assert counts["today"] == 3
    wait_for("the page to show 3 views", lambda: ">3</span> views" in page(stack, path).text)


def test_sample_article_shows_its_imported_count(stack: Stack) -> None:
    stack.cli("seed")  # idempotent: nothing is created twice (the module has seeded already)
    html = wait_for(
        "the sample article with its imported count",
        lambda: (
            (r := page(stack, "/health/is-osteoporosis-an-autoimmune-disease")).status_code == 200
            and ">4,617</span> views" in r.text
            and r.text
        ),
    )
    assert '<time datetime="2025-02-17">17 February 2025</time>' in html


@pytest.mark.usefixtures("sample_site")
def test_unpublish_and_slug_change_reach_the_public_site(stack: Stack, editor_token: str) -> None:
    token = editor_token
    headers = {"Authorization": f"Bearer {token}"}
    article = create_and_publish(stack, token, slug="e2e-moving", title="A page that moves")
    wait_for("the page", lambda: page(stack, "/health/e2e-moving").status_code == 200)
    moved = httpx.patch(
        f"{stack.articles}/api/v1/articles/{article['id']}",
        json={"slug": "e2e-moved", "version": article["version"]},
        headers=headers,
        timeout=10,
    )
    assert moved.status_code == 200, moved.text
    wait_for("the new page", lambda: page(stack, "/health/e2e-moved").status_code == 200)
    old = page(stack, "/health/e2e-moving")
    assert old.status_code == 301
    assert old.headers["location"] == "/health/e2e-moved"
    off = httpx.post(
        f"{stack.articles}/api/v1/articles/{article['id']}/unpublish", headers=headers, timeout=10
    )
    assert off.status_code == 200
    wait_for("410 Gone", lambda: page(stack, "/health/e2e-moved").status_code == 410)
    # The views service learns of the unpublish too: the article stops counting.
    beacon = f"{stack.views}/api/v1/views/{article['id']}"
    wait_for(
        "views to stop counting",
        lambda: (
            httpx.post(beacon, headers={"User-Agent": "Mozilla/5.0 Firefox"}, timeout=5).status_code
            == 404
        ),
    )
