"""Tables owned by the render service: its read model of article snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
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
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SnapshotTag(Base):
    """Which live article carries which tag (by tag slug), for tag pages."""

    __tablename__ = "snapshot_tags"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tag_slug: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)
    tag_name: Mapped[str] = mapped_column(String(120))


class ViewCount(Base):
    """The latest total the views service reported for an article."""

    __tablename__ = "view_counts"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DirtyIndex(Base):
    """An index page (home, a category, a tag, the feed...) that must be rendered again.

    Durable, so a worker that dies between marking and rendering loses nothing; rendering
    takes a whole batch at once, which is what coalesces a burst of publishes."""

    __tablename__ = "dirty_indexes"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)


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


class RenderedBody(Base):
    """An article body as sanitised HTML with its table of contents: a cache.

    Markdown parsing and sanitising is most of the cost of an article page; the body only
    changes with the article's version, so a re-render for a template change reuses it.
    ``renderer`` names the Markdown/sanitiser configuration that made it (MARKDOWN_RENDERER):
    change that and every cached body is stale."""

    __tablename__ = "rendered_bodies"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    renderer: Mapped[str] = mapped_column(String(40))
    html: Mapped[str] = mapped_column(Text)
    toc: Mapped[list[Any]] = mapped_column(JSON)
    words: Mapped[int] = mapped_column(Integer)
