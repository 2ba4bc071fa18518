"""tags and authors as rows; full-text search (PostgreSQL tsvector, SQLite FTS5)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:10:00

The JSON lists on ``articles`` stay (they keep the editor's order and feed the snapshot);
``article_tags`` / ``article_authors`` copy them so filters are indexed lookups.

Search: on PostgreSQL a GIN expression index over the same expression that
``services.articles.search`` queries; nothing to keep in sync. On SQLite an external-content
FTS5 table kept in sync by triggers, so it changes in the same transaction as the article.
A later migration that rebuilds ``articles`` with batch mode on SQLite drops these triggers:
it must create them again (see SQLITE_TRIGGERS).
"""
import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Must match services/articles/search.py exactly, or PostgreSQL will not use the index.
PG_INDEX = (
    "CREATE INDEX ix_articles_search ON articles USING GIN ("
    "to_tsvector('english'::regconfig, title || ' ' || summary || ' ' || left(body, 200000)))"
)

SQLITE_TRIGGERS = (
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, summary, body)
        VALUES (new.id, new.title, new.summary, new.body);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, body)
        VALUES ('delete', old.id, old.title, old.summary, old.body);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, body)
        VALUES ('delete', old.id, old.title, old.summary, old.body);
        INSERT INTO articles_fts(rowid, title, summary, body)
        VALUES (new.id, new.title, new.summary, new.body);
    END""",
)


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value or []]


def upgrade() -> None:
    op.create_table(
        "article_tags",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_article_tags_article_id_articles"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "tag", name=op.f("pk_article_tags")),
    )
    op.create_index(op.f("ix_article_tags_tag"), "article_tags", ["tag"], unique=False)
    op.create_table(
        "article_authors",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_article_authors_article_id_articles"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "author", name=op.f("pk_article_authors")),
    )
    op.create_index(op.f("ix_article_authors_author"), "article_authors", ["author"], unique=False)
    # The public list's default order is newest published first.
    if op.get_bind().dialect.name == "postgresql":
        # In the order the list asks for, so PostgreSQL reads it forwards and stops at a page
        # (its DESC puts NULLs first otherwise; SQLite's DESC already puts them last).
        op.execute(
            "CREATE INDEX ix_articles_status_published_at "
            "ON articles (status, published_at DESC NULLS LAST)"
        )
    else:
        op.create_index(
            "ix_articles_status_published_at", "articles", ["status", "published_at"], unique=False
        )

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, tags, authors FROM articles")).all()
    tags = [{"article_id": r.id, "tag": t} for r in rows for t in dict.fromkeys(_as_list(r.tags))]
    authors = [
        {"article_id": r.id, "author": a} for r in rows for a in dict.fromkeys(_as_list(r.authors))
    ]
    if tags:
        bind.execute(sa.text("INSERT INTO article_tags (article_id, tag) VALUES (:article_id, :tag)"), tags)
    if authors:
        bind.execute(
            sa.text("INSERT INTO article_authors (article_id, author) VALUES (:article_id, :author)"),
            authors,
        )

    if bind.dialect.name == "postgresql":
        op.execute(PG_INDEX)
    elif bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, body, "
            "content='articles', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search")
    elif bind.dialect.name == "sqlite":
        for name in ("articles_fts_insert", "articles_fts_delete", "articles_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    op.drop_index("ix_articles_status_published_at", table_name="articles")
    op.drop_index(op.f("ix_article_authors_author"), table_name="article_authors")
    op.drop_table("article_authors")
    op.drop_index(op.f("ix_article_tags_tag"), table_name="article_tags")
    op.drop_table("article_tags")
