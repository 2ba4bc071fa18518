"""Article pages: rendered from the read model, with the related list they show.

A publish renders its page in its own transaction (``render_article``); a listings run
prepares pages from a read snapshot and writes them only if still current
(``prepare_article`` / ``write_prepared``), so a slow related query never holds the write
lock a publish needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from services.render import listing_repository as lists
from services.render import people, related, repository
from services.render.models import Snapshot
from services.render.renderer import NavCategory, Renderer, Site, card_of, render_body
from services.render.store import PageStore, article_page
from shared.contracts import ArticleSnapshot

RELATED_LIMIT = related.RELATED_LIMIT


def snapshot_of(row: Snapshot) -> ArticleSnapshot:
    return ArticleSnapshot.model_validate(row.data)


def make_renderer(session: Session, site: Site) -> Renderer:
    """A renderer whose navigation lists the categories that have live articles."""
    nav = [NavCategory(slug=s, name=n) for s, n in lists.navigation(session)]
    return Renderer(site, nav)


@dataclass(frozen=True)
class PreparedPage:
    """An article page rendered from a read snapshot, to be written if still current."""

    article_id: int
    version: int
    rel: str
    html: bytes
    related: list[tuple[int, int, datetime | None]]


def prepare_article(session: Session, site: Site, article_id: int) -> PreparedPage | None:
    row = repository.get_snapshot(session, article_id)
    if row is None or row.status != "published":
        return None
    snapshot = people.current(session, snapshot_of(row))
    ranked = repository.related_ranked(session, row, RELATED_LIMIT)
    html = make_renderer(session, site).article(
        snapshot,
        views=repository.view_count(session, article_id),
        related=[card_of(snapshot_of(r)) for r, _ in ranked],
        body=render_body(snapshot),
    )
    return PreparedPage(
        article_id=article_id,
        version=row.version,
        rel=article_page(row.category_slug, row.slug),
        html=html,
        related=[(r.article_id, n, r.published_at) for r, n in ranked],
    )


def write_prepared(session: Session, store: PageStore, page: PreparedPage) -> list[str] | None:
    """Write the page and store its related list, unless the article changed since it was
    read; the caller holds the article's lock. None: the article is live at a newer version.
    Its publish wrote that page, but perhaps with the list it already showed (an edit keeping
    tags and category, whose check of ``article:<id>`` may precede the mark this render
    serves): the caller leaves the page marked, to be rendered again from the newer read."""
    row = repository.get_snapshot(session, page.article_id)
    if row is None or row.status != "published":
        return []
    if row.version != page.version:
        return None
    repository.set_related_links(session, page.article_id, page.related)
    store.write(page.rel, page.html)
    return [page.rel]


def stored_ranked(session: Session, row: Snapshot) -> list[tuple[Snapshot, int]] | None:
    """The related list the page shows now (``related_links``), with each entry's shared
    tags; None if an entry is no longer live (its withdrawal is re-rendering the page)."""
    links = sorted(
        repository.related_links_of(session, [row.article_id])[row.article_id],
        key=lambda link: link.position,
    )
    rows = {
        r.article_id: r
        for r in repository.snapshots_by_id(session, [link.related_id for link in links])
    }
    ranked = []
    for link in links:
        found = rows.get(link.related_id)
        if found is None or found.status != "published":
            return None
        ranked.append((found, link.shared_tags))
    return ranked


def render_article(
    session: Session,
    store: PageStore,
    renderer: Renderer,
    row: Snapshot,
    ranked: Sequence[tuple[Snapshot, int]] | None = None,
) -> str:
    """Write the article page with ``ranked`` as its related list (None: rank it now)."""
    snapshot = people.current(session, snapshot_of(row))
    if ranked is None:
        ranked = repository.related_ranked(session, row, RELATED_LIMIT)
    repository.set_related_links(
        session, row.article_id, [(r.article_id, n, r.published_at) for r, n in ranked]
    )
    html = renderer.article(
        snapshot,
        views=repository.view_count(session, row.article_id),
        related=[card_of(snapshot_of(r)) for r, _ in ranked],
        body=render_body(snapshot),
    )
    rel = article_page(row.category_slug, row.slug)
    store.write(rel, html)
    return rel
