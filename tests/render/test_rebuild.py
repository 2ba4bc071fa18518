"""`healthhub render --all`: every page rebuilt by real render worker processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from services.render import rebuild, repository, service
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from shared.contracts import CategoryRef
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
