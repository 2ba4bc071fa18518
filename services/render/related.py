""" "Related articles": the rule, and which other pages a change re-renders.

Each page's list is the top ``RELATED_LIMIT`` live articles by (shared tags desc, publish
date ASC, id), then the longest-standing of its own category. Among equal matches the one
that has been there longest wins, so a new article enters another page's list only when it
is a strictly better match than that list's weakest entry (or the list is not full). With
"newest first" every publish would enter the list of every page sharing its tags: a fan-out
that grows with the site. With this rule a publish touches a handful of pages on any size of
site, and the bench prints how many (files written per publish).

The list each page last showed is stored with its ordering keys (``related_links``). When
article X changes, only X's own entry moved, so another page A's list changes exactly when
A shows X now and X's entry changed, or X now beats A's weakest entry. ``pages_to_refresh``
asks the database exactly that, filtering in SQL, so it returns only the pages that change.
It runs on the listings worker, never on the publish path; the pages it names are rendered at
most ``RELATED_PAGES_PER_RUN`` per listing run, so a change that reaches many pages (an old,
widely shown article withdrawn) cannot hold up the listings behind it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from services.render import repository
from services.render.models import RelatedLink, Snapshot, SnapshotTag

RELATED_LIMIT = 3
RELATED_PAGES_PER_RUN = 25
_OLDEST = datetime.min.replace(tzinfo=UTC)
RankKey = tuple[int, datetime, int]


def rank_key(shared_tags: int, published_at: datetime | None, article_id: int) -> RankKey:
    """Smaller is better: the order the related query sorts by."""
    return (-shared_tags, published_at or _OLDEST, article_id)


def _link_key(link: RelatedLink) -> RankKey:
    return rank_key(link.shared_tags, link.published_at, link.related_id)


def pages_to_refresh(session: Session, article_id: int, card_changed: bool) -> set[int]:
    """Ids of the other live article pages whose related list changes with X's current state
    (as the read model holds it now); ``card_changed``: X's title, summary or URL changed."""
    x = repository.get_snapshot(session, article_id)
    live = x is not None and x.status == "published"
    changed: set[int] = set()

    showing = repository.pages_showing(session, article_id)
    if showing:
        shares = repository.shared_tag_counts(session, article_id, showing) if live else {}
        categories = repository.categories_of(session, showing)
        for page_id, link in showing.items():
            eligible = page_id in shares or (
                x is not None and categories.get(page_id) == x.category_slug
            )
            key = rank_key(shares.get(page_id, 0), x.published_at if x else None, article_id)
            if not live or not eligible or card_changed or _link_key(link) != key:
                changed.add(page_id)
    if live and x is not None:
        changed |= _pages_entered(session, x) - set(showing)
    changed.discard(article_id)
    return changed


def _pages_entered(session: Session, x: Snapshot) -> set[int]:
    """Pages whose list X now enters: it beats their weakest entry, or their list is short."""
    weakest = aliased(RelatedLink)
    x_key = tuple_(x.published_at, x.article_id)
    x_tags = select(SnapshotTag.tag_slug).where(SnapshotTag.article_id == x.article_id)
    shared = (
        select(SnapshotTag.article_id.label("page"), func.count().label("n"))
        .where(SnapshotTag.tag_slug.in_(x_tags), SnapshotTag.article_id != x.article_id)
        .group_by(SnapshotTag.article_id)
        .subquery()
    )
    by_tags = (
        select(shared.c.page)
        .outerjoin(
            weakest,
            and_(weakest.article_id == shared.c.page, weakest.position == RELATED_LIMIT - 1),
        )
        .where(
            or_(
                weakest.article_id.is_(None),
                shared.c.n > weakest.shared_tags,
                and_(
                    shared.c.n == weakest.shared_tags,
                    tuple_(weakest.published_at, weakest.related_id) > x_key,
                ),
            )
        )
    )
    # Pages of X's category that share no tag with it: X can only fill a short list there.
    by_category = (
        select(Snapshot.article_id)
        .outerjoin(
            weakest,
            and_(weakest.article_id == Snapshot.article_id, weakest.position == RELATED_LIMIT - 1),
        )
        .where(
            Snapshot.status == "published",
            Snapshot.category_slug == x.category_slug,
            Snapshot.article_id != x.article_id,
            or_(
                weakest.article_id.is_(None),
                and_(
                    weakest.shared_tags == 0,
                    tuple_(weakest.published_at, weakest.related_id) > x_key,
                ),
            ),
        )
    )
    return set(session.scalars(by_tags)) | set(session.scalars(by_category))
