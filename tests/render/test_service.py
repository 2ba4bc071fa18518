"""Applying snapshots to the read model and the page store (real SQLite/PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from services.render import batch_pages, coalesce, repository, service
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from shared.contracts import ArticleSnapshot, CategoryRef
from tests.render.builders import WHEN, bones, snapshot

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


def apply(rt: RenderRuntime, snap: ArticleSnapshot) -> service.ApplyResult:
    with rt.db.transaction() as session:
        repository.lock_article(session, snap.id)
        result = service.apply_snapshot(session, rt.store, rt.site, snap, now=NOW)
        repository.mark_dirty(session, result.dirty, NOW)
    return result


def indexes(rt: RenderRuntime) -> list[str]:
    """What the render-indexes task does (without its lock)."""
    return service.render_dirty(rt.db, rt.store, rt.site, now=NOW).written


def at(listing: str, aid: int = 1) -> str:
    """The mark of an article entering or leaving a listing at its (only) position."""
    return f"{listing}|from|{WHEN.isoformat()}|{aid}"


def page(rt: RenderRuntime, rel: str) -> str | None:
    raw = rt.store.read(rel)
    return raw.decode() if raw is not None else None


ARTICLE = "health/is-osteoporosis-an-autoimmune-disease/index.html"


def test_publish_writes_the_article_and_marks_exactly_its_indexes(rt: RenderRuntime) -> None:
    result = apply(rt, snapshot(category=bones(), tags=("osteoporosis",)))
    assert result.pages_written == [
        "bones-and-joints/is-osteoporosis-an-autoimmune-disease/index.html"
    ]
    assert result.dirty == {
        "home", "feed", "relatedof:1:card", "relatedentry:1", "article:1",
        at("all"), at("category:bones-and-joints"), at("category:health"),
        at("tag:osteoporosis"),
    }  # fmt: skip
    written = indexes(rt)
    assert set(written) == {
        "index.html", "feed.xml", "sitemap.xml", "sitemap-articles-1.xml", "sitemap-pages.xml",
        "robots.txt", "404.html", "410.html", "bones-and-joints/index.html", "health/index.html",
        "tags/osteoporosis/index.html",
        # again, with its exact related list (the publish wrote it with the bounded stand-in)
        "bones-and-joints/is-osteoporosis-an-autoimmune-disease/index.html",
    }  # fmt: skip
    home = page(rt, "index.html")
    assert home is not None and "Is osteoporosis an autoimmune disease?" in home
    # The parent category lists its child category's article.
    parent = page(rt, "health/index.html")
    assert (
        parent is not None and "/bones-and-joints/is-osteoporosis-an-autoimmune-disease" in parent
    )
    index = page(rt, "sitemap.xml")
    assert index is not None and "https://health.example/sitemap-articles-1.xml" in index
    shard = page(rt, "sitemap-articles-1.xml")
    assert (
        shard is not None
        and (
            "<url><loc>https://health.example/bones-and-joints/is-osteoporosis-an-autoimmune-disease"
            "</loc><lastmod>2025-02-17</lastmod></url>"
        )
        in shard
    )


def test_the_listings_run_sees_every_navigation_change_against_what_pages_show(
    rt: RenderRuntime,
) -> None:
    """The navigation is compared with the one recorded when the last full re-render was
    queued, not inside one publish's transaction (which concurrent publishes can hide)."""

    def run() -> service.RenderRun:
        done = service.render_dirty(rt.db, rt.store, rt.site, now=NOW)
        if done.rebuild:
            service.remember_navigation(rt.db, done.navigation)
        return done

    apply(rt, snapshot(category=bones(), tags=("osteoporosis",)))
    first = run()
    assert first.rebuild and first.navigation == '[["health", "Health"]]'
    apply(rt, snapshot(id=2, slug="second", category=bones()))
    assert not run().rebuild  # same top-level category: no full re-render
    sleep = CategoryRef(slug="sleep", name="Sleep")
    apply(rt, snapshot(id=3, slug="third", category=sleep))
    grown = run()
    assert grown.rebuild and grown.navigation == '[["health", "Health"], ["sleep", "Sleep"]]'
    apply(rt, snapshot(id=3, slug="third", category=sleep, version=3, status="unpublished"))
    shrunk = run()
    assert shrunk.rebuild and shrunk.navigation == '[["health", "Health"]]'
    # Not recorded (the worker died before queueing the re-render): the next run sees it again.
    apply(rt, snapshot(id=3, slug="third", category=sleep, version=4))
    assert service.render_dirty(rt.db, rt.store, rt.site, now=NOW).rebuild
    assert service.render_dirty(rt.db, rt.store, rt.site, now=NOW).rebuild
    assert run().rebuild
    assert not run().rebuild


