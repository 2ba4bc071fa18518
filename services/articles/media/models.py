"""Tables of the media library (owned by the articles service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.articles.models import Base
from shared.db import UTCDateTime


class Media(Base):
    """One image of the library. Its files are named after ``sha256`` (of the cleaned
    original), so the same picture uploaded twice is one row and one set of files."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    original_ext: Mapped[str] = mapped_column(String(4))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    # Rendition widths made (each as WebP and JPEG), ascending.
    widths: Mapped[list[int]] = mapped_column(JSON, default=list)
    alt: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleMedia(Base):
    """An image an article shows (its hero or one in its body), kept in the same transaction
    as the article: "is this image in use?" is one indexed lookup."""

    __tablename__ = "article_media"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[int] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), primary_key=True, index=True
    )
