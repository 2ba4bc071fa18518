"""Tables owned by the render service: its read model of article snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class Snapshot(Base):
    """The newest version of each article the render service has seen, live or not."""

    __tablename__ = "snapshots"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    slug: Mapped[str] = mapped_column(String(120), index=True)
    category_slug: Mapped[str] = mapped_column(String(120), index=True)
    # "/root/.../category/": lets a parent category's page list its children's articles.
    category_trail: Mapped[str] = mapped_column(String(1000), default="/")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Kept beside ``data`` so a sitemap shard reads thousands of rows without parsing JSON.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SnapshotTag(Base):
    """Which live article carries which tag (by tag slug), for tag pages."""

    __tablename__ = "snapshot_tags"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tag_slug: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)
    tag_name: Mapped[str] = mapped_column(String(120))


class ListingMember(Base):
    """One live article in one listing, in the listing's order (oldest first).

    Listings: ``all`` (home, feed, sitemap), ``category:<slug>`` (the category and every
    category above it) and ``tag:<slug>``. The primary key is the listing's order, so a page
    of a listing, the position of an article in it and its size are index range reads, never
    a scan of the site."""

    __tablename__ = "listing_members"

    listing: Mapped[str] = mapped_column(String(200), primary_key=True)
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, index=True
    )


class ListingName(Base):
    """The display name of a category or tag listing, and whether it is a top-level category
    (the site navigation lists those that have live articles)."""

    __tablename__ = "listing_names"

    listing: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_root: Mapped[bool] = mapped_column(Boolean, default=False)


class ViewCount(Base):
    """The latest total the views service reported for an article."""

    __tablename__ = "view_counts"
    __table_args__ = (Index("ix_view_counts_recent", "recent"),)

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # Views in the last 7 days, as the views service last reported them: "most read" lists.
    recent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DirtyIndex(Base):
    """Listing work to do: a page or range of pages of a listing, the home page, the feed, an
    article page whose related list changed... (see listings.py for the key format).

    Durable, so a worker that dies between marking and rendering loses nothing; rendering
    takes a whole batch at once, which is what coalesces a burst of publishes."""

    __tablename__ = "dirty_indexes"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Bumped by every mark: a render clears the key only if the generation it read is still
    # there. (Times cannot do this: two workers' clocks, or a time taken before a lock, may
    # put a later mark at an earlier time.)
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class RenderState(Base):
    """Small named facts the listings renderer keeps between runs (the navigation it last
    rendered every page with)."""

    __tablename__ = "render_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RelatedLink(Base):
    """One entry of the "Related articles" list as last rendered on an article's page.

    Kept with the ordering key it was chosen by (shared tag count, publish date), so a change
    to another article can tell, without re-ranking every page, whether it enters a list."""

    __tablename__ = "related_links"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    related_id: Mapped[int] = mapped_column(Integer, index=True)
    shared_tags: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PersonRow(Base):
    """The newest version of each person (author or reviewer) render has heard of, from the
    articles service's person events. Article pages show people from here when it holds a
    newer version than the article's snapshot: a rename reaches every page without a new
    version of any article."""

    __tablename__ = "people"

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(120), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class ArticlePersonRow(Base):
    """Which live article shows which person, and as what ("author" or "reviewer"): the
    article pages to render again when the person changes, and their profile's list."""

    __tablename__ = "article_people"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    person_id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, index=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
