"""Every query of the render service."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.render.dirty_keys import ENTRY_KEY_PREFIX
from services.render.models import (
    DirtyIndex,
    RelatedLink,
    RenderState,
    Snapshot,
    SnapshotTag,
    ViewCount,
)


def get_snapshot(session: Session, article_id: int) -> Snapshot | None:
    return session.get(Snapshot, article_id)


def live_snapshots(session: Session) -> Sequence[Snapshot]:
    stmt = (
        select(Snapshot)
        .where(Snapshot.status == "published")
        .order_by(Snapshot.published_at.desc(), Snapshot.article_id.desc())
    )
    return session.scalars(stmt).all()


def live_ids(session: Session) -> list[int]:
    stmt = select(Snapshot.article_id).where(Snapshot.status == "published")
    return sorted(session.scalars(stmt))


def snapshots_by_id(session: Session, ids: Iterable[int]) -> Sequence[Snapshot]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    stmt = select(Snapshot).where(Snapshot.article_id.in_(wanted)).order_by(Snapshot.article_id)
    return session.scalars(stmt).all()


def most_viewed_live(session: Session, limit: int) -> Sequence[tuple[Snapshot, int]]:
    """The most read live articles of the last 7 days (ties: the lower id), with that count."""
    stmt = (
        select(Snapshot, ViewCount.recent)
        .join(ViewCount, ViewCount.article_id == Snapshot.article_id)
        .where(Snapshot.status == "published", ViewCount.recent > 0)
        .order_by(ViewCount.recent.desc(), Snapshot.article_id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def view_count(session: Session, article_id: int) -> int:
    row = session.get(ViewCount, article_id)
    return row.total if row else 0


def view_counts(session: Session, ids: Iterable[int]) -> dict[int, int]:
    ids = list(ids)
    if not ids:
        return {}
    stmt = select(ViewCount.article_id, ViewCount.total).where(ViewCount.article_id.in_(ids))
    return {row[0]: row[1] for row in session.execute(stmt)}


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def upsert_view_count(session: Session, article_id: int, total: int, now: datetime) -> bool:
    """Store a reported total; True when it changed what the page shows."""
    row = session.get(ViewCount, article_id)
    if row is None:
        session.add(ViewCount(article_id=article_id, total=total, updated_at=now))
        return True
    if row.total == total:
        return False
    row.total = total
    row.updated_at = now
    return True


def upsert_recent_count(session: Session, article_id: int, recent: int, now: datetime) -> bool:
    """Store a reported 7-day count; True when it changed."""
    row = session.get(ViewCount, article_id)
    if row is None:
        session.add(ViewCount(article_id=article_id, total=0, recent=recent, updated_at=now))
        return True
    if row.recent == recent:
        return False
    row.recent = recent
    row.updated_at = now
    return True


def mark_dirty(session: Session, keys: Iterable[str], now: datetime) -> None:
    """Mark keys dirty at ``now``. A scheduled key (``relatedentry:``) already dirty keeps the
    time of its first mark: it is due a fixed time after that, and an article changed more
    often than that must not postpone its own refresh forever."""
    wanted = set(keys)
    scheduled = {k for k in wanted if k.startswith(ENTRY_KEY_PREFIX)}
    _mark(session, wanted - scheduled, now, keep_time=False)
    _mark(session, scheduled, now, keep_time=True)


def _mark(session: Session, keys: set[str], now: datetime, *, keep_time: bool) -> None:
    rows = [{"key": k, "marked_at": now, "generation": _new_generation()} for k in sorted(keys)]
    if not rows:
        return
    # Every mark gets a generation of its own: a render that read the read model before
    # this mark then finds another generation and leaves the key dirty (see clear_dirty).
    # Random rather than counted: a key cleared and marked again must not come back with
    # the generation an older render read (a counter would restart at 1).
    ins = _insert(session)(DirtyIndex).values(rows)
    stmt = ins.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "generation": ins.excluded.generation,
            **({} if keep_time else {"marked_at": ins.excluded.marked_at}),
        },
    )
    session.execute(stmt)


def _new_generation() -> int:
    return secrets.randbits(31)  # the column is a 32-bit integer on PostgreSQL


@dataclass(frozen=True)
class DirtyMark:
    """When a key was last marked (for ordering) and which mark that was (for clearing)."""

    marked_at: datetime
    generation: int


def dirty_marks(session: Session) -> dict[str, DirtyMark]:
    """Every dirty key with its last mark."""
    stmt = select(DirtyIndex.key, DirtyIndex.marked_at, DirtyIndex.generation)
    return {row[0]: DirtyMark(row[1], row[2]) for row in session.execute(stmt)}


def is_dirty(session: Session, key: str) -> bool:
    return session.get(DirtyIndex, key) is not None


def clear_dirty(session: Session, key: str, seen: DirtyMark) -> bool:
    """Forget a rendered key, unless it was marked again after the render read its mark."""
    stmt = delete(DirtyIndex).where(DirtyIndex.key == key, DirtyIndex.generation == seen.generation)
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def state_value(session: Session, key: str) -> str | None:
    return session.scalar(select(RenderState.value).where(RenderState.key == key))


def set_state_value(session: Session, key: str, value: str) -> None:
    ins = _insert(session)(RenderState).values(key=key, value=value)
    session.execute(ins.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def count_dirty(session: Session, *, scheduled: bool = True) -> int:
    """Dirty keys; ``scheduled=False`` leaves out the related-refresh schedule's, which wait
    for their time rather than for a worker."""
    stmt = select(func.count()).select_from(DirtyIndex)
    if not scheduled:
        stmt = stmt.where(DirtyIndex.key.not_like(f"{ENTRY_KEY_PREFIX}%"))
    return session.scalar(stmt) or 0


def set_tags(session: Session, article_id: int, tags: dict[str, str]) -> None:
    """Replace an article's tags (slug → display name); empty for an article that is not live."""
    session.execute(delete(SnapshotTag).where(SnapshotTag.article_id == article_id))
    for slug, name in tags.items():
        session.add(SnapshotTag(article_id=article_id, tag_slug=slug, tag_name=name))


