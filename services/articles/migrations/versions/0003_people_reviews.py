"""people (authors and reviewers as records), medical reviews, review settings per category,
the outbox's topic, view totals as a read model

Revision ID: 0003_people_reviews
Revises: 0002
Create Date: 2026-11-27 07:45:00

Existing author strings become Person rows (one per distinct name, slug made from the name)
and every article is linked to its authors in order, so articles written before people
existed show their authors' profile links after the upgrade. ``articles.authors`` (the names)
stays, for the filters and for clients of the string API. Free-text ``reviewed_by`` stays as
it is: a name alone is not a review record (nobody approved a version); the first review of
an article supersedes it.

Columns are added with ADD COLUMN, never a batch rebuild of ``articles``: that would drop the
FTS triggers of 0002 on SQLite.
"""
import json
import re
import unicodedata
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003_people_reviews"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _slug(name: str) -> str:
    """A slug the runtime accepts (``shared.contracts.SLUG_PATTERN``, at most 120 characters).

    Truncate first, then strip "-": stripping first lets the cut land just after a hyphen
    ("a" * 99 + " Bee" became "aaa…a-"), a slug that fails the pattern, after which every
    snapshot of the article fails validation."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower())[:100].strip("-")
    return slug or "person"


def _unique(base: str, taken: set[str]) -> str:
    # The base is at most 100 characters, so any suffix still fits the column (120) and
    # ends in a digit: the result keeps the pattern.
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value or []]


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credentials", sa.String(length=200), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("photo_media_id", sa.Integer(), nullable=True),
        sa.Column("photo_url", sa.String(length=2000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("slug", name=op.f("uq_people_slug")),
    )
    op.create_index(op.f("ix_people_name"), "people", ["name"], unique=False)
    op.create_table(
        "article_people",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_article_people_article_id_articles"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_article_people_person_id_people")
        ),
        sa.PrimaryKeyConstraint("article_id", "position", name=op.f("pk_article_people")),
    )
    op.create_index(
        op.f("ix_article_people_person_id"), "article_people", ["person_id"], unique=False
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("article_version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_reviews_article_id_articles"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_reviews_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_index("ix_reviews_article", "reviews", ["article_id", "id"], unique=False)
    op.create_table(
        "article_view_counts",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("recent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_view_counts")),
    )
    op.add_column(
        "categories",
        sa.Column("requires_review", sa.Boolean(), server_default="0", nullable=False),
    )
    op.add_column(
        "categories",
        sa.Column("review_interval_months", sa.Integer(), server_default="12", nullable=False),
    )
    op.add_column("articles", sa.Column("approval_id", sa.Integer(), nullable=True))
    op.add_column(
        "outbox",
        sa.Column("topic", sa.String(length=20), server_default="article", nullable=False),
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_api_tokens_person_id_people"), "people", ["person_id"], ["id"]
        )
    _people_from_author_strings()


def _people_from_author_strings() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, authors, created_at FROM articles ORDER BY id")
    ).all()
    person_of: dict[str, int] = {}
    slugs: set[str] = set()
    links = []
    for row in rows:
        for position, name in enumerate(dict.fromkeys(_as_list(row.authors))):
            if name not in person_of:
                slug = _unique(_slug(name), slugs)
                bind.execute(
                    sa.text(
                        "INSERT INTO people (slug, name, credentials, bio, version, created_at,"
                        " updated_at) VALUES (:slug, :name, '', '', 1, :at, :at)"
                    ),
                    {"slug": slug, "name": name, "at": row.created_at},
                )
                person_of[name] = bind.execute(
                    sa.text("SELECT id FROM people WHERE slug = :slug"), {"slug": slug}
                ).scalar_one()
            links.append(
                {"article_id": row.id, "position": position, "person_id": person_of[name]}
            )
    if links:
        bind.execute(
            sa.text(
                "INSERT INTO article_people (article_id, position, person_id)"
                " VALUES (:article_id, :position, :person_id)"
            ),
            links,
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(op.f("fk_api_tokens_person_id_people"), type_="foreignkey")
        batch.drop_column("person_id")
    op.drop_column("outbox", "topic")
    op.drop_column("articles", "approval_id")
    op.drop_column("categories", "review_interval_months")
    op.drop_column("categories", "requires_review")
    op.drop_table("article_view_counts")
    op.drop_index("ix_reviews_article", table_name="reviews")
    op.drop_table("reviews")
    op.drop_index(op.f("ix_article_people_person_id"), table_name="article_people")
    op.drop_table("article_people")
    op.drop_index(op.f("ix_people_name"), table_name="people")
    op.drop_table("people")
