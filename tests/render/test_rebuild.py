"""`healthhub render --all`: every page rebuilt by real render worker processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.render import batch_pages, listing_repository, rebuild, repository, service
from services.render.models import ListingMember
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from shared.contracts import ArticleSnapshot, CategoryRef
from tests.render.builders import bones, snapshot
from tests.render.workers import render_env, render_workers

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


def test_plan_covers_every_article_and_key_once() -> None:
    batches = rebuild.plan(
        list(range(1, 26)), ["home", "feed", "tag:a"], job_id="a" * 32, batch_size=10
    )
    ids = [i for b in batches for i in b.article_ids]
    keys = [k for b in batches for k in b.index_keys]
    assert ids == list(range(1, 26)) and sorted(keys) == ["feed", "home", "tag:a"]
    assert [b.batch for b in batches] == list(range(len(batches)))


def test_a_redelivered_batch_is_not_counted_twice(rt: RenderRuntime) -> None:
    batch = rebuild.plan([1, 2, 3], [], job_id="b" * 32, batch_size=10)[0]
    rebuild.record_done(rt.redis, batch)
    rebuild.record_done(rt.redis, batch)
    assert rebuild.done_so_far(rt.redis, "b" * 32) == 3


@pytest.mark.e2e
def test_render_all_rebuilds_every_page_across_the_workers(rt: RenderRuntime) -> None:
    nutrition = CategoryRef(slug="nutrition", name="Nutrition")
    for aid in range(1, 13):
        snap = snapshot(
            id=aid, slug=f"article-{aid}", title=f"Article {aid}", tags=(f"tag-{aid % 3}",),
            category=bones() if aid % 2 else nutrition,
        )  # fmt: skip
        with rt.db.transaction() as session:
            service.apply_snapshot(session, rt.store, rt.site, snap, now=NOW)
            with_keys = service.full_listing_keys(session)
            service.render_keys(session, rt.store, rt.site, with_keys, now=NOW)
    with rt.db.transaction() as session:
        assert len(repository.live_ids(session)) == 12

    # A site-setting change: only a full re-render puts the new name on every page.
    renamed = {"HEALTHHUB_SITE_NAME": "Renamed Health"}
    with render_workers(rt.settings, 2, extra_env=renamed):
        out = subprocess.run(
            [sys.executable, "-m", "services.cli", "render", "--all", "--batch-size", "3"],
            env=render_env(rt.settings, **renamed), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Rendered 12 article(s)" in out.stdout
    # The navigation every page was rendered with is recorded: the next listings run must
    # not take it for a change and queue the whole site again.
    with rt.db.reading() as session:
        recorded = repository.state_value(session, service.NAV_STATE)
    assert recorded == '[["health", "Health"], ["nutrition", "Nutrition"]]'
    assert not service.render_dirty(rt.db, rt.store, rt.site, now=NOW).rebuild
    pages = sorted(rt.store.root.rglob("index.html"))
    assert len(pages) >= 12 + 1 + 3  # articles, home, tag pages at least
    stale = [p for p in pages if "Renamed Health" not in p.read_text()]
    assert stale == []


def test_render_without_all_is_refused(render_settings: RenderSettings) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", "render"],
        env=render_env(render_settings), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    assert "--all" in out.stderr


def members(rt: RenderRuntime) -> list[tuple[str, int]]:
    with rt.db.reading() as session:
        rows = session.execute(select(ListingMember.listing, ListingMember.article_id))
        return sorted((row[0], row[1]) for row in rows)


def test_reindex_rebuilds_listing_membership_in_short_chunks(
    rt: RenderRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read model from before listings at scale (no membership) is indexed again by
    `render --all`; a member left by an article that is no longer live goes."""
    for aid in range(1, 8):
        snap = snapshot(
            id=aid, slug=f"article-{aid}", tags=(f"tag-{aid % 3}",),
            category=bones() if aid % 2 else CategoryRef(slug="nutrition", name="Nutrition"),
        )  # fmt: skip
        with rt.db.transaction() as session:
            service.apply_snapshot(session, rt.store, rt.site, snap, now=NOW)
    with rt.db.transaction() as session:
        service.apply_snapshot(
            session, rt.store, rt.site, snapshot(id=7, slug="article-7", version=3,
            status="unpublished"), now=NOW,
        )  # fmt: skip
    indexed = members(rt)
    assert ("all", 6) in indexed and ("all", 7) not in indexed
    assert not rebuild.needs_reindex(rt.db)
    with rt.db.transaction() as session:
        session.execute(delete(ListingMember))
    assert rebuild.needs_reindex(rt.db)
    with rt.db.transaction() as session:  # a stale member of the withdrawn article
        session.add(ListingMember(listing="all", sort_at=NOW, article_id=7))
    monkeypatch.setattr(rebuild, "REINDEX_CHUNK", 2)  # several chunks, as on a big site
    assert rebuild.reindex(rt.db) == 6
    assert members(rt) == indexed
    assert not rebuild.needs_reindex(rt.db)

    # Publishes land between its chunks: a withdrawal of an article not reached yet, and a
    # new article. Membership ends as the publishes left it, nothing lost or stale.
    chunks = listing_repository.live_ids_after

    def publishing_meanwhile(session: Session, after: int, limit: int) -> list[int]:
        found = chunks(session, after, limit)
        if after == 2:  # the second chunk has been read: publish beside the reindex
            with rt.db.transaction() as other:
                withdrawn = snapshot(id=5, slug="article-5", version=3, status="unpublished")
                service.apply_snapshot(other, rt.store, rt.site, withdrawn, now=NOW)
                fresh = snapshot(id=8, slug="article-8", tags=("tag-2",))
                service.apply_snapshot(other, rt.store, rt.site, fresh, now=NOW)
        return found

    monkeypatch.setattr(listing_repository, "live_ids_after", publishing_meanwhile)
    rebuild.reindex(rt.db)
    after = members(rt)
    assert not any(aid == 5 for _, aid in after)
    assert ("all", 8) in after and ("tag:tag-2", 8) in after
    assert [m for m in after if m[1] not in (5, 8)] == [m for m in indexed if m[1] != 5]


