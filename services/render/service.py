"""The render rules: apply snapshots to the read model, write pages, work out what changed.

Plain functions; the caller owns the transaction and the page store.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.render import markdown as md
from services.render import related as related_lists
from services.render import repository
from services.render.models import Snapshot
from services.render.renderer import (
    PAGE_SIZE,
    Card,
    Listing,
    NavCategory,
    Pager,
    Renderer,
    Section,
    Site,
    card_of,
    tag_slug,
)
from services.render.store import PageStore, article_page, category_page
from shared.contracts import ArticleSnapshot, CategoryCrumb
from shared.db import Database

log = logging.getLogger("healthhub.render")

HOME = "home"
FEED = "feed"
SITEMAP = "sitemap"
STATIC = "static"
RELATED_LIMIT = related_lists.RELATED_LIMIT
HOME_LATEST = 10
HOME_MOST_VIEWED = 5
FEED_SIZE = 30


@dataclass
class ApplyResult:
    applied: bool
    pages_written: list[str] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)
    # Dirty, but not worth a run of their own: the next index run takes them.
    deferred: set[str] = field(default_factory=set)


def snapshot_of(row: Snapshot) -> ArticleSnapshot:
    return ArticleSnapshot.model_validate(row.data)


ARTICLE_KEY_PREFIX = "article:"


def article_key(article_id: int) -> str:
    """An article page to render again because its related list changed."""
    return f"{ARTICLE_KEY_PREFIX}{article_id}"


def category_key(slug: str) -> str:
    return f"category:{slug}"


def tag_key(slug: str) -> str:
    return f"tag:{slug}"


def _index_keys(snapshot: ArticleSnapshot) -> set[str]:
    keys = {HOME, FEED, SITEMAP, STATIC, category_key(snapshot.category.slug)}
    keys |= {category_key(p.slug) for p in snapshot.category.parents}
    keys |= {tag_key(tag_slug(t)) for t in snapshot.tags}
    return keys


def make_renderer(session: Session, site: Site) -> Renderer:
    """A renderer whose navigation lists the categories that have live articles."""
    nav = [NavCategory(slug=s, name=n) for s, n in repository.live_categories(session)]
    return Renderer(site, nav)


def cached_bodies(session: Session, rows: Sequence[Snapshot]) -> dict[int, md.RenderedBody]:
    """The cached rendered bodies of these articles that are current (version, renderer)."""
    cached = repository.rendered_bodies(session, [r.article_id for r in rows])
    bodies: dict[int, md.RenderedBody] = {}
    for row in rows:
        hit = cached.get(row.article_id)
        if hit is not None and hit.version == row.version and hit.renderer == md.MARKDOWN_RENDERER:
            toc = tuple(md.TocEntry(level=t[0], anchor=t[1], text=t[2]) for t in hit.toc)
            bodies[row.article_id] = md.RenderedBody(html=hit.html, toc=toc, words=hit.words)
    return bodies


def save_bodies(session: Session, fresh: Iterable[tuple[int, int, md.RenderedBody]]) -> None:
    """Cache bodies rendered at (article id, version)."""
    for article_id, version, body in fresh:
        repository.save_rendered_body(
            session,
            article_id,
            version,
            md.MARKDOWN_RENDERER,
            body.html,
            [[t.level, t.anchor, t.text] for t in body.toc],
            body.words,
        )


def bodies_of(session: Session, rows: Sequence[Snapshot]) -> dict[int, md.RenderedBody]:
    """The rendered bodies of these articles: from the cache, or rendered now and cached."""
    bodies = cached_bodies(session, rows)
    fresh = [
        (r.article_id, r.version, md.render_markdown(str(r.data.get("body", ""))))
        for r in rows
        if r.article_id not in bodies
    ]
    save_bodies(session, fresh)
    return bodies | {article_id: body for article_id, _, body in fresh}


def render_article(session: Session, store: PageStore, renderer: Renderer, row: Snapshot) -> str:
    snapshot = snapshot_of(row)
    ranked = repository.related_ranked(session, row, RELATED_LIMIT)
    related = [card_of(snapshot_of(r)) for r, _ in ranked]
    repository.set_related_links(
        session, row.article_id, [(r.article_id, n, r.published_at) for r, n in ranked]
    )
    html = renderer.article(
        snapshot,
        views=repository.view_count(session, row.article_id),
        related=related,
        body=bodies_of(session, [row])[row.article_id],
    )
    rel = article_page(row.category_slug, row.slug)
    store.write(rel, html)
    return rel


def apply_snapshot(
    session: Session,
    store: PageStore,
    site: Site,
    snapshot: ArticleSnapshot,
    *,
    now: datetime,
) -> ApplyResult:
    """Apply a snapshot if it is newer than what we hold; write or withdraw its page."""
    row = repository.get_snapshot(session, snapshot.id)
    if row is not None and row.version >= snapshot.version:
        log.info(
            "article %s: version %s ignored (have %s)", snapshot.id, snapshot.version, row.version
        )
        return ApplyResult(applied=False)
    old = snapshot_of(row) if row is not None else None
    if row is None:
        row = Snapshot(article_id=snapshot.id)
        session.add(row)
    row.version = snapshot.version
    row.status = snapshot.status
    row.slug = snapshot.slug
    row.category_slug = snapshot.category.slug
    trail = [c.slug for c in snapshot.category.parents] + [snapshot.category.slug]
    row.category_trail = "/" + "".join(f"{slug}/" for slug in trail)
    row.published_at = snapshot.published_at
    row.data = snapshot.model_dump(mode="json")
    row.applied_at = now
    repository.set_tags(
        session, snapshot.id, {tag_slug(t): t for t in snapshot.tags} if snapshot.is_live else {}
    )
    session.flush()

    result = ApplyResult(applied=True)
    new_path = f"/{snapshot.category.slug}/{snapshot.slug}"
    old_places = _former_places(old, snapshot)
    if snapshot.is_live:
        renderer = make_renderer(session, site)
        result.pages_written.append(render_article(session, store, renderer, row))
        store.clear_gone(snapshot.category.slug, snapshot.slug)
        store.clear_redirect(snapshot.category.slug, snapshot.slug)
        for category, slug in old_places:
            store.remove(article_page(category, slug))
            store.clear_gone(category, slug)
            store.set_redirect(category, slug, new_path)
        result.dirty |= _index_keys(snapshot)
    else:
        for category, slug in {(snapshot.category.slug, snapshot.slug), *old_places}:
            store.remove(article_page(category, slug))
            store.clear_redirect(category, slug)
            if snapshot.published_at is not None or (old is not None and old.is_live):
                store.mark_gone(category, slug)
        repository.set_related_links(session, snapshot.id, [])
    if old is not None and old.is_live:
        result.dirty |= _index_keys(old)
    if snapshot.is_live or (old is not None and old.is_live):
        session.flush()
        # Other pages' related lists go through the coalesced index run: a publish into a
        # big category can touch many pages, and none of them is the page being published.
        refresh = related_lists.pages_to_refresh(session, old, snapshot)
        result.dirty |= {article_key(i) for i in refresh}
    return result


def _former_places(old: ArticleSnapshot | None, new: ArticleSnapshot) -> set[tuple[str, str]]:
    """Every (category, slug) the article was readable at before, other than its new place."""
    places = {(new.category.slug, s) for s in new.former_slugs}
    if old is not None:
        places.add((old.category.slug, old.slug))
        places |= {(old.category.slug, s) for s in old.former_slugs}
    places.discard((new.category.slug, new.slug))
    return places


def _cards(session: Session, rows: Sequence[Snapshot], with_views: bool = True) -> list[Card]:
    counts = repository.view_counts(session, [r.article_id for r in rows]) if with_views else {}
    return [
        card_of(snapshot_of(r), counts.get(r.article_id, 0) if with_views else None) for r in rows
    ]


def _paginate(
    store: PageStore,
    renderer: Renderer,
    base_url: str,
    make_rel: object,
    cards: list[Card],
    heading: str,
    description: str,
    crumbs: list[CategoryCrumb],
) -> list[str]:
    assert callable(make_rel)
    pages = max(1, math.ceil(len(cards) / PAGE_SIZE))
    written = []
    for page in range(1, pages + 1):
        url = base_url if page == 1 else f"{base_url}/page/{page}"
        pager = None
        if pages > 1:
            pager = Pager(
                page=page,
                pages=pages,
                prev=(base_url if page == 2 else f"{base_url}/page/{page - 1}")
                if page > 1
                else None,
                next=f"{base_url}/page/{page + 1}" if page < pages else None,
            )
        chunk = cards[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        listing = Listing(
            url=url,
            heading=heading,
            description=description,
            sections=[Section(title="", cards=chunk)],
            crumbs=crumbs,
            pager=pager,
        )
        rel = make_rel(page)
        store.write(rel, renderer.listing(listing))
        written.append(rel)
    return written


def render_index(
    session: Session, store: PageStore, renderer: Renderer, key: str, now: datetime
) -> list[str]:
    """Render one index page (or paginated set); returns the store paths written."""
    if key == HOME:
        latest = _cards(session, repository.latest_live(session, HOME_LATEST))
        viewed = [
            card_of(snapshot_of(r), n)
            for r, n in repository.most_viewed_live(session, HOME_MOST_VIEWED)
        ]
        listing = Listing(
            url="/",
            heading=renderer.site.name,
            description="Clear, medically reviewed health information.",
            sections=[Section("Latest articles", latest), Section("Most read", viewed)],
        )
        store.write("index.html", renderer.listing(listing))
        return ["index.html"]
    if key == FEED:
        cards = _cards(session, repository.latest_live(session, FEED_SIZE), with_views=False)
        updated = max((c.updated_at for c in cards), default=now)
        store.write("feed.xml", renderer.feed(cards, updated))
        return ["feed.xml"]
    if key == SITEMAP:
        entries: list[tuple[str, datetime]] = [("/", now)]
        for row in repository.live_snapshots(session):
            snap = snapshot_of(row)
            entries.append((f"/{snap.category.slug}/{snap.slug}", snap.updated_at))
        store.write("sitemap.xml", renderer.sitemap(entries))
        return ["sitemap.xml"]
    if key == STATIC:
        store.write("robots.txt", renderer.robots())
        store.write("404.html", renderer.not_found())
        store.write("410.html", renderer.gone())
        return ["robots.txt", "404.html", "410.html"]
    kind, _, slug = key.partition(":")
    if kind == "article":
        held = repository.get_snapshot(session, int(slug)) if slug.isdigit() else None
        if held is None or held.status != "published":
            return []
        return [render_article(session, store, renderer, held)]
    if kind == "category":
        rows = repository.live_in_category(session, slug)
        if not rows:
            _remove_paginated(store, lambda p: category_page(slug, p))
            return []
        name = repository.category_name(session, slug) or slug
        crumbs = _crumbs_above(snapshot_of(rows[0]), slug)
        return _paginate(
            store,
            renderer,
            f"/{slug}",
            lambda p: category_page(slug, p),
            _cards(session, rows),
            name,
            f"Articles about {name.lower()}.",
            crumbs,
        )
    if kind == "tag":
        rows = repository.live_with_tag(session, slug)
        if not rows:
            _remove_paginated(store, lambda p: _tag_page(slug, p))
            return []
        name = repository.tag_name(session, slug) or slug
        return _paginate(
            store,
            renderer,
            f"/tags/{slug}",
            lambda p: _tag_page(slug, p),
            _cards(session, rows),
            f"Tagged “{name}”",
            f"Articles tagged {name}.",
            [],
        )
    log.warning("unknown index key %r ignored", key)
    return []


def _crumbs_above(snapshot: ArticleSnapshot, slug: str) -> list[CategoryCrumb]:
    trail = [
        *snapshot.category.parents,
        CategoryCrumb(slug=snapshot.category.slug, name=snapshot.category.name),
    ]
    above: list[CategoryCrumb] = []
    for crumb in trail:
        if crumb.slug == slug:
            break
        above.append(crumb)
    return above


def _tag_page(slug: str, page: int) -> str:
    return "tags/" + category_page(slug, page)


def _remove_paginated(store: PageStore, make_rel: object) -> None:
    assert callable(make_rel)
    page = 1
    while store.read(make_rel(page)) is not None:
        store.remove(make_rel(page))
        page += 1


def render_indexes(
    session: Session, store: PageStore, site: Site, keys: Iterable[str], *, now: datetime
) -> list[str]:
    renderer = make_renderer(session, site)
    written: list[str] = []
    for key in sorted(set(keys)):
        written += render_index(session, store, renderer, key, now)
    return written


def apply_view_counts(
    session: Session,
    store: PageStore,
    site: Site,
    totals: dict[int, int],
    *,
    now: datetime,
    may_render: Callable[[int], bool] = lambda _id: True,
) -> ApplyResult:
    """Store reported totals and re-render the live article pages whose count changed.

    A hot article's count changes on every flush; ``may_render`` says whether its page may be
    rendered now (at most once per few seconds) or waits for the next index run. The page
    script asks for the live count anyway, so the static number only has to stay close."""
    result = ApplyResult(applied=True)
    changed = [
        aid
        for aid, total in sorted(totals.items())
        if repository.upsert_view_count(session, aid, total, now)
    ]
    if not changed:
        return result
    session.flush()
    renderer = make_renderer(session, site)
    for aid in changed:
        row = repository.get_snapshot(session, aid)
        if row is None or row.status != "published":
            continue
        if may_render(aid):
            result.pages_written.append(render_article(session, store, renderer, row))
        else:
            result.deferred.add(article_key(aid))
    result.dirty.add(HOME)
    return result


@dataclass(frozen=True)
class ArticleJob:
    """Everything one article page needs, read from the database; rendering needs no more."""

    rel: str
    snapshot: ArticleSnapshot
    views: int
    related: list[Card]
    version: int
    body: md.RenderedBody | None  # None: not cached, rendered (and then cached) by the caller


def prepare_articles(session: Session, article_ids: Iterable[int]) -> list[ArticleJob]:
    """Read what a batch of live article pages needs, in a few queries.

    The related lists come from ``related_links``, which the invalidation keeps exact (see
    related.py): a full re-render is for templates and settings, which never change them. A
    page with no stored list yet (a read model loaded in bulk) gets it ranked and stored."""
    rows = [r for r in repository.snapshots_by_id(session, article_ids) if r.status == "published"]
    ids = [r.article_id for r in rows]
    links = repository.related_links_of(session, ids)
    linked = repository.snapshots_by_id(
        session, {link.related_id for found in links.values() for link in found}
    )
    by_id = {r.article_id: r for r in linked}
    counts = repository.view_counts(session, ids)
    bodies = cached_bodies(session, rows)
    jobs = []
    for row in rows:
        shown = sorted(links[row.article_id], key=lambda link: link.position)
        related_rows = [by_id.get(link.related_id) for link in shown]
        if not shown or any(r is None or r.status != "published" for r in related_rows):
            ranked = repository.related_ranked(session, row, RELATED_LIMIT)
            repository.set_related_links(
                session, row.article_id, [(r.article_id, n, r.published_at) for r, n in ranked]
            )
            related_rows = [r for r, _ in ranked]
        jobs.append(
            ArticleJob(
                rel=article_page(row.category_slug, row.slug),
                snapshot=snapshot_of(row),
                views=counts.get(row.article_id, 0),
                related=[card_of(snapshot_of(r)) for r in related_rows if r is not None],
                version=row.version,
                body=bodies.get(row.article_id),
            )
        )
    return jobs


def write_articles(
    store: PageStore, renderer: Renderer, jobs: Iterable[ArticleJob]
) -> tuple[list[str], list[tuple[int, int, md.RenderedBody]]]:
    """Render and write prepared pages: no database, so it runs outside any transaction
    (on SQLite, where a transaction holds the write lock, workers render in parallel).
    Returns the files written and the bodies it had to render, for the cache."""
    written = []
    fresh = []
    for job in jobs:
        body = job.body
        if body is None:
            body = md.render_markdown(job.snapshot.body)
            fresh.append((job.snapshot.id, job.version, body))
        page = renderer.article(job.snapshot, views=job.views, related=job.related, body=body)
        store.write(job.rel, page)
        written.append(job.rel)
    return written, fresh


def all_index_keys(session: Session) -> set[str]:
    keys = {HOME, FEED, SITEMAP, STATIC}
    for row in repository.live_snapshots(session):
        keys |= _index_keys(snapshot_of(row))
    return keys


def utcnow() -> datetime:
    return datetime.now(UTC)


def render_dirty(
    db: Database, store: PageStore, site: Site, *, now: datetime
) -> tuple[list[str], list[str]]:
    """Render every dirty index key; returns (keys, files written).

    Each key is read and rendered from a read snapshot, without the database write lock, so
    a big category or the sitemap never makes a publish wait. A key is forgotten only if
    nobody marked it again meanwhile; a failure leaves it dirty. The caller makes sure only
    one index renderer runs at a time (two could otherwise write an older listing last)."""
    with db.reading() as session:
        marks = repository.dirty_marks(session)
    written: list[str] = []
    for key, marked_at in sorted(marks.items()):
        # Listings only read; an article page re-rendered for its related list also stores
        # that list, so it takes a (short) write transaction.
        unit = db.transaction() if key.startswith(ARTICLE_KEY_PREFIX) else db.reading()
        with unit as session:
            written += render_indexes(session, store, site, [key], now=now)
        with db.transaction() as session:
            repository.clear_dirty(session, key, marked_at)
    return sorted(marks), written
