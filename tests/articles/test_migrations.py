"""Migrations from empty and over existing data, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from services.articles import search
from services.articles.commands import MIGRATIONS
from services.articles.models import Article, Base
from services.articles.settings import ArticlesSettings
from shared.contracts import SLUG_RE
from shared.db import Database, migrate
from tests.conftest import CHECKOUT_TAG
from tests.resources import drop_postgres_database, recreate_postgres_database


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, worker_index: int) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"hh_test_{CHECKOUT_TAG}_{worker_index}_articles_fresh"
    yield recreate_postgres_database(name)
    drop_postgres_database(name)


def test_0002_copies_existing_tags_and_authors_and_indexes_existing_text(
    empty_url: str,
) -> None:
    migrate(empty_url, MIGRATIONS, "0001")
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
                " \"references\", status, version, created_at, updated_at) VALUES (7, 'old',"
                " 'Old article', '', 'About kidneys', 1, '[\"kidney\", \"renal\"]', '[\"Ann\"]',"
                " '[]', 'published', 3, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
            )
        )
    db.dispose()
    migrate(empty_url, MIGRATIONS)
    db = Database(empty_url)
    with db.engine.connect() as conn:
        tags = conn.execute(text("SELECT article_id, tag FROM article_tags ORDER BY tag")).all()
        authors = conn.execute(text("SELECT article_id, author FROM article_authors")).all()
    assert [tuple(r) for r in tags] == [(7, "kidney"), (7, "renal")]
    assert [tuple(r) for r in authors] == [(7, "Ann")]
    with db.transaction() as session:
        found = session.execute(select(Article.id).where(search.matches(session, "kidneys"))).all()
    db.dispose()
    assert [r[0] for r in found] == [7]


def test_the_schema_goes_down_and_up_again(empty_url: str) -> None:
    migrate(empty_url, MIGRATIONS)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", empty_url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    command.downgrade(cfg, "0001")
    migrate(empty_url, MIGRATIONS)
    db = Database(empty_url)
    with db.engine.connect() as conn:
        head = ScriptDirectory.from_config(cfg).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    db.dispose()


def test_postgres_search_uses_the_index(articles_settings: ArticlesSettings, backend: str) -> None:
    """The query's expression must be the indexed one, or every search scans the table."""
    if backend != "postgresql":
        pytest.skip("the GIN expression index exists on PostgreSQL only (SQLite uses FTS5)")
    db = Database(articles_settings.articles_database_url)
    with db.transaction() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        stmt = select(Article.id).where(search.matches(session, "bone health"))
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")))
    db.dispose()
    assert "ix_articles_search" in plan, plan


def test_0003_turns_author_strings_into_people_linked_in_order(empty_url: str) -> None:
    migrate(empty_url, MIGRATIONS, "0002")
    db = Database(empty_url)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO categories (id, slug, name, description, created_at) "
                "VALUES (1, 'health', 'Health', '', '2026-01-01 00:00:00+00:00')"
            )
        )
        for aid, authors in ((7, '["Dr Ann Lee", "Bo Chan"]'), (8, '["Bo Chan"]')):
            conn.execute(
                text(
                    "INSERT INTO articles (id, slug, title, summary, body, category_id, tags,"
                    ' authors, "references", status, version, created_at, updated_at) VALUES'
                    " (:id, :slug, 'T', '', '', 1, '[]', :authors, '[]', 'published', 1,"
                    " '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
                ),
                {"id": aid, "slug": f"a{aid}", "authors": authors},
            )
    db.dispose()
    migrate(empty_url, MIGRATIONS)
    db = Database(empty_url)
    with db.engine.connect() as conn:
        people = conn.execute(text("SELECT id, slug, name FROM people ORDER BY id")).all()
        links = conn.execute(
            text(
                "SELECT ap.article_id, ap.position, p.slug FROM article_people ap"
                " JOIN people p ON p.id = ap.person_id ORDER BY ap.article_id, ap.position"
            )
        ).all()
        required = conn.execute(text("SELECT requires_review FROM categories")).scalar()
    db.dispose()
    assert [(r.slug, r.name) for r in people] == [
        ("dr-ann-lee", "Dr Ann Lee"),
        ("bo-chan", "Bo Chan"),
    ]
    assert [tuple(r) for r in links] == [(7, 0, "dr-ann-lee"), (7, 1, "bo-chan"), (8, 0, "bo-chan")]
    assert not required


def test_0003_slugs_of_long_and_alike_names_are_valid_and_unique(empty_url: str) -> None:
    """A cut that lands after a hyphen must not leave the hyphen: a slug failing the
    pattern made every later snapshot of the article fail (a 500 on each update)."""
    long_name = "A" * 99 + " Bee"
    names = [long_name, "Bo Chan", "bo-chan", "Bo Chan 2", "Ünïcode Name", "!!!"]
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
                "INSERT INTO articles (id, slug, title, summary, body, category_id, tags,"
                ' authors, "references", status, version, created_at, updated_at) VALUES'
                " (7, 'a7', 'T', '', '', 1, '[]', :authors, '[]', 'published', 1,"
                " '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
            ),
            {"authors": json.dumps(names)},
        )
    db.dispose()
    migrate(empty_url, MIGRATIONS)
    db = Database(empty_url)
    with db.engine.connect() as conn:
        slugs = {r.name: r.slug for r in conn.execute(text("SELECT name, slug FROM people"))}
    db.dispose()
    assert set(slugs) == set(names)
    for slug in slugs.values():
        assert SLUG_RE.match(slug) and len(slug) <= 120, slug
    assert len(set(slugs.values())) == len(names)
    assert slugs[long_name] == "a" * 99
    assert slugs["Bo Chan"] == "bo-chan"
    assert slugs["bo-chan"] == "bo-chan-2"
    assert slugs["Bo Chan 2"] not in {"bo-chan", "bo-chan-2"}
    assert slugs["Ünïcode Name"] == "unicode-name"
    assert slugs["!!!"] == "person"


def test_0006_users_and_sessions_match_the_models_and_go_down_cleanly(empty_url: str) -> None:
    migrate(empty_url, MIGRATIONS, "0005_citations_categories")
    migrate(empty_url, MIGRATIONS)
    db = Database(empty_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    # Only what the migration made: the users and sessions tables as the models declare them.
    assert [d for d in diff if "users" in repr(d) or "sessions" in repr(d)] == []
    db = Database(empty_url)
    now = "2026-01-01 00:00:00+00:00"
    insert_user = text(
        "INSERT INTO users (id, email, display_name, role, password_hash, created_at)"
        " VALUES (:id, :email, 'A', 'editor', 'x', :now)"
    )
    with db.engine.begin() as conn:
        conn.execute(insert_user, {"id": 1, "email": "ann@example.org", "now": now})
        conn.execute(
            text(
                "INSERT INTO sessions (id_hash, user_id, csrf_secret, created_at, last_seen_at,"
                " idle_expires_at, absolute_expires_at) VALUES ('h', 1, 'c', :now, :now, :now,"
                " :now)"
            ),
            {"now": now},
        )
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert_user, {"id": 2, "email": "ann@example.org", "now": now})
    with db.engine.begin() as conn:  # a user's sessions go with the user
        conn.execute(text("DELETE FROM users WHERE id = 1"))
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar() == 0
    db.dispose()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", empty_url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    command.downgrade(cfg, "0005_citations_categories")
    db = Database(empty_url)
    with db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    db.dispose()
    assert not {"users", "sessions"} & tables
    assert "articles" in tables
