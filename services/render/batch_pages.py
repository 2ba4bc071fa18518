"""Article pages in bulk (a full re-render): read a batch in a few queries, render it with
no database at hand, and hold no more than the batch in memory.

Related lists come from ``related_links`` when every entry is still live (a re-render after a
template change: lists unchanged), else from the in-memory index (related_index.py), which
ranks a page without a query: a cold build ranks every page that way and stores the lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.render import markdown as md
from services.render import related_index, repository
from services.render.renderer import Card, Renderer, card_from_data
from services.render.store import PageStore, article_page
from shared.contracts import ArticleSnapshot

# (page id, [(related id, shared tags)]) for lists ranked in memory, to store.
Ranked = list[tuple[int, list[tuple[int, int]]]]


@dataclass(frozen=True)
class ArticleJob:
    """Everything one article page needs, read from the database; rendering needs no more."""

    rel: str
    snapshot: ArticleSnapshot
    views: int
    related: list[Card]
    version: int


def prepare(
    session: Session, article_ids: Iterable[int], *, rank_all: bool = False
) -> tuple[list[ArticleJob], Ranked]:
    """Read a batch; ``rank_all`` ranks every related list afresh (as a cold build does)."""
    rows = [r for r in repository.snapshots_by_id(session, article_ids) if r.status == "published"]
    ids = [r.article_id for r in rows]
    links = repository.related_links_of(session, ids)
    shown: dict[int, list[int]] = {
        i: [link.related_id for link in sorted(found, key=lambda link: link.position)]
        for i, found in links.items()
        if found
    }
    linked = {r.article_id: r for r in repository.snapshots_by_id(
        session, {j for found in shown.values() for j in found}
    )}  # fmt: skip
    ranked: Ranked = []
    for row in rows:
        current = shown.get(row.article_id)
        if (
            not rank_all
            and current
            and all(j in linked and linked[j].status == "published" for j in current)
        ):
            continue
        entries = related_index.current(session).ranked(row.article_id)
        shown[row.article_id] = [j for j, _ in entries]
        ranked.append((row.article_id, entries))
    missing = {j for found in shown.values() for j in found} - linked.keys()
    linked |= {r.article_id: r for r in repository.snapshots_by_id(session, missing)}
    counts = repository.view_counts(session, ids)
    jobs = [
        ArticleJob(
            rel=article_page(row.category_slug, row.slug),
            snapshot=ArticleSnapshot.model_validate(row.data),
            views=counts.get(row.article_id, 0),
            related=[card_from_data(linked[j].data) for j in shown.get(row.article_id, [])],
            version=row.version,
        )
        for row in rows
    ]
    return jobs, ranked


def render(renderer: Renderer, jobs: Sequence[ArticleJob]) -> list[tuple[ArticleJob, bytes]]:
    """Render prepared pages: no database, so it runs outside any transaction."""
    return [
        (
            job,
            renderer.article(
                job.snapshot,
                views=job.views,
                related=job.related,
                body=md.render_markdown(job.snapshot.body),
            ),
        )
        for job in jobs
    ]


def write_current(
    session: Session, store: PageStore, rendered: Sequence[tuple[ArticleJob, bytes]]
) -> list[str]:
    """Write the pages whose article is still at the version they were rendered from.

    Takes each article's lock (the one a publish takes), so a page rendered from an older
    read is never written over, or beside, what a publish wrote meanwhile: that publish
    wrote the newer page itself."""
    ids = sorted(job.snapshot.id for job, _ in rendered)
    for article_id in ids:
        repository.lock_article(session, article_id)
    held = {r.article_id: r for r in repository.snapshots_by_id(session, ids)}
    written = []
    for job, page in rendered:
        row = held.get(job.snapshot.id)
        if row is not None and row.version == job.version and row.status == "published":
            store.write(job.rel, page)
            written.append(job.rel)
    return written


def write(store: PageStore, renderer: Renderer, jobs: Sequence[ArticleJob]) -> list[str]:
    """Render and write pages with no concurrent writer to fear (tests, one-off builds)."""
    written = []
    for job, page in render(renderer, jobs):
        store.write(job.rel, page)
        written.append(job.rel)
    return written


def store_related(session: Session, ranked: Ranked) -> None:
    published = {
        r.article_id: r.published_at
        for r in repository.snapshots_by_id(session, {j for _, e in ranked for j, _ in e})
    }
    for page_id, entries in ranked:
        repository.set_related_links(
            session, page_id, [(j, n, published.get(j)) for j, n in entries]
        )
