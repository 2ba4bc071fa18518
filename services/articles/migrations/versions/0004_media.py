"""media library: media, article_media, articles.hero_media_id

Revision ID: 0004_media
Revises: 0002
Create Date: 2026-11-27 08:00:00

The media library's tables, and an article's hero image as a library reference. The old
``hero_image_url`` column stays: existing external heroes keep rendering until an editor
replaces them (the API takes no new external URL; docs/api.md).

SQLite: the column is added with a plain ``ALTER TABLE ... ADD COLUMN``, without the foreign
key: a constraint needs batch mode, which rebuilds ``articles`` and drops the search triggers
of 0002, and SQLite cannot drop a constrained column on the way down. Deleting an image is
refused while any live article uses it, and media/service.py clears the column of deleted
articles itself, so the constraint is a second wall on PostgreSQL only.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004_media"
down_revision: Union[str, Sequence[str], None] = "0003_people_reviews"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_ext", sa.String(length=4), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("widths", sa.JSON(), nullable=False),
        sa.Column("alt", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("sha256", name=op.f("uq_media_sha256")),
    )
    op.create_table(
        "article_media",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_article_media_article_id_articles"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["media_id"], ["media.id"],
            name=op.f("fk_article_media_media_id_media"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "media_id", name=op.f("pk_article_media")),
    )
    op.create_index(op.f("ix_article_media_media_id"), "article_media", ["media_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE articles ADD COLUMN hero_media_id INTEGER")
    else:
        op.add_column("articles", sa.Column("hero_media_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_articles_hero_media_id_media"), "articles", "media",
            ["hero_media_id"], ["id"], ondelete="SET NULL",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE articles DROP COLUMN hero_media_id")
    else:
        op.drop_constraint(op.f("fk_articles_hero_media_id_media"), "articles", type_="foreignkey")
        op.drop_column("articles", "hero_media_id")
    op.drop_index(op.f("ix_article_media_media_id"), table_name="article_media")
    op.drop_table("article_media")
    op.drop_table("media")
