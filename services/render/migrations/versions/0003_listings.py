"""listings at scale: listing membership (stable pagination, sitemap shards), listing names,
snapshot updated_at, 7-day view counts; the rendered-body cache goes (Markdown renders
faster than it reads)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 00:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import shared.db


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('listing_members',
    sa.Column('listing', sa.String(length=200), nullable=False),
    sa.Column('sort_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('listing', 'sort_at', 'article_id', name=op.f('pk_listing_members'))
    )
    op.create_index(op.f('ix_listing_members_article_id'), 'listing_members', ['article_id'], unique=False)
    op.create_table('listing_names',
    sa.Column('listing', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_root', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('listing', name=op.f('pk_listing_names'))
    )
    with op.batch_alter_table('snapshots') as batch:
        batch.add_column(sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('view_counts') as batch:
        batch.add_column(sa.Column('recent', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_view_counts_recent', 'view_counts', ['recent'], unique=False)
    op.create_index('ix_snapshots_applied_at', 'snapshots', ['applied_at'], unique=False)
    op.drop_table('rendered_bodies')
    # Related lists are ranked differently from now on (the longest-standing of equal matches
    # first), and listings need their membership: a read model from before this revision
    # must be rebuilt with `healthhub render --all`, which ranks and fills both again.
    op.execute("DELETE FROM related_links")
    op.execute("DELETE FROM dirty_indexes")


def downgrade() -> None:
    op.create_table('rendered_bodies',
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('renderer', sa.String(length=40), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('toc', sa.JSON(), nullable=False),
    sa.Column('words', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('article_id', name=op.f('pk_rendered_bodies'))
    )
    op.drop_index('ix_snapshots_applied_at', table_name='snapshots')
    op.drop_index('ix_view_counts_recent', table_name='view_counts')
    with op.batch_alter_table('view_counts') as batch:
        batch.drop_column('recent')
    with op.batch_alter_table('snapshots') as batch:
        batch.drop_column('updated_at')
    op.drop_table('listing_names')
    op.drop_index(op.f('ix_listing_members_article_id'), table_name='listing_members')
    op.drop_table('listing_members')
