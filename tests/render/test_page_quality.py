"""Size and structure of the pages readers get: small, semantic, self-contained."""

from __future__ import annotations

import re
from datetime import date

from services.render.renderer import Card, Listing, Renderer, Section, Site, card_of
from services.seed import read_sample
from shared.contracts import CategoryCrumb, Reference
from tests.render.builders import bones, snapshot

SITE = Site(name="HealthHub", url="https://health.example", views_url="")
LIMIT = 40 * 1024


def sample_page() -> tuple[str, str]:
    """The longest sample article, fully dressed: review box, references, related list."""
    _, articles = read_sample()
    longest = max(articles, key=lambda a: len(a.body))
    snap = snapshot(
        title=str(longest.front["title"]), summary=str(longest.front.get("summary", "")),
        body=longest.body, category=bones(), last_reviewed=date(2025, 2, 1),
        hero_image_url="https://health.example/img/bones.jpg", hero_image_alt="An X-ray of a hip",
        references=tuple(Reference(title=f"Source {i}", url=f"https://example.org/{i}") for i in range(8)),
    )  # fmt: skip
    related: list[Card] = [
        card_of(snapshot(id=i, slug=f"related-{i}", title=f"Related article {i}" * 3))
        for i in range(2, 5)
    ]
    return Renderer(SITE).article(snap, views=4617, related=related).decode(), longest.body


def test_an_article_page_is_well_under_40_kb_of_html_and_css() -> None:
    html, body = sample_page()
    assert len(html.encode()) < LIMIT
    # What the template adds around the text leaves room for articles far longer than ours.
    assert len(html.encode()) - len(body.encode()) < 16 * 1024


def test_an_article_page_is_semantic_and_self_contained() -> None:
    html, _ = sample_page()
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert html.count("<h1") == 1
    for landmark in (
        '<header class="site-header"',
        '<main id="main"',
        '<footer class="site-footer"',
    ):
        assert landmark in html
    assert all(' alt="' in tag for tag in re.findall(r"<img\b[^>]*>", html))
    assert re.findall(r"<img\b[^>]*>", html)  # the hero image is there, with its alt text
    # No external fonts, stylesheets or scripts: everything a reader needs is in the page.
    assert not re.search(r'<link[^>]+rel="stylesheet"', html)
    assert not re.search(r"<script[^>]+src=", html)
    assert "@import" not in html and "fonts.googleapis" not in html
    for needed in ('<link rel="canonical"', 'property="og:title"', '<meta name="description"'):
        assert needed in html


def test_listing_pages_stay_small_too() -> None:
    cards = [card_of(snapshot(id=i, slug=f"a-{i}", title=f"Article number {i}")) for i in range(20)]
    html = Renderer(SITE).listing(
        Listing(url="/health", heading="Health", description="Articles about health.",
                sections=[Section("", cards)], crumbs=[CategoryCrumb(slug="health", name="Health")]),
    )  # fmt: skip
    assert len(html) < LIMIT
