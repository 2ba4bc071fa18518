"""Render read-model migrations over existing data, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.render import people, repository, service
from services.render.commands import MIGRATIONS
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from shared.contracts import CategoryRef
from shared.db import migrate
from tests.conftest import CHECKOUT_TAG
from tests.render.builders import bones, snapshot
from tests.resources import drop_postgres_database, recreate_postgres_database

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, worker_index: int) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'render-fresh.db'}"
        return
    name = f"hh_test_{CHECKOUT_TAG}_{worker_index}_render_fresh"
    yield recreate_postgres_database(name)
    drop_postgres_database(name)


def test_0004_records_the_navigation_the_pages_already_show(
    empty_url: str, render_settings: RenderSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site upgraded from 0003: the first listings run must not take the navigation it
    finds for a change and re-render every page."""
    migrate(empty_url, MIGRATIONS, "0003")
    # The release at 0003 kept no people tables (0005): apply as it did, without them.
    monkeypatch.setattr(people, "set_article_people", lambda *_: None)
    rt = RenderRuntime.from_settings(
        render_settings.model_copy(update={"render_database_url": empty_url})
    )
    try:
        for aid, category in ((1, bones()), (2, CategoryRef(slug="sleep", name="Sleep"))):
            with rt.db.transaction() as session:
                service.apply_snapshot(
                    session, rt.store, rt.site, snapshot(id=aid, slug=f"a-{aid}",
                    category=category), now=NOW,
                )  # fmt: skip
        migrate(empty_url, MIGRATIONS)
        monkeypatch.undo()
        with rt.db.reading() as session:
            recorded = repository.state_value(session, service.NAV_STATE)
        assert recorded == '[["health", "Health"], ["sleep", "Sleep"]]'
        assert not service.render_dirty(rt.db, rt.store, rt.site, now=NOW).rebuild
    finally:
        rt.close()
