"""The render rules: apply snapshots to the read model, write pages, work out what changed.

Plain functions; the caller owns the transaction and the page store. Two kinds of work:

- the article page itself (``apply_snapshot``), on the render-pages worker: the reader is
  waiting, so it does a bounded amount of work whatever the size of the site;
- everything that lists it (``render_dirty``), on the render-listings worker, from the dirty
  keys the change left behind: coalesced, and bounded per change too (listings.py,
  related.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from services.render import listing_pages, people, places, related, related_work, repository
from services.render import listing_repository as lists
from services.render.article_pages import make_renderer as make_renderer
from services.render.article_pages import (
    prepare_article,
    render_article,
    snapshot_of,
    stored_ranked,
    write_prepared,
)
from services.render.dirty_keys import (
    ARTICLE_KEY_PREFIX,
    ENTRY_KEY_PREFIX,
    RELATED_KEY_PREFIX,
    article_key,
    entry_key,
    related_key,
)
from services.render.listing_pages import FEED, HOME, STATIC
from services.render.listings import (
    ALL,
    FROM,
    Position,
    card_text,
    listings_of,
    mark,
    marks_for_change,
    position_of,
    root_listing,
)
from services.render.models import Snapshot
from services.render.renderer import NavCategory, Site, tag_slug
from services.render.store import PageStore
from shared.contracts import ArticleSnapshot
from shared.db import Database

log = logging.getLogger("healthhub.render")

RELATED_LIMIT = related.RELATED_LIMIT
# The navigation every page was last (queued to be) rendered with, in render_state: each
# listings run compares the current one with it (see render_dirty). A "nav" dirty key left by
# an earlier release is an unknown key: cleared, nothing rendered for it.
NAV_STATE = "navigation"


@dataclass
class ApplyResult:
    applied: bool
    pages_written: list[str] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)
    # Dirty, but not worth a run of their own: the next index run takes them.
    deferred: set[str] = field(default_factory=set)


def _store_snapshot(
    session: Session, row: Snapshot, snapshot: ArticleSnapshot, now: datetime
) -> None:
    row.version = snapshot.version
    row.status = snapshot.status
    row.slug = snapshot.slug
    row.category_slug = snapshot.category.slug
    trail = [c.slug for c in snapshot.category.parents] + [snapshot.category.slug]
    row.category_trail = "/" + "".join(f"{slug}/" for slug in trail)
    row.published_at = snapshot.published_at
    row.updated_at = snapshot.updated_at
    row.data = snapshot.model_dump(mode="json")
    row.applied_at = now
    live_tags = {tag_slug(t): t for t in snapshot.tags} if snapshot.is_live else {}
    repository.set_tags(session, snapshot.id, live_tags)
    people.set_article_people(session, snapshot)
    lists.set_members(
        session,
        snapshot.id,
        position_of(snapshot),
        listings_of(snapshot),
        root_listing(snapshot) if snapshot.is_live else None,
    )


def apply_snapshot(
    session: Session,
    store: PageStore,
    site: Site,
    snapshot: ArticleSnapshot,
    *,
    now: datetime,
) -> ApplyResult:
    """Apply a snapshot if it is newer than what we hold; write or withdraw its page, and
    mark (never render) the listing work it causes."""
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
    _store_snapshot(session, row, snapshot, now)
    session.flush()
    renderer = make_renderer(session, site)

    result = ApplyResult(applied=True)
    was_live = old is not None and old.is_live
    if snapshot.is_live:
        ranked, exact_later = _own_related(session, row, old if was_live else None, snapshot)
        result.pages_written.append(render_article(session, store, renderer, row, ranked))
        if exact_later:
            result.dirty.add(article_key(snapshot.id))
        places.place(store, old, snapshot)
    else:
        places.withdraw(store, old, snapshot, gone=snapshot.published_at is not None or was_live)
        repository.set_related_links(session, snapshot.id, [])
    if snapshot.is_live or was_live:
        result.dirty |= marks_for_change(old, snapshot) | {HOME, FEED}
        card_changed = old is None or card_text(old) != card_text(snapshot) or not was_live
        result.dirty.add(related_key(snapshot.id, card_changed or not snapshot.is_live))
        if snapshot.is_live and not _keeps_rank(old if was_live else None, snapshot):
            result.dirty.add(entry_key(snapshot.id))  # on the related-refresh schedule
        # Profile pages list the person's live articles.
        shown = people.people_of(snapshot) | (people.people_of(old) if old else set())
        result.dirty |= {people.person_key(pid) for pid, _ in shown}
    return result


def _keeps_rank(live_before: ArticleSnapshot | None, new: ArticleSnapshot) -> bool:
    """Still live with the same tags and category: the article ranks in every other page's
    list as it did (its publish date never changes), so it enters no list it did not."""
    return (
        live_before is not None
        and live_before.category.slug == new.category.slug
        and {tag_slug(t) for t in live_before.tags} == {tag_slug(t) for t in new.tags}
    )


def _own_related(
    session: Session, row: Snapshot, live_before: ArticleSnapshot | None, new: ArticleSnapshot
) -> tuple[list[tuple[Snapshot, int]], bool]:
    """The related list a publish renders the page with, in bounded work, and whether the
    listings worker must render the page again with the exact list.

    An article whose tags and category did not change keeps the list its page shows (other
    changes re-render it through their own marks), unless the page is already due to be
    rendered again (a listings run may have read the version this one replaces, and would
    then write nothing); otherwise the page goes live with a bounded stand-in
    (related.quick_ranked) and its exact list follows with the listings."""
    if _keeps_rank(live_before, new) and not repository.is_dirty(
        session, article_key(row.article_id)
    ):
        stored = stored_ranked(session, row)
        if stored is not None:
            return stored, False
    return related.quick_ranked(session, row), True


def apply_view_counts(
    session: Session,
    store: PageStore,
    site: Site,
    totals: dict[int, int],
    *,
    now: datetime,
    may_render: Callable[[int], bool] = lambda _id: True,
    recent: dict[int, int] | None = None,
) -> ApplyResult:
    """Store reported totals (and 7-day counts) and re-render the live article pages whose
    total changed; the home page's "most read" list follows the 7-day counts.

    A hot article's count changes on every flush; ``may_render`` says whether its page may be
    rendered now (at most once per few seconds) or waits for the next index run. The page
    script asks for the live count anyway, so the static number only has to stay close."""
    result = ApplyResult(applied=True)
    changed = [
        aid
        for aid, total in sorted(totals.items())
        if repository.upsert_view_count(session, aid, total, now)
    ]
    recent_changed = [
        aid
        for aid, count in sorted((recent or {}).items())
        if repository.upsert_recent_count(session, aid, count, now)
    ]
    if recent_changed:
        result.dirty.add(HOME)
    if not changed:
        return result
    session.flush()
    renderer = make_renderer(session, site)
    for aid in changed:
        repository.lock_article(session, aid)  # a publish moving it must not race this page
        row = repository.get_snapshot(session, aid)
        if row is None or row.status != "published":
            continue
        if may_render(aid):
            # A count does not move the related list: the page keeps the one it shows.
            shown = stored_ranked(session, row)
            result.pages_written.append(render_article(session, store, renderer, row, shown))
        else:
            result.deferred.add(article_key(aid))
    return result


def full_listing_keys(session: Session) -> set[str]:
    """Keys that render every listing page, the home page, feed, sitemap and static pages."""
    first = Position(datetime.min.replace(tzinfo=UTC), 0)
    keys = {HOME, FEED, STATIC}
    keys |= {mark(listing, FROM, first) for listing in lists.listing_keys(session)}
    keys.add(mark(ALL, FROM, first))
    return keys | people.profile_keys(session)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RenderRun:
    keys: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    # Article pages left for the next run (more than RELATED_PAGES_PER_RUN were dirty).
    pending: int = 0
    # The navigation changed: every page must be rendered again (a full re-render); once
    # that is queued, the caller records ``navigation`` (remember_navigation).
    rebuild: bool = False
    navigation: str = ""


def render_dirty(
    db: Database,
    store: PageStore,
    site: Site,
    *,
    now: datetime,
    entry_after: timedelta = timedelta(0),
) -> RenderRun:
    """Render the dirty listing work; returns what was done and what is left.

    Listings are read and rendered from a read snapshot, without the database write lock, so
    a big listing never makes a publish wait. A key is forgotten only if nobody marked it
    again meanwhile; a failure leaves it dirty. The caller makes sure only one listing
    renderer runs at a time (two could otherwise write an older listing last).

    The navigation (top-level categories with live articles) is on every page. Each run
    compares it with the one every page was last rendered with (stored in render_state), so
    a change is seen whatever order concurrent publishes committed in."""
    run = RenderRun()
    with db.reading() as session:
        marks = repository.dirty_marks(session)
    work = related_work.work_out(db, marks, now, entry_after)
    run.keys += work.done
    done, run.written = people.render_profiles(db, store, lambda s: make_renderer(s, site), marks)
    run.keys += done
    listing_work = {
        k: m
        for k, m in marks.items()
        if not k.startswith(
            (RELATED_KEY_PREFIX, ENTRY_KEY_PREFIX, ARTICLE_KEY_PREFIX, people.PERSON_KEY_PREFIX)
        )
    }
    with db.reading() as session:
        renderer = make_renderer(session, site)
        run.navigation = _navigation_text(renderer.nav)
        run.rebuild = run.navigation != repository.state_value(session, NAV_STATE)
        if listing_work:
            keys = set(listing_work) | ({STATIC} if run.rebuild else set())
            run.written += listing_pages.render_keys(session, store, renderer, keys, now)
    if listing_work:
        with db.transaction() as session:
            for key, seen in listing_work.items():
                repository.clear_dirty(session, key, seen)
        run.keys += sorted(listing_work)
    run.written += _render_article_keys(db, store, site, now, run)
    run.pending += work.pending
    return run


def _navigation_text(nav: list[NavCategory]) -> str:
    return json.dumps([[c.slug, c.name] for c in nav])


def current_navigation(session: Session) -> str:
    """The navigation as every page would show it now, as render_state records it."""
    return _navigation_text([NavCategory(slug=s, name=n) for s, n in lists.navigation(session)])


def remember_navigation(db: Database, navigation: str) -> None:
    """Every page is (being) rendered with this navigation: later runs compare with it."""
    with db.transaction() as session:
        repository.set_state_value(session, NAV_STATE, navigation)


def _render_article_keys(
    db: Database, store: PageStore, site: Site, now: datetime, run: RenderRun
) -> list[str]:
    """Article pages whose related list (or deferred view count) changed, oldest mark first,
    at most RELATED_PAGES_PER_RUN of them; the rest wait for the next run."""
    with db.reading() as session:
        marks = repository.dirty_marks(session)
    due = sorted(
        ((m.marked_at, k, m) for k, m in marks.items() if k.startswith(ARTICLE_KEY_PREFIX)),
        key=lambda item: (item[0], item[1]),
    )
    written: list[str] = []
    read_too_early = 0
    for _, key, seen in due[: related.RELATED_PAGES_PER_RUN]:
        raw_id = key.removeprefix(ARTICLE_KEY_PREFIX)
        article_id = int(raw_id) if raw_id.isdigit() else None
        page = None
        if article_id is not None:
            with db.reading() as session:
                page = prepare_article(session, site, article_id)
        with db.transaction() as session:
            done: list[str] | None = []
            if page is not None and article_id is not None:
                repository.lock_article(session, article_id)  # as a publish does
                done = write_prepared(session, store, page)
            if done is None:
                read_too_early += 1  # left marked: the next run reads the newer version
            else:
                written += done
                repository.clear_dirty(session, key, seen)
        run.keys.append(key)
    run.pending = max(0, len(due) - related.RELATED_PAGES_PER_RUN) + read_too_early
    return written


def render_keys(
    session: Session, store: PageStore, site: Site, keys: Iterable[str], *, now: datetime
) -> list[str]:
    """Render listing keys (a full re-render's share); returns the files written."""
    renderer = make_renderer(session, site)
    wanted = set(keys)
    profiles = {k for k in wanted if k.startswith(people.PERSON_KEY_PREFIX)}
    written = listing_pages.render_keys(session, store, renderer, wanted - profiles, now)
    for key in sorted(profiles):
        raw = key.removeprefix(people.PERSON_KEY_PREFIX)
        rel = people.render_profile(session, store, renderer, int(raw)) if raw.isdigit() else None
        written += [rel] if rel else []
    return written
