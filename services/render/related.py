""" "Related articles": the rule, and which other pages a change re-renders.

Each page's list is the top ``RELATED_LIMIT`` live articles by (shared tags desc, publish
date ASC, id), then the longest-standing of its own category. Among equal matches the one
that has been there longest wins, so a new article enters another page's list only when it
is a strictly better match than that list's weakest entry (or the list is not full). With
"newest first" every publish would enter the list of every page sharing its tags: a fan-out
that grows with the site.

The list each page last showed is stored with its ordering keys (``related_links``). When
article X changes, only X's own entry moved, so another page A's list changes exactly when
A shows X now and X's entry changed (``pages_to_refresh``), or X now beats A's weakest entry
(``pages_entered``). Both are asked of the database, filtering in SQL, so they return only
the pages that change. They run on the listings worker, never on the publish path, and on
two clocks:

- pages that **show** X are refreshed at once: a withdrawn, renamed or moved article must
  not stay linked from other pages;
- pages that X **enters** are refreshed on their own schedule, ``related_refresh_seconds``
  after the change (settings). How many pages a new article enters depends on how many
  pages share its tags, so it varies with the site; on its own clock, that work never rides
  on a publish (which writes the same files on any size of site) and a burst of publishes
  entering the same page renders it once.

The pages either names are rendered at most ``RELATED_PAGES_PER_RUN`` per listing run, so a
change that reaches many pages (an old, widely shown article withdrawn) cannot hold up the
listings behind it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from services.render import listing_repository as lists
from services.render import repository
from services.render.listings import category_listing, tag_listing
from services.render.models import RelatedLink, Snapshot, SnapshotTag

RELATED_LIMIT = 3
RELATED_PAGES_PER_RUN = 25
# Scheduled entry checks (one query each) worked out per listing run; the rest wait.
ENTRY_CHECKS_PER_RUN = 100
_OLDEST = datetime.min.replace(tzinfo=UTC)
RankKey = tuple[int, datetime, int]


def rank_key(shared_tags: int, published_at: datetime | None, article_id: int) -> RankKey:
    """Smaller is better: the order the related query sorts by."""
    return (-shared_tags, published_at or _OLDEST, article_id)


def _link_key(link: RelatedLink) -> RankKey:
    return rank_key(link.shared_tags, link.published_at, link.related_id)


def pages_to_refresh(session: Session, article_id: int, card_changed: bool) -> set[int]:
    """Ids of the other live article pages that show X and whose related list changes with
    X's current state (as the read model holds it now); ``card_changed``: X's title, summary
    or URL changed. The pages X newly enters are ``pages_entered``'s."""
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
    changed.discard(article_id)
    return changed


def quick_ranked(session: Session, x: Snapshot) -> list[tuple[Snapshot, int]]:
    """A stand-in for X's related list read in a bounded number of index range reads, for a
    page that must go live now: the ``RELATED_LIMIT`` longest-standing articles of each of
    its tags and of its category, ranked by the rule. The exact list (whose ranking counts
    the tags X shares with every article carrying one of them, a cost that grows with the
    site) follows from the listings worker (the caller marks the page)."""
    tags = repository.tags_of(session, [x.article_id])
    ids: set[int] = set()
    for listing in sorted({*(tag_listing(t) for t in tags), category_listing(x.category_slug)}):
        ids |= set(lists.oldest_ids(session, listing, RELATED_LIMIT + 1))
    ids.discard(x.article_id)
    shares = repository.shared_tag_counts(session, x.article_id, ids)
    candidates = [
        (row, shares.get(row.article_id, 0))
        for row in repository.snapshots_by_id(session, ids)
        if row.status == "published"
        and (row.article_id in shares or row.category_slug == x.category_slug)
    ]
    candidates.sort(key=lambda c: rank_key(c[1], c[0].published_at, c[0].article_id))
    return candidates[:RELATED_LIMIT]


def pages_entered(session: Session, article_id: int) -> set[int]:
    """Ids of the live article pages whose list X now enters and does not show yet: X beats
    their weakest entry, or their list is short. None if X is not live."""
    x = repository.get_snapshot(session, article_id)
    if x is None or x.status != "published":
        return set()
    entered = _pages_entered(session, x) - set(repository.pages_showing(session, article_id))
    entered.discard(article_id)
    return entered


def _pages_entered(session: Session, x: Snapshot) -> set[int]:
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
