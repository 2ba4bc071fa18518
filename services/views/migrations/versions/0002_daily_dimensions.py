"""daily dimensions and imported days

Per article, per UTC day: views by referrer class, referring domain, device class and
utm_*; and the imported part of a day's count (history imported with a date column).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('daily_dimensions',
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('article_id', 'day', 'dimension', 'value', name=op.f('pk_daily_dimensions'))
    )
    with op.batch_alter_table('daily_dimensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_dimensions_day'), ['day'], unique=False)
    with op.batch_alter_table('daily_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported', sa.BigInteger(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('daily_counts', schema=None) as batch_op:
        batch_op.drop_column('imported')
    with op.batch_alter_table('daily_dimensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_dimensions_day'))
    op.drop_table('daily_dimensions')
