"""The Atom feed: each entry's id is a tag URI from the article id, so a slug change does not
make feed readers show the article again as new, and each entry carries the whole article."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.render.renderer import Renderer, Site, card_of, feed_entry_id
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from services.render.worker import create_celery
from shared.contracts import RENDER_ARTICLE_CHANGED_TASK, RENDER_PAGES_QUEUE
from tests.render.builders import WHEN, bones, event, snapshot
from tests.render.workers import render_workers

ATOM = "{http://www.w3.org/2005/Atom}"
SITE = Site(name="HealthHub", url="https://health.example", views_url="")


def entries(feed: bytes) -> list[ET.Element]:
    root = ET.fromstring(feed)  # noqa: S314 - our own output
    return root.findall(f"{ATOM}entry")


def text_of(entry: ET.Element, tag: str) -> str:
    found = entry.find(f"{ATOM}{tag}")
    assert found is not None, f"the entry has no <{tag}>"
    return found.text or ""


def test_an_entry_id_is_a_tag_uri_from_the_article_id() -> None:
    assert feed_entry_id("https://health.example", 42) == "tag:health.example,2025-01-01:article:42"
    # The port and path of the site address are not part of a tag URI's authority.
    assert feed_entry_id("http://localhost:8002/", 7) == "tag:localhost,2025-01-01:article:7"


def test_an_entry_carries_the_sanitised_body_as_html_content() -> None:
    snap = snapshot(id=5, body="## Calcium\n\nEnough **calcium**.\n\n<script>alert(1)</script>\n")
    feed = Renderer(SITE).feed([card_of(snap)], WHEN, {5: snap.body})
    (entry,) = entries(feed)
    assert text_of(entry, "id") == "tag:health.example,2025-01-01:article:5"
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    html = content.text or ""
    assert '<h2 id="calcium">Calcium</h2>' in html
    assert "<strong>calcium</strong>" in html
    assert "<script>" not in html  # shown as text by the Markdown parser, never markup
    assert "&lt;script&gt;" in html


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


def feed_entry_when(rt: RenderRuntime, link: str, timeout: float = 60) -> ET.Element:
    """The feed's one entry once it links to ``link`` (the listing queue may lag a little)."""
    path = rt.settings.page_store_dir / "feed.xml"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            found = entries(path.read_bytes())
            if found:
                link_el = found[0].find(f"{ATOM}link")
                if link_el is not None and link_el.get("href") == link:
                    return found[0]
        time.sleep(0.2)
    raise AssertionError(f"the feed never linked to {link}")


@pytest.mark.e2e
def test_the_feed_id_survives_a_slug_change_through_a_real_worker(rt: RenderRuntime) -> None:
    first = snapshot(id=9, version=2, category=bones(), body="## Bones\n\nStrong bones.\n")
    renamed = snapshot(
        id=9, version=3, category=bones(), slug="osteoporosis-and-autoimmunity",
        former_slugs=(first.slug,), body="## Bones\n\nStronger bones.\n",
        updated_at=WHEN + timedelta(days=1),
    )  # fmt: skip
    app = create_celery(rt.settings)
    with render_workers(rt.settings):
        app.send_task(RENDER_ARTICLE_CHANGED_TASK, args=[event(first)], queue=RENDER_PAGES_QUEUE)
        before = feed_entry_when(rt, f"{SITE.url}/bones-and-joints/{first.slug}")
        app.send_task(RENDER_ARTICLE_CHANGED_TASK, args=[event(renamed)], queue=RENDER_PAGES_QUEUE)
        after = feed_entry_when(rt, f"{SITE.url}/bones-and-joints/osteoporosis-and-autoimmunity")
    assert (
        text_of(before, "id") == text_of(after, "id") == "tag:health.example,2025-01-01:article:9"
    )
    assert "Strong bones." in text_of(before, "content")
    assert "Stronger bones." in text_of(after, "content")
    assert datetime.fromisoformat(text_of(after, "updated")) == WHEN.astimezone(UTC) + timedelta(
        days=1
    )
