"""The pure renderer: what an article page contains, and what it must never contain."""

from __future__ import annotations

import json
import re
import time

import pytest

from services.render.markdown import render_markdown
from services.render.renderer import Renderer, Site
from shared.contracts import Reference
from tests.render.builders import bones, snapshot

SITE = Site(name="HealthHub", url="https://health.example", views_url="")


def page(**overrides: object) -> str:
    return Renderer(SITE).article(snapshot(**overrides), views=4617).decode()


def test_article_page_has_breadcrumb_title_date_count_and_toc() -> None:
    html = page(category=bones())
    crumbs = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S)
    assert crumbs is not None
    names = re.findall(r">([^<>]+)</a>", crumbs.group(0))
    assert names == ["Home", "Health", "Bones and joints", "Is osteoporosis an autoimmune disease?"]
    assert html.count("<h1>") == 1
    assert '<time datetime="2025-02-17">17 February 2025</time>' in html
    assert ">4,617</span> views" in html
    assert '<a href="#what-osteoporosis-is">What osteoporosis is</a>' in html
    assert '<h2 id="what-osteoporosis-is">' in html
    assert '<ol><li><a href="#who-is-at-risk">Who is at risk</a></li></ol>' in html  # nested
    assert '<html lang="en">' in html
    assert (
        '<link rel="canonical" href="https://health.example/bones-and-joints/is-osteoporosis-an-autoimmune-disease">'
        in html
    )


def test_json_ld_describes_a_medical_web_page_and_its_breadcrumb() -> None:
    html = page()
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert raw is not None
    page_ld, crumbs = json.loads(raw.group(1))
    assert page_ld["@type"] == "MedicalWebPage"
    assert page_ld["datePublished"].startswith("2025-02-17")
    assert page_ld["reviewedBy"]["name"] == "Dr. Amara Lindqvist, MD"
    assert [i["name"] for i in crumbs["itemListElement"]] == [
        "Home",
        "Health",
        "Is osteoporosis an autoimmune disease?",
    ]


XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg/onload=alert(1)>",
    "</script><script>alert(1)</script>",
    '"><iframe src="javascript:alert(1)">',
]


@pytest.mark.parametrize("attack", XSS)
def test_no_editor_field_can_inject_script(attack: str) -> None:
    html = page(
        title=attack,
        summary=attack,
        body=f"## Heading {attack}\n\n{attack}\n\n[link]({attack})",
        tags=(attack,),
        authors=(attack,),
        reviewed_by=attack,
        hero_image_url="javascript:alert(1)",
        hero_image_alt=attack,
        references=(Reference(title=attack, url="javascript:alert(1)"),),
    )
    # The only scripts are ours: the JSON-LD block and the beacon.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script type="application/ld+json">', "<script>"]
    # Editor text may *mention* "javascript:" as text, but never as a URL an element follows.
    assert not re.search(r"""<[^>]*\b(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I)
    body = html.split("<main", 1)[1].split("<script>")[0]
    assert not re.search(r"<[^>]+\son\w+\s*=", body)
    assert "<iframe" not in body and "<svg" not in body and "<img src=x" not in body
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None and "</script" not in ld.group(1).lower()


def test_markdown_keeps_structure_and_demotes_h1() -> None:
    body = render_markdown(
        "# Top\n\nText with **bold** and a [link](https://example.org).\n\n- one\n- two\n"
    )
    assert '<h2 id="top">Top</h2>' in body.html
    assert "<strong>bold</strong>" in body.html
    assert (
        'href="https://example.org"' in body.html
        and 'rel="noopener noreferrer nofollow"' in body.html
    )
    assert "<li>one</li>" in body.html
    assert [t.anchor for t in body.toc] == ["top"]


def test_repeated_headings_get_distinct_anchors() -> None:
    body = render_markdown("## Symptoms\n\n## Symptoms\n")
    assert [t.anchor for t in body.toc] == ["symptoms", "symptoms-2"]


@pytest.mark.parametrize(
    "source", [">" * 100_000 + "x", "- " * 60_000 + "x", "1. " * 30_000, "  " * 5_000 + "- x"]
)
def test_absurdly_deep_nesting_renders_quickly_and_safely(source: str) -> None:
    """The Rust parser has no nesting limit (such a body crashed the worker process): deep
    bodies take the nesting-limited parser, and the result is still sanitised HTML."""
    started = time.perf_counter()
    body = render_markdown(source)
    assert time.perf_counter() - started < 5
    assert body.html.count("<blockquote>") <= 20 and body.html.count("<ul>") <= 20
    assert "<script" not in body.html
