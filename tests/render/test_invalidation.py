"""Exactly which pages a change re-renders: the article, its listings, and the article pages
whose "Related articles" list changes (real SQLite and PostgreSQL read models)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.render import related, repository, service
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from shared.contracts import ArticleSnapshot, CategoryRef
from tests.render.builders import snapshot

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY1 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
HEALTH = CategoryRef(slug="health", name="Health")
NUTRITION = CategoryRef(slug="nutrition", name="Nutrition")


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


def art(
    aid: int, day: int, category: CategoryRef, tags: tuple[str, ...], **kw: Any
) -> ArticleSnapshot:
    when = DAY1 + timedelta(days=day)
    fields: dict[str, Any] = {
        "id": aid,
        "version": 1,
        "slug": f"article-{aid}",
        "category": category,
        "title": f"Article {aid}",
        "summary": f"About {aid}.",
        "tags": tags,
        "created_at": when,
        "updated_at": when,
        "published_at": when,
    }
    fields.update(kw)
    return snapshot(**fields)


def apply(rt: RenderRuntime, snap: ArticleSnapshot) -> service.ApplyResult:
    with rt.db.transaction() as session:
        repository.lock_article(session, snap.id)
        result = service.apply_snapshot(session, rt.store, rt.site, snap, now=NOW)
        repository.mark_dirty(session, result.dirty, NOW)
    return result


def render_dirty(rt: RenderRuntime) -> list[str]:
    """What the render-indexes task does (without its lock)."""
    return service.render_dirty(rt.db, rt.store, rt.site, now=NOW).written


def articles_marked(rt: RenderRuntime, result: service.ApplyResult) -> set[int]:
    """The other article pages the listings worker re-renders for this change's related keys:
    those showing it (at once) and those it enters (on the related-refresh schedule)."""
    marked: set[int] = set()
    with rt.db.reading() as session:
        for key in result.dirty:
            if key.startswith("relatedof:"):
                aid, _, flag = key.removeprefix("relatedof:").partition(":")
                marked |= related.pages_to_refresh(session, int(aid), flag == "card")
            elif key.startswith("relatedentry:"):
                marked |= related.pages_entered(session, int(key.removeprefix("relatedentry:")))
    return marked


def plain_keys(result: service.ApplyResult) -> set[str]:
    """The change's keys other than listing marks (home, feed, related...)."""
    return {k for k in result.dirty if "|" not in k}


def listings_marked(result: service.ApplyResult) -> set[str]:
    return {k.split("|")[0] for k in result.dirty if "|" in k}


def page(rt: RenderRuntime, category: str, aid: int) -> str:
    raw = rt.store.read(f"{category}/article-{aid}/index.html")
    assert raw is not None
    return raw.decode()


def related_section(html: str) -> str:
    return html.split('id="related-title"', 1)[1] if 'id="related-title"' in html else ""


@pytest.fixture
def site(rt: RenderRuntime) -> RenderRuntime:
    """Two health articles about sleep; four nutrition articles about diet (full lists)."""
    apply(rt, art(10, 1, HEALTH, ("sleep", "stress")))
    apply(rt, art(11, 2, HEALTH, ("sleep",)))
    for aid in (12, 13, 14, 15):
        apply(rt, art(aid, aid - 9, NUTRITION, ("diet",)))
    render_dirty(rt)
    return rt


X_LISTINGS = {"all", "category:health", "tag:sleep"}


def test_publish_marks_the_indexes_and_the_pages_it_enters_as_related(site: RenderRuntime) -> None:
    result = apply(site, art(20, 7, HEALTH, ("sleep",), title="Sleep and the heart"))
    assert result.pages_written == ["health/article-20/index.html"]
    assert listings_marked(result) == X_LISTINGS
    assert plain_keys(result) == {
        "home",
        "feed",
        "relatedof:20:card",
        "relatedentry:20",
        "article:20",
    }
    assert articles_marked(site, result) == {10, 11}
    written = render_dirty(site)
    assert {"health/article-10/index.html", "health/article-11/index.html"} <= set(written)
    assert "nutrition/article-12/index.html" not in written
    assert "Sleep and the heart" in related_section(page(site, "health", 10))


def test_a_publish_that_enters_no_related_list_renders_no_other_article(
    site: RenderRuntime,
) -> None:
    # Untagged and older than every diet article: weaker than every entry the pages show.
    result = apply(site, art(21, -30, NUTRITION, ()))
    assert articles_marked(site, result) == set()
    assert listings_marked(result) == {"all", "category:nutrition"}


