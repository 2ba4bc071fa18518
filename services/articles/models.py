"""Tables owned by the articles service (nobody else reads them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import UTCDateTime, make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Medical review: publishing needs an approval in force; every article is due for a
    # new review this many months after its last one.
    requires_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    review_interval_months: Mapped[int] = mapped_column(Integer, default=12, server_default="12")

    parent: Mapped[Category | None] = relationship(remote_side=[id], lazy="raise")


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    hero_image_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    hero_image_alt: Mapped[str | None] = mapped_column(String(500), default=None)
    # A library image (media/models.py); replaces hero_image_url, which is only read now.
    hero_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL"), default=None
    )
    reviewed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    last_reviewed: Mapped[date | None] = mapped_column(Date, default=None)
    # Structured references (title, publisher, url, accessed, doi, key): service.stored_reference.
    references: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # The review (outcome "approved") whose approval is in force, if any; a content edit
    # withdraws it. No foreign key: reviews point at articles, and a cycle is not worth it.
    approval_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # Bumped on every change; optimistic concurrency and the consumers' ordering key.
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    category: Mapped[Category] = relationship(lazy="raise")

    # The public list: published articles, newest first, read straight off this index
    # (on PostgreSQL migration 0002 makes it `published_at DESC NULLS LAST`).
    __table_args__ = (
        Index("ix_articles_status_published_at", "status", "published_at"),
        Index("ix_articles_status_updated_at", "status", "updated_at"),
    )
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ArticleTag(Base):
    """One tag of one article: a copy of ``Article.tags`` kept for filtering and counting.

    The JSON list on the article keeps the editor's order; these rows make "articles with
    this tag" an indexed lookup on both SQLite and PostgreSQL. service.py writes both in the
    same transaction.
    """

    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class ArticleAuthor(Base):
    """One author of one article (a copy of ``Article.authors``, for filtering)."""

    __tablename__ = "article_authors"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    author: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class Person(Base):
    """An author or medical reviewer, with the credentials pages show beside their name."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    credentials: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # Filled by the media library later; until then an optional URL.
    photo_media_id: Mapped[int | None] = mapped_column(Integer, default=None)
    photo_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticlePerson(Base):
    """One author of one article, in the article's order."""

    __tablename__ = "article_people"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)


class Review(Base):
    """One act of the medical review: who, when, which article version, outcome, note.

    Outcomes: ``approved``, ``changes_requested`` (by a reviewer), ``withdrawn`` (an edit
    ended an approval), ``typo_only`` (an edit kept it, on the editor's word) and
    ``override`` (an admin published without an approval; the note is the reason)."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_article", "article_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    article_version: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleViews(Base):
    """View totals as the views service last reported them (a read model fed by the
    ViewCounts messages): ranks the articles due for review by how much they are read."""

    __tablename__ = "article_view_counts"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    recent: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlugRedirect(Base):
    """A slug an article used to have; readers of the old URL are sent to the new one."""

    __tablename__ = "slug_redirects"

    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CategoryRedirect(Base):
    """A slug a category used to have: its old pages redirect to the new ones."""

    __tablename__ = "category_redirects"

    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Revision(Base):
    """Every save stores the article's full editable state at that version."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_article_version", "article_id", "version", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """An article event written in the same transaction as the change it describes."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    # "article" (an ArticleEvent; article_id is its article) or "person" (a PersonEvent;
    # article_id holds the person's id): which subscribers the payload goes to.
    topic: Mapped[str] = mapped_column(String(20), default="article", server_default="article")
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(Base):
    """An API token; only its SHA-256 is stored (tokens are random, so no slow hash is needed)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The person a reviewer token acts as: reviews are recorded in their name.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)


class User(Base):
    """A person who signs in to the editor. The email is stored lower-cased (users.py does
    it, once), so the plain unique constraint makes it unique whatever the case typed."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class EditorSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's random id is stored: a copy of
    the table does not let anyone sign in."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idle_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    absolute_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
