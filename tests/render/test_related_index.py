"""The related-articles rule in memory (full re-renders) ranks exactly as the SQL query (a
publish) does, on random read models (real SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.render import related_index, repository, service
from services.render.related import RELATED_LIMIT
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from shared.contracts import CategoryCrumb, CategoryRef
from tests.render.builders import snapshot

NOW = datetime(2026, 1, 1, tzinfo=UTC)
START = datetime(2024, 1, 1, tzinfo=UTC)
CATEGORIES = (
    CategoryRef(slug="health", name="Health"),
    CategoryRef(slug="nutrition", name="Nutrition"),
    CategoryRef(slug="bones", name="Bones", parents=(CategoryCrumb(slug="health", name="Health"),)),
)
TAGS = ("sleep", "diet", "heart", "bones", "skin", "stress")


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_index_ranks_every_page_as_the_query_does(rt: RenderRuntime, seed: int) -> None:
    rng = random.Random(seed)
    for aid in range(1, 61):
        # Equal publish times on purpose, so the id decides between equals.
        when = START + timedelta(days=rng.randrange(0, 20))
        snap = snapshot(
            id=aid, slug=f"a-{aid}", title=f"A {aid}", category=rng.choice(CATEGORIES),
            tags=tuple(rng.sample(TAGS, rng.randrange(0, 5))), created_at=when, updated_at=when,
            published_at=when, status="published" if rng.random() < 0.85 else "unpublished",
        )  # fmt: skip
        with rt.db.transaction() as session:
            service.apply_snapshot(session, rt.store, rt.site, snap, now=NOW)
    with rt.db.reading() as session:
        index = related_index.load(session)
        compared = 0
        for row in repository.live_snapshots(session):
            expected = [
                (r.article_id, n) for r, n in repository.related_ranked(session, row, RELATED_LIMIT)
            ]
            assert index.ranked(row.article_id) == expected, row.article_id
            compared += 1
    assert compared >= 40


def test_the_cached_index_is_loaded_again_when_the_read_model_changes(rt: RenderRuntime) -> None:
    with rt.db.transaction() as session:
        service.apply_snapshot(session, rt.store, rt.site, snapshot(id=1, tags=("sleep",)), now=NOW)
    with rt.db.reading() as session:
        first = related_index.current(session)
        assert related_index.current(session) is first
    later = NOW + timedelta(seconds=1)
    with rt.db.transaction() as session:
        service.apply_snapshot(
            session, rt.store, rt.site, snapshot(id=2, slug="b", tags=("sleep",)), now=later
        )
    with rt.db.reading() as session:
        again = related_index.current(session)
    assert again is not first and again.ranked(1) == [(2, 1)]
