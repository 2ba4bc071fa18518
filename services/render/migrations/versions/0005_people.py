"""people (read model of person events) and which live article shows whom

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 07:50:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_slug"), "people", ["slug"], unique=False)
    op.create_table(
        "article_people",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "person_id", "role", name=op.f("pk_article_people")),
    )
    op.create_index(
        op.f("ix_article_people_person_id"), "article_people", ["person_id"], unique=False
    )
    # Articles applied before this release name no people in their snapshots; their pages
    # show the free-text authors until their next event or a `healthhub render --all`.


def downgrade() -> None:
    op.drop_index(op.f("ix_article_people_person_id"), table_name="article_people")
    op.drop_table("article_people")
    op.drop_index(op.f("ix_people_slug"), table_name="people")
    op.drop_table("people")
