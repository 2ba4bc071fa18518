"""Migration 0004_media over existing data, on SQLite and PostgreSQL: old external heroes stay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from services.articles import search
from services.articles.commands import MIGRATIONS
from services.articles.models import Article
from shared.db import Database, migrate
from tests.conftest import CHECKOUT_TAG
from tests.resources import drop_postgres_database, recreate_postgres_database


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, worker_index: int) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"hh_test_{CHECKOUT_TAG}_{worker_index}_articles_media"
    yield recreate_postgres_database(name)
    drop_postgres_database(name)


def test_an_old_external_hero_survives_the_migration_and_search_still_works(
    empty_url: str,
) -> None:
    migrate(empty_url, MIGRATIONS, "0002")
    db = Database(empty_url)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO categories (id, slug, name, description, created_at) "
                "VALUES (1, 'health', 'Health', '', '2026-01-01 00:00:00+00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO articles (id, slug, title, summary, body, category_id, tags, authors,"
                ' "references", status, version, hero_image_url, hero_image_alt, created_at,'
                " updated_at) VALUES (7, 'old', 'Old article', '', 'About kidneys', 1, '[]',"
                " '[]', '[]', 'published', 3, 'https://img.example/old.jpg', 'Old hero',"
                " '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
            )
        )
    db.dispose()
    migrate(empty_url, MIGRATIONS)
    db = Database(empty_url)
    with db.engine.begin() as conn:
        row = conn.execute(
            text("SELECT hero_image_url, hero_image_alt, hero_media_id FROM articles WHERE id = 7")
        ).one()
        assert tuple(row) == ("https://img.example/old.jpg", "Old hero", None)
        # Editing the body still updates the search index (SQLite: 0002's triggers survive).
        conn.execute(text("UPDATE articles SET body = 'About livers' WHERE id = 7"))
    with db.transaction() as session:
        found = session.execute(select(Article.id).where(search.matches(session, "livers"))).all()
    db.dispose()
    assert [r[0] for r in found] == [7]
