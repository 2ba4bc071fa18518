"""structured references; category slug redirects

Revision ID: 0005_citations_categories
Revises: 0002
Create Date: 2026-11-27 08:00:00

References were stored as {title, url}; they are now {title, publisher, url, accessed, doi,
key} (services.articles.citations.stored_reference). Old entries, in articles and in every
revision (a restore validates a revision as an edit), get the fields the API now requires:
the publisher is the URL's host name (without "www."), the date accessed is the day the
article (or revision) was saved, which is the latest day an editor can have read it. The
downgrade strips the articles' references back to {title, url} (the old API refused other
fields); revisions keep theirs (the old code's restore would refuse them: restore a revision
saved after the downgrade).

``category_redirects``: a slug a category used to have (readers of its old pages are sent
to the new ones, and an article event carries them as the category's former slugs).
"""

import json
from datetime import date, datetime
from typing import Any, Sequence, Union
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0005_citations_categories"
down_revision: Union[str, Sequence[str], None] = "0004_media"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 500


def _day(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)[:10] if value else date.today().isoformat()


def _publisher(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or "Unknown"


def _upgrade_refs(refs: Any, saved: Any) -> tuple[list[dict[str, Any]], bool]:
    if not isinstance(refs, list):
        return [], False
    out, changed = [], False
    for ref in refs:
        if not isinstance(ref, dict):
            changed = True
            continue
        new = {
            "title": ref.get("title", ""),
            "publisher": ref.get("publisher") or _publisher(str(ref.get("url", ""))),
            "url": ref.get("url", ""),
            "accessed": ref.get("accessed") or _day(saved),
            "doi": ref.get("doi"),
            "key": ref.get("key"),
        }
        changed |= new != ref
        out.append(new)
    return out, changed


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    op.create_table(
        "category_redirects",
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_redirects_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_category_redirects")),
    )
    op.create_index(
        op.f("ix_category_redirects_category_id"), "category_redirects", ["category_id"]
    )
    conn = op.get_bind()
    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer),
        sa.column("references", sa.JSON),
        sa.column("updated_at", sa.DateTime),
    )
    revisions = sa.table(
        "revisions",
        sa.column("id", sa.Integer),
        sa.column("data", sa.JSON),
        sa.column("created_at", sa.DateTime),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(articles.c.id, articles.c.references, articles.c.updated_at)
            .where(articles.c.id > last)
            .order_by(articles.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row_id, refs, saved in rows:
            new, changed = _upgrade_refs(_load(refs), saved)
            if changed:
                conn.execute(
                    articles.update().where(articles.c.id == row_id).values(references=new)
                )
        last = rows[-1][0]
    last = 0
    while True:
        rows = conn.execute(
            sa.select(revisions.c.id, revisions.c.data, revisions.c.created_at)
            .where(revisions.c.id > last)
            .order_by(revisions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row_id, data, saved in rows:
            data = _load(data)
            if isinstance(data, dict) and "references" in data:
                new, changed = _upgrade_refs(data["references"], saved)
                if changed:
                    conn.execute(
                        revisions.update()
                        .where(revisions.c.id == row_id)
                        .values(data={**data, "references": new})
                    )
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index(op.f("ix_category_redirects_category_id"), table_name="category_redirects")
    op.drop_table("category_redirects")
    conn = op.get_bind()
    articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("references", sa.JSON))
    for row_id, refs in conn.execute(sa.select(articles.c.id, articles.c.references)).all():
        old = [{"title": r.get("title", ""), "url": r.get("url", "")} for r in _load(refs) or []]
        conn.execute(articles.update().where(articles.c.id == row_id).values(references=old))