def live_with_tag(session: Session, tag_slug: str) -> Sequence[Snapshot]:
    stmt = (
        select(Snapshot)
        .join(SnapshotTag, SnapshotTag.article_id == Snapshot.article_id)
        .where(SnapshotTag.tag_slug == tag_slug, Snapshot.status == "published")
        .order_by(Snapshot.published_at.desc(), Snapshot.article_id.desc())
    )
    return session.scalars(stmt).all()


def tag_name(session: Session, tag_slug: str) -> str | None:
    stmt = select(SnapshotTag.tag_name).where(SnapshotTag.tag_slug == tag_slug).limit(1)
    return session.scalar(stmt)


def related_ranked(
    session: Session, snapshot: Snapshot, limit: int
) -> Sequence[tuple[Snapshot, int]]:
    """Live articles sharing the most tags with this one (the longest-standing first among
    equals), then the longest-standing of its category, each with the tags it shares."""
    tag_slugs = select(SnapshotTag.tag_slug).where(SnapshotTag.article_id == snapshot.article_id)
    return related_ranked_for(
        session,
        article_id=snapshot.article_id,
        category_slug=snapshot.category_slug,
        tag_slugs=tag_slugs,
        limit=limit,
    )


def related_ranked_for(
    session: Session,
    *,
    article_id: int,
    category_slug: str,
    tag_slugs: Select[Any] | Sequence[str],
    limit: int,
) -> Sequence[tuple[Snapshot, int]]:
    """Like related_ranked, for an article described by its tags (a draft, for previews).

    Two small queries instead of one ranking of every live article: articles sharing a tag
    always rank above those that share none, so the category fill is only needed when fewer
    than ``limit`` articles share a tag. (related_index.py is the same rule in memory.)"""
    shared = (
        select(SnapshotTag.article_id, func.count().label("n"))
        .where(SnapshotTag.tag_slug.in_(tag_slugs), SnapshotTag.article_id != article_id)
        .group_by(SnapshotTag.article_id)
        .subquery()
    )
    stmt = (
        select(Snapshot, shared.c.n)
        .join(shared, shared.c.article_id == Snapshot.article_id)
        .where(Snapshot.status == "published")
        .order_by(shared.c.n.desc(), Snapshot.published_at, Snapshot.article_id)
        .limit(limit)
    )
    ranked = [(row[0], int(row[1])) for row in session.execute(stmt)]
    if len(ranked) < limit:
        # Fewer than `limit` share a tag, so every one that does is already in `ranked`.
        taken = [article_id, *(r.article_id for r, _ in ranked)]
        fill = (
            select(Snapshot)
            .where(
                Snapshot.status == "published",
                Snapshot.category_slug == category_slug,
                Snapshot.article_id.not_in(taken),
            )
            .order_by(Snapshot.published_at, Snapshot.article_id)
            .limit(limit - len(ranked))
        )
        ranked += [(row, 0) for row in session.scalars(fill)]
    return ranked


