"""an index for the editor's lists: status, then last update

Revision ID: 0007_status_updated_index
Revises: 0006_users_sessions
Create Date: 2026-11-27 14:40:00

The editor lists one status newest-updated first (``?status=published``). With only the
(status, published_at) index, the database read every article of that status and sorted
them, a cost that grows with the site; with (status, updated_at) it walks the index to the
page (bench/editor_screens.py measures the screens).
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0007_status_updated_index"
down_revision: Union[str, Sequence[str], None] = "0006_users_sessions"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_articles_status_updated_at", "articles", ["status", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_status_updated_at", table_name="articles")
