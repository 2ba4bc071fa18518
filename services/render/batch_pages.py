"""Article pages in bulk (a full re-render): read a batch in a few queries, render it with
no database at hand, and hold no more than the batch in memory.

Related lists come from ``related_links`` when every entry is still live (a re-render after a
template change: lists unchanged), else from the in-memory index (related_index.py), which
ranks a page without a query: a cold build ranks every page that way and stores the lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.render import people, related_index, repository
from services.render.models import RelatedLink
from services.render.renderer import Card, Renderer, card_from_data, render_body, tag_slug
from services.render.store import PageStore, article_page
from shared.contracts import ArticleSnapshot


@dataclass(frozen=True)
class ArticleJob:
    """Everything one article page needs, read from the database; rendering needs no more."""

    rel: str
    snapshot: ArticleSnapshot
    views: int
    related: list[Card]
    version: int
    # The related ids stored for this page when it was read (empty: none stored).
    links_seen: tuple[int, ...] = ()
    # Its list ranked afresh here (to store when the page is written), else None.
    ranked: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True)
class Batch:
    """A batch read from one read snapshot: the pages and what that snapshot was."""

    jobs: list[ArticleJob]
    fingerprint: tuple[object, ...]
    read_at: datetime


def prepare(
    session: Session, article_ids: Iterable[int], *, rank_all: bool = False, read_at: datetime
) -> Batch:
    """Read a batch; ``rank_all`` ranks every related list afresh (as a cold build does).
    ``read_at``: the time the read snapshot began (writes compare against it)."""
    fingerprint = repository.read_model_fingerprint(session)
    rows = [r for r in repository.snapshots_by_id(session, article_ids) if r.status == "published"]
    ids = [r.article_id for r in rows]
    links = repository.related_links_of(session, ids)
    seen: dict[int, tuple[int, ...]] = {
        i: tuple(link.related_id for link in sorted(found, key=lambda link: link.position))
        for i, found in links.items()
    }
    shown: dict[int, list[int]] = {i: list(found) for i, found in seen.items() if found}
    linked = {r.article_id: r for r in repository.snapshots_by_id(
        session, {j for found in shown.values() for j in found}
    )}  # fmt: skip
    ranked: dict[int, tuple[tuple[int, int], ...]] = {}
    index: related_index.RelatedIndex | None = None  # checked once per batch, if needed
    for row in rows:
        current = shown.get(row.article_id)
        if (
            not rank_all
            and current
            and all(j in linked and linked[j].status == "published" for j in current)
        ):
            continue
        index = index or related_index.current(session)
        entries = tuple(index.ranked(row.article_id))
        shown[row.article_id] = [j for j, _ in entries]
        ranked[row.article_id] = entries
    missing = {j for found in shown.values() for j in found} - linked.keys()
    linked |= {r.article_id: r for r in repository.snapshots_by_id(session, missing)}
    counts = repository.view_counts(session, ids)
    jobs = [
        ArticleJob(
            rel=article_page(row.category_slug, row.slug),
            # People as the read model knows them now (a rename since the snapshot).
            snapshot=people.current(session, ArticleSnapshot.model_validate(row.data)),
            views=counts.get(row.article_id, 0),
            related=[card_from_data(linked[j].data) for j in shown.get(row.article_id, [])],
            version=row.version,
            links_seen=seen.get(row.article_id, ()),
            ranked=ranked.get(row.article_id),
        )
        for row in rows
    ]
    return Batch(jobs=jobs, fingerprint=fingerprint, read_at=read_at)


def render(renderer: Renderer, jobs: Sequence[ArticleJob]) -> list[tuple[ArticleJob, bytes]]:
    """Render prepared pages: no database, so it runs outside any transaction."""
    return [
        (
            job,
            renderer.article(
                job.snapshot,
                views=job.views,
                related=job.related,
                body=render_body(job.snapshot),
            ),
        )
        for job in jobs
    ]


# How long before the read began a change read after it may carry as its ``applied_at``
# (taken before the article's lock, and on another worker's clock).
APPLY_CLOCK_MARGIN = timedelta(minutes=2)


@dataclass
class Written:
    pages: list[str]
    # Pages written from a read that changes made since may have outdated: the listings
    # worker renders them again (article:<id> keys).
    recheck: set[int]


def write_current(
    session: Session, store: PageStore, batch: Batch, rendered: Sequence[tuple[ArticleJob, bytes]]
) -> Written:
    """Write the pages still current, store the related lists ranked for them, and name the
    pages that changes since the read may have outdated.

    Takes each article's lock (the one a publish takes) and writes a page only if its
    article is at the version it was rendered from and its stored related list is the one
    read: otherwise a publish, or the listings worker, wrote a newer page meanwhile."""
    ids = sorted(job.snapshot.id for job, _ in rendered)
    for article_id in ids:
        repository.lock_article(session, article_id)
    held = {r.article_id: r for r in repository.snapshots_by_id(session, ids)}
    links = repository.related_links_of(session, ids)
    written = Written(pages=[], recheck=set())
    done: list[ArticleJob] = []
    for job, page in rendered:
        row = held.get(job.snapshot.id)
        if row is None or row.version != job.version or row.status != "published":
            continue
        stored = tuple(link.related_id for link in sorted(links[row.article_id], key=_position))
        if stored != job.links_seen:
            continue
        store.write(job.rel, page)
        written.pages.append(job.rel)
        done.append(job)
    _store_related(session, [(job.snapshot.id, job.ranked) for job in done if job.ranked])
    if repository.read_model_fingerprint(session) != batch.fingerprint:
        written.recheck = _outdated(session, batch, done)
    return written


def _position(link: RelatedLink) -> int:
    return link.position


def _outdated(session: Session, batch: Batch, done: Sequence[ArticleJob]) -> set[int]:
    """Written pages that a change applied since the read may concern: it is on their list,
    or shares a tag or the category with them (it may now enter their list)."""
    changed = repository.applied_since(session, batch.read_at - APPLY_CLOCK_MARGIN)
    changed_ids = set(changed)
    categories = set(changed.values())
    tags = repository.tags_of(session, changed_ids)
    outdated = set()
    for job in done:
        shows = {card.id for card in job.related}
        own_tags = {tag_slug(t) for t in job.snapshot.tags}
        if shows & changed_ids or own_tags & tags or job.snapshot.category.slug in categories:
            outdated.add(job.snapshot.id)
    return outdated


def write(store: PageStore, renderer: Renderer, jobs: Sequence[ArticleJob]) -> list[str]:
    """Render and write pages with no concurrent writer to fear (tests, one-off builds)."""
    written = []
    for job, page in render(renderer, jobs):
        store.write(job.rel, page)
        written.append(job.rel)
    return written


def _store_related(
    session: Session, ranked: Sequence[tuple[int, tuple[tuple[int, int], ...]]]
) -> None:
    published = {
        r.article_id: r.published_at
        for r in repository.snapshots_by_id(session, {j for _, e in ranked for j, _ in e})
    }
    for page_id, entries in ranked:
        repository.set_related_links(
            session, page_id, [(j, n, published.get(j)) for j, n in entries]
        )
