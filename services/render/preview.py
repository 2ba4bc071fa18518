"""Previews: a draft rendered exactly as its page will look, written nowhere.

The same renderer, navigation and related-articles rule as a published page, computed from
the draft's own tags and category against the live read model. Differences, on purpose: the
page carries ``noindex`` and sends no view beacon (an editor is not a reader).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.render import repository
from services.render.article_pages import make_renderer, snapshot_of
from services.render.related import RELATED_LIMIT
from services.render.renderer import Site, card_of, tag_slug
from shared.contracts import ArticleSnapshot


def render_preview(session: Session, site: Site, snapshot: ArticleSnapshot) -> bytes:
    """Read-only: the caller's transaction changes nothing."""
    ranked = repository.related_ranked_for(
        session,
        article_id=snapshot.id,
        category_slug=snapshot.category.slug,
        tag_slugs=sorted({tag_slug(t) for t in snapshot.tags}),
        limit=RELATED_LIMIT,
    )
    renderer = make_renderer(session, site)
    return renderer.article(
        snapshot,
        views=repository.view_count(session, snapshot.id),
        related=[card_of(snapshot_of(row)) for row, _ in ranked],
        preview=True,
    )
