"""Tables owned by the views service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class KnownArticle(Base):
    """Articles as the views service learns them from article events (only live ones count)."""

    __tablename__ = "known_articles"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(120), index=True)
    category_slug: Mapped[str] = mapped_column(String(120), index=True)
    live: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleTotal(Base):
    __tablename__ = "article_totals"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    # Views imported from a previous platform (included in total, kept apart for audit).
    imported: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DailyCount(Base):
    __tablename__ = "daily_counts"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    # The part of count imported from a previous platform (a dated import row), kept apart
    # so importing the file again replaces it instead of adding to it.
    imported: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class DailyDimension(Base):
    """Views of one article on one UTC day by one value of one dimension (referrer class,
    referring domain, device class, utm_source/medium/campaign): a counter, nothing more."""

    __tablename__ = "daily_dimensions"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class AppliedBatch(Base):
    """A flush batch that has been applied; makes applying it a second time a no-op."""

    __tablename__ = "applied_batches"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
