"""Every query about listings: membership, positions, pages, names, navigation.

All of them are range reads on the ``listing_members`` primary key (listing, sort_at,
article_id), so their cost follows the page asked for, not the size of the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.render.listings import ALL, Position
from services.render.models import ListingMember, ListingName, Snapshot


def set_members(
    session: Session,
    article_id: int,
    position: Position,
    listings: dict[str, str],
    root: str | None,
) -> None:
    """Make the article a member of exactly these listings (name by listing); ``root`` is
    its top-level category listing, which the navigation lists."""
    session.execute(delete(ListingMember).where(ListingMember.article_id == article_id))
    if not listings:
        return
    session.execute(
        insert(ListingMember),
        [
            {"listing": name, "sort_at": position.sort_at, "article_id": article_id}
            for name in sorted(listings)
        ],
    )
    names = {k: v for k, v in listings.items() if k != ALL}
    if names:
        remember_names(session, names, roots={root} if root else set())


def remember_names(session: Session, names: dict[str, str], roots: set[str]) -> None:
    """Store display names; an unchanged name writes nothing (no row lock on PostgreSQL).

    A listing seen for the first time is inserted with ON CONFLICT DO UPDATE: two workers
    publishing the first articles of one new tag at once must not fail each other's commit."""
    held = {
        row.listing: row
        for row in session.scalars(select(ListingName).where(ListingName.listing.in_(names)))
    }
    new = [
        {"listing": listing, "name": name, "is_root": listing in roots}
        for listing, name in sorted(names.items())
        if listing not in held
    ]
    if new:
        dialect = session.get_bind().dialect.name
        ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(ListingName).values(new)
        # Inserted meanwhile by a concurrent worker: its row takes this one's name, and stays
        # a root if either says so.
        session.execute(
            ins.on_conflict_do_update(
                index_elements=["listing"],
                set_={
                    "name": ins.excluded.name,
                    "is_root": or_(ListingName.is_root, ins.excluded.is_root),
                },
            )
        )
    for listing, name in sorted(names.items()):
        row = held.get(listing)
        if row is not None and (row.name != name or (listing in roots and not row.is_root)):
            session.execute(
                update(ListingName)
                .where(ListingName.listing == listing)
                .values(name=name, is_root=row.is_root or listing in roots)
            )


def size(session: Session, listing: str) -> int:
    stmt = select(func.count()).select_from(ListingMember).where(ListingMember.listing == listing)
    return session.scalar(stmt) or 0


def rank(session: Session, listing: str, position: Position) -> int:
    """How many members sort before this position (its 0-based rank, member or not)."""
    stmt = (
        select(func.count())
        .select_from(ListingMember)
        .where(
            ListingMember.listing == listing,
            tuple_(ListingMember.sort_at, ListingMember.article_id)
            < tuple_(position.sort_at, position.article_id),
        )
    )
    return session.scalar(stmt) or 0


def slice_ids(session: Session, listing: str, offset: int, limit: int) -> list[int]:
    """Member ids from ``offset`` in the listing's order (oldest first)."""
    stmt = (
        select(ListingMember.article_id)
        .where(ListingMember.listing == listing)
        .order_by(ListingMember.sort_at, ListingMember.article_id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def oldest_ids(session: Session, listing: str, limit: int) -> list[int]:
    """The listing's first members (an index range read on its order)."""
    return slice_ids(session, listing, 0, limit)


def newest_ids(session: Session, listing: str, limit: int) -> list[int]:
    stmt = (
        select(ListingMember.article_id)
        .where(ListingMember.listing == listing)
        .order_by(ListingMember.sort_at.desc(), ListingMember.article_id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def shard_rows(
    session: Session, offset: int, limit: int
) -> Sequence[tuple[str, str, datetime | None]]:
    """(category slug, slug, updated) of the ``all`` listing's members in one sitemap shard."""
    stmt = (
        select(Snapshot.category_slug, Snapshot.slug, Snapshot.updated_at)
        .join(ListingMember, ListingMember.article_id == Snapshot.article_id)
        .where(ListingMember.listing == ALL)
        .order_by(ListingMember.sort_at, ListingMember.article_id)
        .offset(offset)
        .limit(limit)
    )
    return [(row[0], row[1], row[2]) for row in session.execute(stmt)]


def name_of(session: Session, listing: str) -> str | None:
    return session.scalar(select(ListingName.name).where(ListingName.listing == listing))


def navigation(session: Session) -> list[tuple[str, str]]:
    """(slug, name) of the top-level categories that have live articles, by slug."""
    roots = session.execute(
        select(ListingName.listing, ListingName.name)
        .where(ListingName.is_root.is_(True))
        .order_by(ListingName.listing)
    ).all()
    nav = []
    for listing, name in roots:
        has_any = session.scalar(
            select(ListingMember.article_id).where(ListingMember.listing == listing).limit(1)
        )
        if has_any is not None:
            nav.append((listing.removeprefix("category:"), name))
    return nav


def listing_keys(session: Session) -> list[str]:
    """Every listing that has members (for a full re-render)."""
    return list(session.scalars(select(ListingMember.listing).distinct()))


def live_ids_after(session: Session, after: int, limit: int) -> list[int]:
    stmt = (
        select(Snapshot.article_id)
        .where(Snapshot.status == "published", Snapshot.article_id > after)
        .order_by(Snapshot.article_id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def drop_members_not_live(session: Session) -> None:
    live = select(Snapshot.article_id).where(Snapshot.status == "published")
    session.execute(delete(ListingMember).where(ListingMember.article_id.not_in(live)))


def unindexed(session: Session) -> bool:
    """Live articles exist, yet no listing has a member."""
    member = session.scalar(select(ListingMember.article_id).limit(1))
    live = session.scalar(
        select(Snapshot.article_id).where(Snapshot.status == "published").limit(1)
    )
    return member is None and live is not None


def cards(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What a listing card shows, by id, extracted in SQL: the snapshot's JSON holds the
    whole body, and parsing it for six fields is most of a listing page's cost."""
    if not ids:
        return {}
    data = Snapshot.data
    stmt = select(
        Snapshot.article_id,
        Snapshot.slug,
        Snapshot.category_slug,
        Snapshot.published_at,
        Snapshot.updated_at,
        data["title"].as_string(),
        data["summary"].as_string(),
        data["category"]["name"].as_string(),
    ).where(Snapshot.article_id.in_(sorted(set(ids))))
    return {
        row[0]: {
            "id": row[0],
            "slug": row[1],
            "category": {"slug": row[2], "name": row[7]},
            "published_at": row[3],
            "updated_at": row[4],
            "title": row[5],
            "summary": row[6] or "",
        }
        for row in session.execute(stmt)
    }
