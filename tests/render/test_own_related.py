"""A publish renders its page's related list in bounded work: a new article (or one whose tags
or category changed) goes live with a stand-in read from index ranges, and its exact list
follows with the listings; an edit that keeps tags and category keeps the list the page shows.
Real SQLite and PostgreSQL read models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from services.render import article_pages, related, repository, service
from services.render.article_pages import PreparedPage
from services.render.renderer import Site
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from tests.render.test_invalidation import (
    HEALTH,
    NOW,
    NUTRITION,
    apply,
    art,
    page,
    related_section,
)


def run(rt: RenderRuntime) -> list[str]:
    return service.render_dirty(rt.db, rt.store, rt.site, now=NOW + timedelta(hours=1)).written


def titles(rt: RenderRuntime, aid: int) -> list[str]:
    """The related list's titles, in the page's order."""
    section = related_section(page(rt, "health", aid))
    found = [(section.find(f"Old {i}<"), f"Old {i}") for i in range(1, 50)]
    return [title for at, title in sorted(found) if at >= 0]


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


@pytest.fixture
def deep(rt: RenderRuntime) -> RenderRuntime:
    """Four old articles on sleep, four on diet, then one on both, newer than all of them:
    the best match of a sleep-and-diet article, but past the first four of either tag."""
    for i in range(1, 5):
        apply(rt, art(i, i, HEALTH, ("sleep",), title=f"Old {i}"))
        apply(rt, art(10 + i, i, HEALTH, ("diet",), title=f"Old {10 + i}"))
    apply(rt, art(20, 9, HEALTH, ("sleep", "diet"), title="Old 20"))
    run(rt)
    return rt


def test_a_new_page_goes_live_with_the_stand_in_and_then_its_exact_list(
    deep: RenderRuntime,
) -> None:
    rt = deep
    result = apply(rt, art(30, 20, HEALTH, ("sleep", "diet"), title="New"))
    assert "article:30" in result.dirty  # the exact list follows with the listings
    with rt.db.reading() as session:
        x = repository.get_snapshot(session, 30)
        assert x is not None
        exact = [r.article_id for r, _ in repository.related_ranked(session, x, 3)]
        quick = [r.article_id for r, _ in related.quick_ranked(session, x)]
    assert exact == [20, 1, 11]  # both tags first, then the longest-standing of one
    assert quick == [1, 11, 2]  # the first four of each tag: 20 is not among them
    assert titles(rt, 30) == ["Old 1", "Old 11", "Old 2"]  # live now, with the stand-in

    written = run(rt)
    assert "health/article-30/index.html" in written
    assert titles(rt, 30) == ["Old 20", "Old 1", "Old 11"]
    with rt.db.reading() as session:
        assert [link.related_id for link in repository.related_links_of(session, [30])[30]] == [
            20,
            1,
            11,
        ]


def test_an_edit_keeping_tags_and_category_keeps_the_list_and_asks_for_nothing_more(
    deep: RenderRuntime,
) -> None:
    rt = deep
    apply(rt, art(30, 20, HEALTH, ("sleep", "diet"), title="New"))
    run(rt)
    # A better match arrives; the listings have not run: the exact list is now 40, 20, 1.
    apply(rt, art(40, 0, HEALTH, ("sleep", "diet"), title="Old 40"))
    edit = apply(rt, art(30, 20, HEALTH, ("diet", "sleep"), version=2, title="New, edited"))
    assert "article:30" not in edit.dirty
    assert titles(rt, 30) == ["Old 20", "Old 1", "Old 11"]  # the page's list, not re-ranked
    run(rt)  # 40's entry check (the schedule, 0 s here) brings the exact list
    assert titles(rt, 30) == ["Old 40", "Old 20", "Old 1"]


def test_a_tag_change_renders_the_stand_in_and_asks_for_the_exact_list(
    deep: RenderRuntime,
) -> None:
    rt = deep
    apply(rt, art(30, 20, HEALTH, ("sleep",), title="New"))
    run(rt)
    assert titles(rt, 30) == ["Old 1", "Old 2", "Old 3"]
    retagged = apply(rt, art(30, 20, HEALTH, ("sleep", "diet"), version=2, title="New"))
    assert "article:30" in retagged.dirty
    run(rt)
    assert titles(rt, 30) == ["Old 20", "Old 1", "Old 11"]


def test_an_edit_while_the_exact_list_is_pending_keeps_it_pending(deep: RenderRuntime) -> None:
    """A listings run that read version 1 writes nothing once version 2 is in: version 2
    must leave the page marked, or the stand-in would stay."""
    rt = deep
    apply(rt, art(30, 20, HEALTH, ("sleep", "diet"), title="New"))
    edit = apply(rt, art(30, 20, HEALTH, ("sleep", "diet"), version=2, title="New, edited"))
    assert "article:30" in edit.dirty
    run(rt)
    assert titles(rt, 30) == ["Old 20", "Old 1", "Old 11"]


def test_a_view_count_keeps_the_list_the_page_shows(deep: RenderRuntime) -> None:
    rt = deep
    apply(rt, art(30, 20, HEALTH, ("sleep", "diet"), title="New"))
    run(rt)
    apply(rt, art(40, 0, HEALTH, ("sleep", "diet"), title="Old 40"))  # exact: 40, 20, 1
    with rt.db.transaction() as session:
        counted = service.apply_view_counts(session, rt.store, rt.site, {30: 7}, now=NOW)
    assert counted.pages_written == ["health/article-30/index.html"]
    assert titles(rt, 30) == ["Old 20", "Old 1", "Old 11"]


def test_an_edit_racing_the_exact_render_leaves_the_page_to_render_again(
    rt: RenderRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL interleaving: an edit keeping tags and category checks ``article:<id>``
    before a listings run marks it (another article's change), then commits after that run
    read the older version. The run writes nothing; the edit kept the list the page showed,
    so the page must stay marked, or it keeps the outdated list for good."""
    apply(rt, art(10, 1, HEALTH, ("sleep", "stress")))
    apply(rt, art(11, 2, HEALTH, ("sleep",)))
    run(rt)
    assert "Article 11" in related_section(page(rt, "health", 10))
    # 11 leaves page 10's list: another category, no shared tag (10's list is now empty).
    apply(rt, art(11, 2, NUTRITION, ("diet",), version=2))

    real_prepare = article_pages.prepare_article

    def prepare_then_edit(session: Session, site: Site, article_id: int) -> PreparedPage | None:
        prepared = real_prepare(session, site, article_id)
        if article_id == 10:
            with monkeypatch.context() as m:  # the edit read article:10 before it was marked
                m.setattr(repository, "is_dirty", lambda _session, _key: False)
                apply(rt, art(10, 1, HEALTH, ("stress", "sleep"), version=2, title="Edited"))
        return prepared

    monkeypatch.setattr(service, "prepare_article", prepare_then_edit)
    run(rt)
    monkeypatch.setattr(service, "prepare_article", real_prepare)
    run(rt)
    html = page(rt, "health", 10)
    assert "Edited" in html
    assert "Article 11" not in related_section(html)
