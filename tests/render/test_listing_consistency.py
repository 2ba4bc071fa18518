"""After any sequence of publishes, edits, slug and category changes, withdrawals and deletes,
delivered in bursts, twice, or out of order, through the real render workers (two on the
pages queue, one on the listings queue): every listing page, sitemap shard and article page
is exactly what a full rebuild produces, both from the workers' read model and from the
articles' final versions alone (applied to an empty read model of their own, so a wrong
membership or an outdated snapshot in the workers' model cannot hide on both sides); every
live article is readable at its place and every withdrawn one answers 410 there."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.render import batch_pages, repository, service
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from services.render.store import GONE_DIR, REDIRECTS_DIR, PageStore, article_page
from services.render.worker import create_celery
from shared.contracts import (
    RENDER_ARTICLE_CHANGED_TASK,
    RENDER_LISTINGS_QUEUE,
    RENDER_PAGES_QUEUE,
    ArticleSnapshot,
    CategoryCrumb,
    CategoryRef,
)
from tests.conftest import DatabaseFactory
from tests.render.builders import event, snapshot
from tests.render.workers import render_workers

pytestmark = pytest.mark.e2e

START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
CATEGORIES = (
    CategoryRef(slug="health", name="Health"),
    CategoryRef(slug="nutrition", name="Nutrition"),
    CategoryRef(slug="bones", name="Bones", parents=(CategoryCrumb(slug="health", name="Health"),)),
)
TAGS = ("sleep", "diet", "heart", "bones", "stress")
ARTICLES = 24


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    # Small pages and shards, so that two dozen articles make archive pages and several
    # sitemap shards, and every sequence moves articles across their boundaries.
    small = render_settings.model_copy(update={"listing_page_size": 3, "sitemap_shard_size": 4})
    runtime = RenderRuntime.from_settings(small)
    yield runtime
    runtime.close()


def random_events(rng: random.Random) -> list[ArticleSnapshot]:
    """A plausible editorial history: each step is the next version of some article."""
    state: dict[int, dict[str, Any]] = {}
    history: list[ArticleSnapshot] = []
    for step in range(110):
        aid = rng.randrange(1, ARTICLES + 1)
        current = state.get(aid)
        if current is None or current["status"] == "deleted":
            when = START + timedelta(hours=rng.randrange(0, 400))
            current = {
                "id": aid, "version": (current or {}).get("version", 0), "slug": f"article-{aid}",
                "former_slugs": (), "category": rng.choice(CATEGORIES), "title": f"Article {aid}",
                "tags": tuple(rng.sample(TAGS, rng.randrange(0, 3))), "status": "published",
                "created_at": when, "updated_at": when, "published_at": when,
            }  # fmt: skip
        else:
            current = dict(current)
            action = rng.choice(
                ["title", "tags", "slug", "category", "unpublish", "delete", "publish", "body"]
            )
            if action == "title":
                current["title"] = f"Article {aid} rev {step}"
            elif action == "tags":
                current["tags"] = tuple(rng.sample(TAGS, rng.randrange(0, 3)))
            elif action == "slug":
                current["former_slugs"] = (*current["former_slugs"], current["slug"])[-3:]
                current["slug"] = f"article-{aid}-v{step}"
            elif action == "category":
                current["category"] = rng.choice(CATEGORIES)
            elif action == "unpublish":
                current["status"] = "unpublished"
            elif action == "delete":
                current["status"] = "deleted"
            elif action == "publish":
                current["status"] = "published"
            current["updated_at"] = current["updated_at"] + timedelta(minutes=step + 1)
        current["version"] += 1
        state[aid] = current
        history.append(snapshot(**current))
    return history


def deliveries(rng: random.Random, history: list[ArticleSnapshot]) -> list[ArticleSnapshot]:
    """At-least-once, in any order nearby: some events twice, neighbours swapped."""
    out = [s for s in history for _ in range(2 if rng.random() < 0.2 else 1)]
    for i in range(len(out) - 1):
        if rng.random() < 0.25:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def wait_until_settled(rt: RenderRuntime, timeout: float = 180) -> None:
    """Queues empty, nothing reserved or delayed by a worker, no listing work left (but the
    related-refresh schedule's, which waits for its time); twice in a row, a second apart."""
    broker = rt.redis.from_url(rt.settings.broker_url)
    deadline = time.monotonic() + timeout
    calm = 0
    while time.monotonic() < deadline:
        with rt.db.reading() as session:
            dirty = repository.count_dirty(session, scheduled=False)
        busy = (
            broker.llen(RENDER_PAGES_QUEUE) + broker.llen(RENDER_LISTINGS_QUEUE)
            + broker.hlen("unacked") + dirty
        )  # fmt: skip
        calm = calm + 1 if busy == 0 else 0
        if calm >= 3:
            return
        time.sleep(0.5)
    raise AssertionError(f"render work did not settle: {dirty} dirty key(s)")


def rebuild_into(rt: RenderRuntime, root: Path) -> PageStore:
    store = PageStore(root)
    with rt.db.reading() as session:
        ids = repository.live_ids(session)
        service.render_keys(session, store, rt.site, service.full_listing_keys(session), now=START)
        batch = batch_pages.prepare(session, ids, rank_all=True, read_at=START)
        renderer = service.make_renderer(session, rt.site)
    batch_pages.write(store, renderer, batch.jobs)
    return store


def expected_site(
    rt: RenderRuntime, database_url: DatabaseFactory, root: Path, history: list[ArticleSnapshot]
) -> dict[str, bytes]:
    """The site as the articles' final versions say it must be: each article's last version
    alone, applied to an empty read model of its own, then built whole."""
    final = {snap.id: snap for snap in history}  # each article's versions come in order
    settings = rt.settings.model_copy(
        update={
            "render_database_url": database_url("render", "expected"),
            "page_store_dir": root / "applied",
        }
    )
    fresh = RenderRuntime.from_settings(settings)
    try:
        for snap in final.values():
            with fresh.db.transaction() as session:
                repository.lock_article(session, snap.id)
                service.apply_snapshot(session, fresh.store, fresh.site, snap, now=START)
        return pages(rebuild_into(fresh, root / "built"))
    finally:
        fresh.close()


def check_places(store: PageStore, history: list[ArticleSnapshot]) -> None:
    """A live article's page is at its place, with no 410 or redirect marker over it; a
    withdrawn (unpublished or deleted) one has no page there and is marked gone (every
    version here has been published); its former slugs redirect to its place either way.
    (Display names of categories and tags never change in these histories: the read model
    keeps the last name it saw, which a rebuild from final versions could not tell apart.)"""
    for snap in {s.id: s for s in history}.values():
        place = (snap.category.slug, snap.slug)
        page = store.root / article_page(*place)
        gone = store.root / GONE_DIR / place[0] / place[1]
        moved = store.root / REDIRECTS_DIR / place[0] / place[1]
        if snap.is_live:
            assert page.is_file() and not gone.exists() and not moved.exists(), snap.id
        else:
            assert not page.exists() and gone.exists(), (snap.id, snap.status)
        for former in snap.former_slugs:  # the article's former slugs lead to its place
            marker = store.root / REDIRECTS_DIR / place[0] / former
            assert marker.read_text() == f"/{place[0]}/{place[1]}", (snap.id, former)


def pages(store: PageStore) -> dict[str, bytes]:
    """Every page and sitemap file (redirect and gone markers, gzip copies aside)."""
    found = {}
    for path in store.root.rglob("*"):
        rel = path.relative_to(store.root).as_posix()
        if path.is_file() and rel.endswith((".html", ".xml")) and not rel.startswith("_"):
            found[rel] = path.read_bytes()
    return found


# One random history per database, a different one on each (the same two histories on
# both databases doubled this test's share of the suite).
SEEDS = {"sqlite": 11, "postgresql": 12}


@pytest.mark.parametrize(
    "refresh",
    [0.0, 1.0, 300.0],
    ids=["entries-at-once", "entries-due-meanwhile", "entries-scheduled"],
)
def test_every_listing_and_page_matches_a_full_rebuild(
    rt: RenderRuntime, tmp_path: Path, backend: str, refresh: float, database_url: DatabaseFactory
) -> None:
    """``entries-scheduled``: the workers run a five-minute related-refresh schedule (the
    default); once it has run (here: a listings run after the workers stop, past it), every
    page is exact all the same. ``entries-due-meanwhile``: a one-second schedule, so that
    scheduled checks fall due and run among the listing runs the events cause."""
    settings = rt.settings.model_copy(update={"related_refresh_seconds": refresh})
    rng = random.Random(SEEDS[backend])
    history = random_events(rng)
    app = create_celery(settings)
    with (
        render_workers(settings, 2, kinds=("render-pages",)),
        render_workers(settings, 1, kinds=("render-listings",)),
    ):
        for i, snap in enumerate(deliveries(rng, history)):
            app.send_task(RENDER_ARTICLE_CHANGED_TASK, args=[event(snap)], queue=RENDER_PAGES_QUEUE)
            if i % 25 == 24:
                time.sleep(rng.choice([0.0, 0.3, 1.0]))  # bursts, and pauses between them
        wait_until_settled(rt)
    with rt.db.reading() as session:
        waiting = repository.count_dirty(session)
    if refresh != 1.0:  # (at one second, some have run and some wait, by timing)
        assert (waiting > 0) == (refresh > 0)  # scheduled entry checks wait, and only those
    for _ in range(20):  # the schedule's time has come
        later = service.utcnow() + timedelta(seconds=refresh)
        run = service.render_dirty(rt.db, rt.store, rt.site, now=later)
        with rt.db.reading() as session:
            if run.pending == 0 and repository.count_dirty(session) == 0:
                break
    else:
        raise AssertionError("the scheduled related work did not settle")
    live = pages(rt.store)
    rebuilt = pages(rebuild_into(rt, tmp_path / "rebuilt"))
    assert sorted(live) == sorted(rebuilt)
    differing = [rel for rel in rebuilt if live[rel] != rebuilt[rel]]
    assert differing == []
    expected = expected_site(rt, database_url, tmp_path / "expected", history)
    assert sorted(live) == sorted(expected)
    assert [rel for rel in expected if live[rel] != expected[rel]] == []
    check_places(rt.store, history)
    with rt.db.reading() as session:
        live_count = len(repository.live_ids(session))
    assert live_count >= 9  # the sequence left a real site: archive pages, several shards
    assert "sitemap-articles-2.xml" in live and "health/page/2/index.html" in live
    assert any(rel.startswith("tags/") and "/page/" in rel for rel in live)