def set_related_links(
    session: Session, article_id: int, entries: Sequence[tuple[int, int, datetime | None]]
) -> None:
    """Record what an article page now shows as related: (related id, shared tags, published)."""
    session.execute(delete(RelatedLink).where(RelatedLink.article_id == article_id))
    if entries:
        session.execute(
            insert(RelatedLink),
            [
                {
                    "article_id": article_id,
                    "position": position,
                    "related_id": related_id,
                    "shared_tags": shared_tags,
                    "published_at": published_at,
                }
                for position, (related_id, shared_tags, published_at) in enumerate(entries)
            ],
        )


def pages_showing(session: Session, related_id: int) -> dict[int, RelatedLink]:
    """The article pages whose related list shows this article, with the entry they show."""
    stmt = select(RelatedLink).where(RelatedLink.related_id == related_id)
    return {link.article_id: link for link in session.scalars(stmt)}


def shared_tag_counts(session: Session, article_id: int, page_ids: Iterable[int]) -> dict[int, int]:
    """How many tags each of these pages shares with the article (pages sharing none left out)."""
    ids = sorted(set(page_ids))
    if not ids:
        return {}
    mine = select(SnapshotTag.tag_slug).where(SnapshotTag.article_id == article_id)
    stmt = (
        select(SnapshotTag.article_id, func.count())
        .where(SnapshotTag.article_id.in_(ids), SnapshotTag.tag_slug.in_(mine))
        .group_by(SnapshotTag.article_id)
    )
    return {row[0]: int(row[1]) for row in session.execute(stmt)}


def categories_of(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = select(Snapshot.article_id, Snapshot.category_slug).where(
        Snapshot.article_id.in_(wanted)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def related_links_of(session: Session, article_ids: Iterable[int]) -> dict[int, list[RelatedLink]]:
    ids = sorted(set(article_ids))
    found: dict[int, list[RelatedLink]] = {i: [] for i in ids}
    # Chunked: a big category can hold more ids than a database allows in one IN list.
    for start in range(0, len(ids), 5000):
        stmt = select(RelatedLink).where(RelatedLink.article_id.in_(ids[start : start + 5000]))
        for link in session.scalars(stmt):
            found[link.article_id].append(link)
    return found


def read_model_fingerprint(session: Session) -> tuple[object, ...]:
    """Changes with every apply: a new article adds a row, a new version raises the sum.
    (The newest ``applied_at`` alone would not: it is taken before the article's lock, so a
    later apply can carry an earlier time.) The database is part of it: two read models can
    hold as many versions of as many articles (tests run several in one process)."""
    stmt = select(func.count(), func.sum(Snapshot.version), func.max(Snapshot.applied_at))
    row = session.execute(stmt).one()
    return (repr(session.get_bind().engine.url), row[0], row[1], row[2])


def applied_since(session: Session, since: datetime) -> dict[int, str]:
    """Id → category slug of the articles applied at or after ``since`` (an index range read
    on ``applied_at``; the JSON bodies are not read: this runs under the write lock)."""
    stmt = select(Snapshot.article_id, Snapshot.category_slug).where(Snapshot.applied_at >= since)
    return {row[0]: row[1] for row in session.execute(stmt)}


def tags_of(session: Session, ids: Iterable[int]) -> set[str]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    stmt = select(SnapshotTag.tag_slug).where(SnapshotTag.article_id.in_(wanted))
    return set(session.scalars(stmt))


def lock_article(session: Session, article_id: int) -> None:
    """Serialise work on one article across workers until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: every transaction already holds
    the database write lock from its start (BEGIN IMMEDIATE, see shared.db)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(article_id)))
