"""related links (what each article page shows as related) and rendered bodies (a cache)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:05:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import shared.db


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('related_links',
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.Column('shared_tags', sa.Integer(), nullable=False),
    sa.Column('published_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('article_id', 'position', name=op.f('pk_related_links'))
    )
    op.create_index(op.f('ix_related_links_related_id'), 'related_links', ['related_id'], unique=False)
    op.create_table('rendered_bodies',
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('renderer', sa.String(length=40), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('toc', sa.JSON(), nullable=False),
    sa.Column('words', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('article_id', name=op.f('pk_rendered_bodies'))
    )


def downgrade() -> None:
    op.drop_table('rendered_bodies')
    op.drop_index(op.f('ix_related_links_related_id'), table_name='related_links')
    op.drop_table('related_links')