def test_the_newest_version_wins_whatever_the_order_and_duplicates_change_nothing(
    rt: RenderRuntime,
) -> None:
    v3 = snapshot(version=3, title="Version three")
    v2 = snapshot(version=2, title="Version two")
    assert apply(rt, v3).applied
    assert not apply(rt, v2).applied  # late arrival
    assert not apply(rt, v3).applied  # duplicate
    html = page(rt, ARTICLE)
    assert html is not None and "Version three" in html and "Version two" not in html
    v4 = snapshot(version=4, title="Version four")
    assert apply(rt, v4).applied
    html = page(rt, ARTICLE)
    assert html is not None and "Version four" in html


def test_unpublish_removes_the_page_and_leaves_a_gone_marker(rt: RenderRuntime) -> None:
    apply(rt, snapshot(version=2))
    indexes(rt)
    result = apply(rt, snapshot(version=3, status="unpublished"))
    assert result.applied
    assert page(rt, ARTICLE) is None
    assert (rt.store.root / "_gone/health/is-osteoporosis-an-autoimmune-disease").exists()
    assert at("category:health") in result.dirty
    indexes(rt)
    home = page(rt, "index.html")
    assert home is not None and "Is osteoporosis" not in home
    assert page(rt, "health/index.html") is None  # the category has no live article left
    # Publishing again brings the page back and clears the marker.
    apply(rt, snapshot(version=4))
    assert page(rt, ARTICLE) is not None
    assert not (rt.store.root / "_gone/health/is-osteoporosis-an-autoimmune-disease").exists()


def test_a_slug_or_category_change_moves_the_page_and_redirects_the_old_url(
    rt: RenderRuntime,
) -> None:
    apply(rt, snapshot(version=2))
    moved = snapshot(
        version=3, slug="osteoporosis-and-autoimmunity", category=bones(),
        former_slugs=("is-osteoporosis-an-autoimmune-disease",),
    )  # fmt: skip
    result = apply(rt, moved)
    assert page(rt, ARTICLE) is None
    assert page(rt, "bones-and-joints/osteoporosis-and-autoimmunity/index.html") is not None
    marker = rt.store.root / "_redirects/health/is-osteoporosis-an-autoimmune-disease"
    assert marker.read_text() == "/bones-and-joints/osteoporosis-and-autoimmunity"
    # It left health/ for bones-and-joints/, which is below health: the health listing keeps
    # it at the same place (its card changed), the bones-and-joints listing gains it.
    assert at("category:bones-and-joints") in result.dirty
    assert f"category:health|at|{WHEN.isoformat()}|1" in result.dirty


def test_an_article_moved_while_withdrawn_is_found_at_its_old_address_once_back(
    rt: RenderRuntime,
) -> None:
    """Unpublished at health/, moved to bones-and-joints/ and renamed while out, published
    again: its old address redirects to the new one (it was a 410 for good)."""
    old_marker = rt.store.root / "_redirects/health/is-osteoporosis-an-autoimmune-disease"
    apply(rt, snapshot(version=2))
    apply(rt, snapshot(version=3, status="unpublished"))
    moved = {
        "slug": "osteoporosis-and-autoimmunity", "category": bones(),
        "former_slugs": ("is-osteoporosis-an-autoimmune-disease",),
    }  # fmt: skip
    apply(rt, snapshot(version=4, status="unpublished", **moved))
    # While out: the old address leads to the new one, which is gone (301, then 410).
    assert old_marker.read_text() == "/bones-and-joints/osteoporosis-and-autoimmunity"
    assert not (rt.store.root / "_gone/health/is-osteoporosis-an-autoimmune-disease").exists()
    assert (rt.store.root / "_gone/bones-and-joints/osteoporosis-and-autoimmunity").exists()
    apply(rt, snapshot(version=5, **moved))
    assert page(rt, "bones-and-joints/osteoporosis-and-autoimmunity/index.html") is not None
    assert not (rt.store.root / "_gone/bones-and-joints/osteoporosis-and-autoimmunity").exists()
    assert old_marker.read_text() == "/bones-and-joints/osteoporosis-and-autoimmunity"
    assert page(rt, ARTICLE) is None