def _batch(rt: RenderRuntime, ids: list[int]) -> tuple[batch_pages.Batch, list[Any]]:
    with rt.db.reading() as session:
        batch = batch_pages.prepare(session, ids, rank_all=True, read_at=service.utcnow())
        renderer = service.make_renderer(session, rt.site)
    return batch, batch_pages.render(renderer, batch.jobs)


def _apply(rt: RenderRuntime, snap: ArticleSnapshot, now: datetime = NOW) -> None:
    with rt.db.transaction() as session:
        repository.lock_article(session, snap.id)
        result = service.apply_snapshot(session, rt.store, rt.site, snap, now=now)
        repository.mark_dirty(session, result.dirty, NOW)


def test_a_batch_never_writes_over_a_fresher_related_list(rt: RenderRuntime) -> None:
    """A full re-render read page 1; then article 3 was published and the listings worker
    gave page 1 a list with it. The batch must not put back its older page and list."""
    _apply(rt, snapshot(id=1, slug="one", tags=("sleep", "diet")))
    _apply(rt, snapshot(id=2, slug="two", tags=("sleep",)))
    service.render_dirty(rt.db, rt.store, rt.site, now=NOW)
    batch, rendered = _batch(rt, [1])
    better = snapshot(id=3, slug="three", tags=("sleep", "diet"), title="A better match")
    _apply(rt, better, service.utcnow())
    service.render_dirty(rt.db, rt.store, rt.site, now=NOW)  # relatedof:3 → page 1 again
    fresh = rt.store.read("health/one/index.html")
    assert fresh is not None and b"A better match" in fresh
    with rt.db.transaction() as session:
        done = batch_pages.write_current(session, rt.store, batch, rendered)
    assert done.pages == []
    assert rt.store.read("health/one/index.html") == fresh
    with rt.db.reading() as session:
        shown = repository.related_links_of(session, [1])[1]
        assert min(shown, key=lambda link: link.position).related_id == 3


def test_a_batch_marks_the_pages_a_change_made_during_it_may_concern(rt: RenderRuntime) -> None:
    """Article 3 is published while a cold build's batch is between its read and its write,
    and before any listings run: the batch writes its pages, and names for a second look
    exactly those that share a tag or the category with article 3."""
    nutrition = CategoryRef(slug="nutrition", name="Nutrition")
    _apply(rt, snapshot(id=1, slug="one", tags=("sleep",), category=nutrition))
    _apply(rt, snapshot(id=2, slug="two", tags=("diet",), category=bones()))
    _apply(rt, snapshot(id=4, slug="four", tags=("diet",), category=nutrition))
    with rt.db.transaction() as session:
        for aid in (1, 2, 4):
            repository.set_related_links(session, aid, [])
    batch, rendered = _batch(rt, [1, 2, 4])
    _apply(rt, snapshot(id=3, slug="three", tags=("sleep",), category=bones()), service.utcnow())
    with rt.db.transaction() as session:
        done = batch_pages.write_current(session, rt.store, batch, rendered)
    assert len(done.pages) == 3
    assert done.recheck == {1, 2}  # 1 shares "sleep", 2 the category; 4 shares nothing
    quiet, rendered = _batch(rt, [1, 2, 4])
    with rt.db.transaction() as session:
        assert batch_pages.write_current(session, rt.store, quiet, rendered).recheck == set()
