"""Listings whose pages do not move: which listings an article is in, and which pages a
change touches.

A listing (``all``, ``category:<slug>``, ``tag:<slug>``) is kept in the order articles were
published, oldest first, and cut into archive pages of ``PAGE_SIZE`` from the oldest: page 1
holds the 20 oldest articles, forever. A new article joins the last page, so a publish
rewrites that page and the listing's landing page (the newest 20), never the pages before
it. The sitemap is the ``all`` listing cut the same way into shards of ``SHARD_SIZE``.

A change marks what it touched as dirty keys, with the sort position of the article:

- ``<listing>|at|<position>``: the article stayed where it was (its card changed): only the
  page holding that position changes;
- ``<listing>|from|<position>``: an article entered or left at that position: the pages from
  there to the end shift (for a normal publish, the position is the newest, so that is the
  last page alone).

The listing renderer turns positions into page numbers when it runs, from the read model as
it is then; pages before the first touched position cannot have changed, whatever else
happened meanwhile, because nothing before them moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from services.render.renderer import tag_slug
from shared.contracts import ArticleSnapshot, CategoryCrumb

ALL = "all"
AT = "at"
FROM = "from"


@dataclass(frozen=True, order=True)
class Position:
    """Where an article sorts in every listing it is in."""

    sort_at: datetime
    article_id: int

    def encode(self) -> str:
        return f"{self.sort_at.isoformat()}|{self.article_id}"

    @classmethod
    def decode(cls, raw: str) -> Position:
        when, _, article_id = raw.rpartition("|")
        return cls(datetime.fromisoformat(when), int(article_id))


# Before every article: a ``from`` mark here re-renders every page of a listing.
FIRST = Position(datetime.min.replace(tzinfo=UTC), 0)


def category_listing(slug: str) -> str:
    return f"category:{slug}"


def tag_listing(slug: str) -> str:
    return f"tag:{slug}"


def position_of(snapshot: ArticleSnapshot) -> Position:
    return Position(snapshot.published_at or snapshot.updated_at, snapshot.id)


def listings_of(snapshot: ArticleSnapshot) -> dict[str, str]:
    """Every listing a live article is in, with the listing's display name ({} if not live)."""
    if not snapshot.is_live:
        return {}
    found = {ALL: ""}
    for crumb in snapshot.category.parents:
        found[category_listing(crumb.slug)] = crumb.name
    found[category_listing(snapshot.category.slug)] = snapshot.category.name
    for tag in snapshot.tags:
        found.setdefault(tag_listing(tag_slug(tag)), tag)
    return found


def root_listing(snapshot: ArticleSnapshot) -> str:
    top = snapshot.category.parents[0] if snapshot.category.parents else snapshot.category
    return category_listing(top.slug)


def card_text(snapshot: ArticleSnapshot) -> tuple[object, ...]:
    """What a listing card (and a related-articles entry) shows of an article: a change here
    re-renders the page holding it. A body-only edit changes none of it."""
    return (
        snapshot.title,
        snapshot.summary,
        snapshot.slug,
        snapshot.category.slug,
        snapshot.category.name,
    )


def entry_text(listing: str, snapshot: ArticleSnapshot) -> tuple[object, ...]:
    """What a listing's page shows of an article: the ``all`` listing's pages are sitemap
    shards, which also show when it was last modified."""
    return (*card_text(snapshot), snapshot.updated_at) if listing == ALL else card_text(snapshot)


def category_trail(snapshot: ArticleSnapshot) -> list[CategoryCrumb]:
    """The article's categories, root first, ending with its own."""
    own = CategoryCrumb(
        slug=snapshot.category.slug,
        name=snapshot.category.name,
        description=snapshot.category.description,
    )
    return [*snapshot.category.parents, own]


def category_page_text(snapshot: ArticleSnapshot) -> dict[str, tuple[object, ...]]:
    """What every page of each category listing the article is in shows of that category:
    its name (the heading), its description and the breadcrumb above it. A change to it (a
    category edit, sent as new article versions) re-renders every page of that listing."""
    trail = category_trail(snapshot)
    return {
        category_listing(c.slug): (
            c.name,
            c.description,
            tuple((p.slug, p.name) for p in trail[:i]),
        )
        for i, c in enumerate(trail)
    }


def mark(listing: str, mode: str, position: Position) -> str:
    return f"{listing}|{mode}|{position.encode()}"


def parse_mark(key: str) -> tuple[str, str, Position] | None:
    """(listing, mode, position) of a listing mark; None for any other key."""
    parts = key.split("|", 2)
    if len(parts) != 3 or parts[1] not in (AT, FROM):
        return None
    try:
        return parts[0], parts[1], Position.decode(parts[2])
    except ValueError:
        return None


def marks_for_change(old: ArticleSnapshot | None, new: ArticleSnapshot) -> set[str]:
    """The listing marks of one change from ``old`` (None: never seen) to ``new``."""
    before = listings_of(old) if old is not None else {}
    after = listings_of(new)
    new_pos = position_of(new)
    old_pos = position_of(old) if old is not None else new_pos
    marks: set[str] = set()
    pages_before = category_page_text(old) if old is not None else {}
    pages_after = category_page_text(new)
    for listing in before.keys() | after.keys():
        if listing in before and listing in after:
            if pages_before.get(listing) != pages_after.get(listing):
                marks.add(mark(listing, FROM, FIRST))
            if old_pos != new_pos:
                marks.add(mark(listing, FROM, min(old_pos, new_pos)))
            elif old is None or entry_text(listing, old) != entry_text(listing, new):
                marks.add(mark(listing, AT, new_pos))
        elif listing in before:
            marks.add(mark(listing, FROM, old_pos))
        else:
            marks.add(mark(listing, FROM, new_pos))
    return marks


def pages_for(size: int, per_page: int) -> int:
    """How many archive pages a listing of ``size`` has. A listing that fits on its landing
    page has none; past that, every article is on exactly one archive page."""
    return 0 if size <= per_page else math.ceil(size / per_page)


def page_of(rank: int, per_page: int) -> int:
    """The archive page (1 = oldest) holding the article at 0-based ``rank``."""
    return rank // per_page + 1


def pages_to_render(size: int, per_page: int, at_ranks: set[int], from_ranks: set[int]) -> set[int]:
    """The archive pages a set of marks touches, given the listing's size now.

    A ``from`` mark at rank r re-renders from its page p to the last. The page before, p - 1,
    shows the same articles as before (nothing before r moved) and changes only its "newer"
    link, which names page p when p exists and the landing page when p - 1 is the last:
    - p is past the last page: the mark's article left from the end and p went away, so
      the last page's link changed;
    - r is the first rank of page p: p may be new, so p - 1 may have stopped being the last
      (when r is not a page's first rank, p held r - 1 before too, so it already existed).
    Everything else before p is untouched, so a publish writes the last page and, one time
    in ``per_page``, the page before it."""
    last = pages_for(size, per_page)
    if last == 0:
        return set()
    pages = {min(page_of(r, per_page), last) for r in at_ranks}
    if from_ranks:
        first_rank = min(from_ranks)
        first = page_of(first_rank, per_page)
        if first > last:
            pages.add(last)
        else:
            pages |= set(range(first, last + 1))
            if first_rank % per_page == 0 and first > 1:
                pages.add(first - 1)
    return pages