def test_view_counts_update_the_article_page_and_the_home_page(rt: RenderRuntime) -> None:
    apply(rt, snapshot(version=2))
    with rt.db.transaction() as session:
        result = service.apply_view_counts(
            session, rt.store, rt.site, {1: 4617, 999: 3}, now=NOW, recent={1: 40, 999: 3}
        )
    assert result.pages_written == [ARTICLE]
    assert result.dirty == {"home"} and result.deferred == set()
    indexes(rt)
    home = page(rt, "index.html")
    assert home is not None and "Most read this week" in home
    most_read = home.split("Most read this week", 1)[1]
    assert "Is osteoporosis an autoimmune disease?" in most_read and "· 40 views" in most_read
    html = page(rt, ARTICLE)
    assert html is not None and ">4,617</span> views" in html
    with rt.db.transaction() as session:
        again = service.apply_view_counts(session, rt.store, rt.site, {1: 4617}, now=NOW)
    assert again.pages_written == [] and again.dirty == set()  # nothing changed, nothing to do
    with rt.db.transaction() as session:
        # A new 7-day figure with an unchanged total: the home page only.
        daily = service.apply_view_counts(
            session, rt.store, rt.site, {1: 4617}, now=NOW, recent={1: 12}
        )
    assert daily.pages_written == [] and daily.dirty == {"home"}


def test_an_edited_body_reaches_the_page_and_a_full_rerender_shows_the_same_page(
    rt: RenderRuntime,
) -> None:
    apply(rt, snapshot(version=2, body="## First\n\nOld words.\n"))
    apply(rt, snapshot(version=3, body="## Second\n\nNew words.\n"))
    html = page(rt, ARTICLE)
    assert html is not None and "New words." in html and "Old words." not in html
    assert 'href="#second"' in html
    # A full re-render (related lists as held) writes the same page.
    rt.store.remove(ARTICLE)
    with rt.db.reading() as session:
        batch = batch_pages.prepare(session, [1], read_at=NOW)
        renderer = service.make_renderer(session, rt.site)
    assert batch_pages.write(rt.store, renderer, batch.jobs) == [ARTICLE]
    assert page(rt, ARTICLE) == html


def test_a_hot_article_is_rerendered_for_its_count_at_most_once_per_interval(
    rt: RenderRuntime,
) -> None:
    apply(rt, snapshot(version=2))
    assert coalesce.claim_view_render(rt, 1)  # off by default: always
    throttled = dataclasses.replace(
        rt, settings=rt.settings.model_copy(update={"view_rerender_seconds": 10})
    )
    claims = [coalesce.claim_view_render(throttled, 1) for _ in range(3)]
    assert claims == [True, False, False]
    with rt.db.transaction() as session:
        held = service.apply_view_counts(
            session, rt.store, rt.site, {1: 50}, now=NOW, may_render=lambda _aid: False
        )
    assert held.pages_written == [] and held.deferred == {"article:1"}
    html = page(rt, ARTICLE)
    assert html is not None and ">50</span> views" not in html
    # The deferred page is rendered by the next index run, with the newest count.
    with rt.db.transaction() as session:
        repository.mark_dirty(session, held.deferred, NOW)
    assert ARTICLE in indexes(rt)
    html = page(rt, ARTICLE)
    assert html is not None and ">50</span> views" in html