def test_update_rerenders_the_pages_showing_it_only_when_its_card_changes(
    site: RenderRuntime,
) -> None:
    apply(site, art(20, 7, HEALTH, ("sleep",)))
    render_dirty(site)
    # A real edit moves updated_at: only the sitemap shows it (lastmod), so only the `all`
    # listing is marked, and no card anywhere changes.
    edited_at = DAY1 + timedelta(days=30)
    body_only = apply(
        site,
        art(20, 7, HEALTH, ("sleep",), version=2, body="New **body**.", updated_at=edited_at),
    )
    # Same tags and category: it ranks as it did, so no entry check (a query that scans
    # every page sharing its tags) is scheduled for it.
    assert plain_keys(body_only) == {"home", "feed", "relatedof:20"}
    assert listings_marked(body_only) == {"all"}
    assert articles_marked(site, body_only) == set()
    written = render_dirty(site)
    assert not any(rel.startswith(("health/", "tags/")) for rel in written), written
    shard = site.store.read("sitemap-articles-1.xml")
    assert shard is not None and edited_at.date().isoformat().encode() in shard
    retitled = apply(site, art(20, 7, HEALTH, ("sleep",), version=3, title="Better sleep"))
    assert articles_marked(site, retitled) == {10, 11}
    render_dirty(site)
    assert "Better sleep" in related_section(page(site, "health", 11))


def test_unpublish_rerenders_the_pages_that_showed_it(site: RenderRuntime) -> None:
    apply(site, art(20, 7, HEALTH, ("sleep",), title="Sleep and the heart"))
    render_dirty(site)
    result = apply(site, art(20, 7, HEALTH, ("sleep",), version=2, status="unpublished"))
    assert result.pages_written == []
    assert listings_marked(result) == X_LISTINGS
    assert articles_marked(site, result) == {10, 11}
    render_dirty(site)
    assert "Sleep and the heart" not in page(site, "health", 10)


def test_slug_change_rerenders_the_pages_linking_to_the_old_url(site: RenderRuntime) -> None:
    apply(site, art(20, 7, HEALTH, ("sleep",)))
    render_dirty(site)
    moved = art(
        20, 7, HEALTH, ("sleep",), version=2, slug="sleep-well", former_slugs=("article-20",)
    )
    result = apply(site, moved)
    assert result.pages_written == ["health/sleep-well/index.html"]
    assert listings_marked(result) == X_LISTINGS
    assert articles_marked(site, result) == {10, 11}
    render_dirty(site)
    related = related_section(page(site, "health", 10))
    assert "/health/sleep-well" in related and "/health/article-20" not in related


def test_category_change_marks_both_categories_and_both_sets_of_related_pages(
    site: RenderRuntime,
) -> None:
    apply(site, art(20, 7, HEALTH, ("sleep",), title="Moving article"))
    render_dirty(site)
    moved = art(20, 7, NUTRITION, ("diet",), version=2, title="Moving article")
    result = apply(site, moved)
    assert result.pages_written == ["nutrition/article-20/index.html"]
    assert listings_marked(result) == {
        "all",
        "category:health",
        "category:nutrition",
        "tag:sleep",
        "tag:diet",
    }
    # It leaves 10 and 11; it enters 12-15 only where it beats the weakest entry: it is the
    # newest diet article, so it fills no full list of equals (the oldest equal stays).
    assert articles_marked(site, result) == {10, 11}
    render_dirty(site)
    assert "Moving article" not in page(site, "health", 10)
    assert "Moving article" not in related_section(page(site, "nutrition", 12))
    assert "Article 12" in related_section(page(site, "nutrition", 20))
    assert site.store.read("health/article-20/index.html") is None


def _shown(rt: RenderRuntime) -> dict[int, list[tuple[str, str, str]]]:
    """What every live page's related list shows, computed from scratch."""
    with rt.db.transaction() as session:
        shown = {}
        for row in repository.live_snapshots(session):
            shown[row.article_id] = [
                (r.data["title"], r.data["summary"], f"{r.category_slug}/{r.slug}")
                for r, _ in repository.related_ranked(session, row, service.RELATED_LIMIT)
            ]
        return shown


def test_no_page_whose_related_list_changes_is_ever_missed(rt: RenderRuntime) -> None:
    """Random publishes, edits, moves and unpublishes: every page whose list changed is
    marked, and pages marked without a visible change stay rare."""
    rng = random.Random(4)
    tags = ("sleep", "diet", "stress", "heart", "bones")
    cats = (HEALTH, NUTRITION)
    versions: dict[int, int] = {}
    over = 0
    for step in range(60):
        aid = rng.randrange(1, 16)
        versions[aid] = versions.get(aid, 0) + 1
        snap = art(
            aid, rng.randrange(0, 5), rng.choice(cats), tuple(rng.sample(tags, rng.randrange(0, 3))),
            version=versions[aid], title=f"Article {aid} v{rng.randrange(2)}",
            status="published" if rng.random() < 0.8 else "unpublished",
        )  # fmt: skip
        before = _shown(rt)
        result = apply(rt, snap)
        after = _shown(rt)
        changed = {a for a, lst in after.items() if a != aid and before.get(a) != lst}
        marked = articles_marked(rt, result)
        assert changed <= marked, f"step {step}: missed {changed - marked}"
        over += len(marked - changed)
        render_dirty(rt)
    assert over <= 15
