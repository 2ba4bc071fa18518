"""Rendering listing work: category and tag pages, home, feed, sitemap, static pages.

Takes dirty keys (see listings.py for the listing marks) and writes exactly the files they
touch, reading only the rows those files show. Read-only on the database: it runs in a read
snapshot, so it never holds the SQLite write lock a publish needs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from services.render import listing_repository as lists
from services.render import repository
from services.render.listings import (
    ALL,
    FROM,
    Position,
    page_of,
    pages_for,
    pages_to_render,
    parse_mark,
)
from services.render.renderer import Card, Listing, Pager, Renderer, Section, card_from_data
from services.render.store import PageStore
from shared.contracts import CategoryCrumb, citation_label

HOME = "home"
FEED = "feed"
STATIC = "static"
HOME_LATEST = 10
HOME_MOST_VIEWED = 5
FEED_SIZE = 30
SITEMAP = "sitemap.xml"
SITEMAP_PAGES = "sitemap-pages.xml"


def sitemap_shard(number: int) -> str:
    return f"sitemap-articles-{number}.xml"


def base_url(listing: str) -> str:
    kind, _, slug = listing.partition(":")
    return f"/{slug}" if kind == "category" else f"/tags/{slug}"


def landing_path(listing: str) -> str:
    return base_url(listing).lstrip("/") + "/index.html"


def archive_path(listing: str, page: int) -> str:
    return f"{base_url(listing).lstrip('/')}/page/{int(page)}/index.html"


def render_keys(
    session: Session, store: PageStore, renderer: Renderer, keys: Iterable[str], now: datetime
) -> list[str]:
    """Render what these keys touch; returns the files written. Unknown keys are skipped."""
    at: dict[str, set[Position]] = defaultdict(set)
    start: dict[str, set[Position]] = defaultdict(set)
    plain: set[str] = set()
    for key in keys:
        parsed = parse_mark(key)
        if parsed is None:
            plain.add(key)
            continue
        listing, mode, position = parsed
        (start if mode == FROM else at)[listing].add(position)
    written: list[str] = []
    for listing in sorted(at.keys() | start.keys()):
        at_ranks = {lists.rank(session, listing, p) for p in at[listing]}
        from_ranks = {lists.rank(session, listing, p) for p in start[listing]}
        if listing == ALL:
            written += _sitemap(session, store, renderer, at_ranks, from_ranks)
        else:
            written += _listing(session, store, renderer, listing, at_ranks, from_ranks)
    if HOME in plain:
        written += _home(session, store, renderer)
    if FEED in plain:
        written += _feed(session, store, renderer, now)
    if STATIC in plain:
        written += _static(store, renderer)
    return written


def _cards(session: Session, ids: Sequence[int]) -> list[Card]:
    found = lists.cards(session, ids)
    return [card_from_data(found[i]) for i in ids if i in found]


def _category_facts(
    session: Session, listing: str, newest: int | None
) -> tuple[list[CategoryCrumb], str]:
    """The categories above a category page and the category's description, from its newest
    member's snapshot (every member carries the whole trail)."""
    if not listing.startswith("category:") or newest is None:
        return [], ""
    row = repository.get_snapshot(session, newest)
    if row is None:
        return [], ""
    category = row.data["category"]
    trail = [*category.get("parents", []), category]
    slug = listing.removeprefix("category:")
    above: list[CategoryCrumb] = []
    for crumb in trail:
        if crumb["slug"] == slug:
            return above, str(crumb.get("description", ""))
        above.append(CategoryCrumb(slug=crumb["slug"], name=crumb["name"]))
    return above, ""


