"""Listings whose pages do not move: archive pages numbered from the oldest, a publish that
rewrites a bounded set of files, sitemap shards (real SQLite and PostgreSQL read models)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.render import listings, repository, service
from services.render.listings import pages_for, pages_to_render
from services.render.renderer import PAGE_SIZE
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from shared.contracts import ArticleSnapshot, CategoryRef
from tests.render.builders import snapshot

NOW = datetime(2026, 1, 1, tzinfo=UTC)
START = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
HEALTH = CategoryRef(slug="health", name="Health")


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


def art(aid: int, **kw: object) -> ArticleSnapshot:
    when = START + timedelta(hours=aid)
    fields: dict[str, object] = {
        "id": aid, "version": 1, "slug": f"article-{aid}", "category": HEALTH,
        "title": f"Article {aid}", "tags": ("sleep",), "created_at": when, "updated_at": when,
        "published_at": when,
    }  # fmt: skip
    fields.update(kw)
    return snapshot(**fields)


def publish(rt: RenderRuntime, snap: ArticleSnapshot) -> list[str]:
    """Apply through the pages path, then run the listings renderer: every file written."""
    with rt.db.transaction() as session:
        result = service.apply_snapshot(session, rt.store, rt.site, snap, now=NOW)
        repository.mark_dirty(session, result.dirty, NOW)
    run = service.render_dirty(rt.db, rt.store, rt.site, now=NOW)
    if run.rebuild:  # as the task does, once it has queued the full re-render
        service.remember_navigation(rt.db, run.navigation)
    return result.pages_written + run.written


def titles(rt: RenderRuntime, rel: str) -> list[str]:
    raw = rt.store.read(rel)
    assert raw is not None, rel
    return re.findall(r"<h3><a href=\"[^\"]+\">([^<]+)</a></h3>", raw.decode())


def test_page_arithmetic() -> None:
    assert [pages_for(n, 20) for n in (0, 1, 20, 21, 40, 41)] == [0, 0, 0, 2, 2, 3]
    # A publish (the newest position) touches the last page; the one before it too when the
    # publish opened a new page (its "newer" link now names the new page).
    assert pages_to_render(102, 20, set(), {101}) == {6}
    assert pages_to_render(101, 20, set(), {100}) == {5, 6}
    assert pages_to_render(21, 20, set(), {20}) == {1, 2}  # the first archive pages appear
    # Removed from the end, emptying the last page: the new last page's link changes.
    assert pages_to_render(100, 20, set(), {100}) == {5}
    # A card change touches its own page only; one in the middle of a removal shifts the rest.
    assert pages_to_render(101, 20, {5}, set()) == {1}
    assert pages_to_render(100, 20, set(), {45}) == {3, 4, 5}
    assert pages_to_render(100, 20, set(), {40}) == {2, 3, 4, 5}
    assert pages_to_render(20, 20, {3}, {19}) == set()  # fits on the landing page


def test_a_mark_round_trips_and_foreign_keys_are_not_marks() -> None:
    position = listings.position_of(art(7))
    key = listings.mark("tag:sleep", listings.FROM, position)
    assert listings.parse_mark(key) == ("tag:sleep", "from", position)
    for other in ("home", "relatedof:7", "tag:sleep|sideways|x|1", "a|at|not-a-date|1"):
        assert listings.parse_mark(other) is None


def test_archive_pages_never_change_when_articles_are_added(rt: RenderRuntime) -> None:
    for aid in range(1, 46):  # 45 articles: archive pages 1, 2 (full) and 3 (5 articles)
        publish(rt, art(aid))
    assert titles(rt, "health/page/1/index.html") == [f"Article {i}" for i in range(20, 0, -1)]
    page1 = rt.store.read("health/page/1/index.html")
    page2 = rt.store.read("health/page/2/index.html")
    page3 = titles(rt, "health/page/3/index.html")
    assert page3 == [f"Article {i}" for i in range(45, 40, -1)]
    written = publish(rt, art(46))
    # The article, the landing page and the last page of each listing it is in, home, feed,
    # one sitemap shard and the index. Page 2 still links to page 3: not rewritten.
    assert set(written) == {
        "health/article-46/index.html",
        "health/index.html", "health/page/3/index.html",
        "tags/sleep/index.html", "tags/sleep/page/3/index.html",
        "index.html", "feed.xml", "sitemap.xml", "sitemap-articles-1.xml",
    }  # fmt: skip
    assert rt.store.read("health/page/1/index.html") == page1
    assert rt.store.read("health/page/2/index.html") == page2
    assert titles(rt, "health/page/3/index.html") == [f"Article {i}" for i in range(46, 40, -1)]
    assert titles(rt, "health/index.html") == [f"Article {i}" for i in range(46, 26, -1)]


def test_a_publish_that_opens_a_page_rewrites_the_page_before_it(rt: RenderRuntime) -> None:
    for aid in range(1, 41):  # 40 articles: archive pages 1 and 2, both full
        publish(rt, art(aid))
    page2 = (rt.store.read("health/page/2/index.html") or b"").decode()
    assert 'rel="prev" href="/health"' in page2  # the last page: "newer" is the landing page
    written = publish(rt, art(41))  # the first article of page 3
    assert {"health/page/2/index.html", "health/page/3/index.html"} <= set(written)
    assert "health/page/1/index.html" not in written
    page2 = (rt.store.read("health/page/2/index.html") or b"").decode()
    assert 'rel="prev" href="/health/page/3"' in page2
    assert titles(rt, "health/page/3/index.html") == ["Article 41"]


def test_links_walk_from_the_landing_page_through_every_archive_page(rt: RenderRuntime) -> None:
    for aid in range(1, 46):
        publish(rt, art(aid))
    landing = (rt.store.read("health/index.html") or b"").decode()
    # The landing page shows 45..26; the next older article, 25, is on page 2.
    assert 'rel="next" href="/health/page/2"' in landing
    page3 = (rt.store.read("health/page/3/index.html") or b"").decode()
    assert 'rel="prev" href="/health"' in page3 and 'rel="next" href="/health/page/2"' in page3
    page1 = (rt.store.read("health/page/1/index.html") or b"").decode()
    assert 'rel="prev" href="/health/page/2"' in page1 and 'rel="next"' not in page1
    assert '<link rel="canonical" href="https://health.example/health/page/1">' in page1


def test_withdrawing_an_old_article_shifts_the_pages_after_it(rt: RenderRuntime) -> None:
    for aid in range(1, 42):  # 41 articles: pages 1, 2 and a page 3 of one article
        publish(rt, art(aid))
    assert rt.store.exists("health/page/3/index.html")
    written = publish(rt, art(5, version=2, status="unpublished"))
    assert {"health/page/1/index.html", "health/page/2/index.html"} <= set(written)
    assert not rt.store.exists("health/page/3/index.html")  # 40 articles fill two pages
    assert titles(rt, "health/page/1/index.html")[-4:] == [
        "Article 4", "Article 3", "Article 2", "Article 1"
    ]  # fmt: skip
    assert "Article 5" not in titles(rt, "health/page/1/index.html")
    assert titles(rt, "health/page/1/index.html")[0] == "Article 21"
    assert titles(rt, "health/page/2/index.html")[-1] == "Article 22"


def test_an_edited_title_rewrites_only_the_page_that_shows_it(rt: RenderRuntime) -> None:
    for aid in range(1, 46):
        publish(rt, art(aid))
    written = publish(rt, art(3, version=2, title="Article 3, revised"))
    listing_files = {w for w in written if "/page/" in w}
    assert listing_files == {"health/page/1/index.html", "tags/sleep/page/1/index.html"}
    assert "Article 3, revised" in titles(rt, "health/page/1/index.html")


def test_the_sitemap_is_an_index_of_shards_and_a_publish_rewrites_one_shard(
    rt: RenderRuntime,
) -> None:
    rt = dataclasses.replace(rt, site=dataclasses.replace(rt.site, shard_size=10))
    for aid in range(1, 26):
        publish(rt, art(aid))
    index = (rt.store.read("sitemap.xml") or b"").decode()
    assert re.findall(r"<loc>https://health.example/(sitemap-[a-z0-9-]+\.xml)</loc>", index) == [
        "sitemap-pages.xml", "sitemap-articles-1.xml", "sitemap-articles-2.xml",
        "sitemap-articles-3.xml",
    ]  # fmt: skip
    shard2 = (rt.store.read("sitemap-articles-2.xml") or b"").decode()
    assert re.findall(r"/health/(article-\d+)</loc>", shard2) == [
        f"article-{i}" for i in range(11, 21)
    ]
    written = publish(rt, art(26))
    assert {w for w in written if w.startswith("sitemap")} == {
        "sitemap.xml",
        "sitemap-articles-3.xml",
    }
    assert rt.store.read("sitemap-articles-2.xml") == shard2.encode()
    # Withdrawing articles drops the last shard when the rest fit in fewer.
    for aid in range(1, 7):
        publish(rt, art(aid, version=2, status="unpublished"))
    assert not rt.store.exists("sitemap-articles-3.xml")
    assert "sitemap-articles-3.xml" not in (rt.store.read("sitemap.xml") or b"").decode()


def test_page_size_is_what_the_pages_show(rt: RenderRuntime) -> None:
    for aid in range(1, PAGE_SIZE + 2):
        publish(rt, art(aid))
    assert len(titles(rt, "health/index.html")) == PAGE_SIZE
    assert len(titles(rt, "health/page/1/index.html")) == PAGE_SIZE
    assert titles(rt, "health/page/2/index.html") == [f"Article {PAGE_SIZE + 1}"]
