"""dirty marks carry a generation (a render clears only the mark it read); render_state keeps
the navigation every page was last rendered with

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 04:30:00

"""
import json
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('dirty_indexes') as batch:
        batch.add_column(sa.Column('generation', sa.Integer(), server_default='1', nullable=False))
    op.create_table('render_state',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_render_state'))
    )
    # The navigation the pages show now (earlier releases kept it current through a "nav"
    # dirty key), in the form service.render_dirty compares: without it, the first listings
    # run after the upgrade would see a change and re-render the whole site.
    rows = op.get_bind().execute(sa.text(
        "SELECT listing, name FROM listing_names AS n WHERE is_root AND EXISTS "
        "(SELECT 1 FROM listing_members AS m WHERE m.listing = n.listing) ORDER BY listing"
    )).all()
    nav = [[listing.removeprefix("category:"), name] for listing, name in rows]
    op.get_bind().execute(
        sa.text("INSERT INTO render_state (key, value) VALUES ('navigation', :value)"),
        {"value": json.dumps(nav)},
    )


def downgrade() -> None:
    op.drop_table('render_state')
    with op.batch_alter_table('dirty_indexes') as batch:
        batch.drop_column('generation')