def _listing(
    session: Session,
    store: PageStore,
    renderer: Renderer,
    listing: str,
    at_ranks: set[int],
    from_ranks: set[int],
) -> list[str]:
    size = lists.size(session, listing)
    per_page = renderer.site.page_size
    last = pages_for(size, per_page)
    _remove_from(store, lambda page: archive_path(listing, page), last + 1)
    if size == 0:
        store.remove(landing_path(listing))
        return []
    base = base_url(listing)
    name = lists.name_of(session, listing) or listing.partition(":")[2]
    is_category = listing.startswith("category:")
    heading = name if is_category else f"Tagged “{name}”"
    newest = lists.newest_ids(session, listing, per_page)
    crumbs, about = _category_facts(session, listing, newest[0] if newest else None)
    if is_category:
        description = about or f"Articles about {name.lower()}."
    else:
        description = f"Articles tagged {name}."
    older = f"{base}/page/{page_of(size - per_page - 1, per_page)}" if last else None
    written = [landing_path(listing)]
    store.write(
        written[0],
        renderer.listing(
            Listing(
                url=base,
                heading=heading,
                description=description,
                sections=[Section(title="", cards=_cards(session, newest))],
                crumbs=crumbs,
                pager=Pager(label="Latest articles", newer=None, older=older) if last else None,
            )
        ),
    )
    for page in sorted(pages_to_render(size, per_page, at_ranks, from_ranks)):
        ids = lists.slice_ids(session, listing, (page - 1) * per_page, per_page)
        url = f"{base}/page/{page}"
        pager = Pager(
            label=f"Page {page}",
            newer=f"{base}/page/{page + 1}" if page < last else base,
            older=f"{base}/page/{page - 1}" if page > 1 else None,
        )
        listing_page = Listing(
            url=url,
            heading=f"{heading}: page {page}",
            description=description,
            sections=[Section(title="", cards=_cards(session, ids[::-1]))],
            crumbs=crumbs,
            pager=pager,
        )
        store.write(archive_path(listing, page), renderer.listing(listing_page))
        written.append(archive_path(listing, page))
    return written


def _sitemap(
    session: Session, store: PageStore, renderer: Renderer, at_ranks: set[int], from_ranks: set[int]
) -> list[str]:
    size = lists.size(session, ALL)
    per_shard = renderer.site.shard_size
    shards = max(1, math.ceil(size / per_shard))
    touched = {min(page_of(r, per_shard), shards) for r in at_ranks}
    if from_ranks:
        touched |= set(range(min(page_of(min(from_ranks), per_shard), shards), shards + 1))
    written = []
    for shard in sorted(touched):
        rows = lists.shard_rows(session, (shard - 1) * per_shard, per_shard)
        entries = [(f"/{category}/{slug}", updated) for category, slug, updated in rows]
        store.write(sitemap_shard(shard), renderer.sitemap(entries))
        written.append(sitemap_shard(shard))
    _remove_from(store, sitemap_shard, shards + 1)
    store.write(
        SITEMAP,
        renderer.sitemap_index([SITEMAP_PAGES, *(sitemap_shard(n) for n in range(1, shards + 1))]),
    )
    return [*written, SITEMAP]


def _home(session: Session, store: PageStore, renderer: Renderer) -> list[str]:
    latest = lists.newest_ids(session, ALL, HOME_LATEST)
    ranked = repository.most_viewed_live(session, HOME_MOST_VIEWED)
    listing = Listing(
        url="/",
        heading=renderer.site.name,
        description="Clear, medically reviewed health information.",
        sections=[
            Section("Latest articles", _cards(session, latest)),
            Section("Most read this week", [card_from_data(r.data, n) for r, n in ranked]),
        ],
    )
    store.write("index.html", renderer.listing(listing))
    return ["index.html"]


def _feed(session: Session, store: PageStore, renderer: Renderer, now: datetime) -> list[str]:
    ids = lists.newest_ids(session, ALL, FEED_SIZE)
    cards = _cards(session, ids)
    rows = repository.snapshots_by_id(session, ids)
    bodies = {s.article_id: s.data.get("body", "") for s in rows}
    labels = {
        s.article_id: [
            citation_label(i, r.get("key")) for i, r in enumerate(s.data.get("references", []), 1)
        ]
        for s in rows
    }
    updated = max((c.updated_at for c in cards), default=now)
    store.write("feed.xml", renderer.feed(cards, updated, bodies, labels))
    return ["feed.xml"]


def _static(store: PageStore, renderer: Renderer) -> list[str]:
    store.write("robots.txt", renderer.robots())
    store.write("404.html", renderer.not_found())
    store.write("410.html", renderer.gone())
    store.write(SITEMAP_PAGES, renderer.sitemap([("/", None)]))
    return ["robots.txt", "404.html", "410.html", SITEMAP_PAGES]


def _remove_from(store: PageStore, path_of: Callable[[int], str], first: int) -> None:
    """Remove numbered files from ``first`` on, up to the first one that is missing."""
    number = first
    while store.exists(path_of(number)):
        store.remove(path_of(number))
        number += 1
