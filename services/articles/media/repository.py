"""Every query of the media library."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from services.articles.media.models import ArticleMedia, Media
from services.articles.models import Article, Person


def get(session: Session, media_id: int) -> Media | None:
    return session.get(Media, media_id)


def get_by_sha(session: Session, sha256: str) -> Media | None:
    return session.scalars(select(Media).where(Media.sha256 == sha256)).one_or_none()


def by_ids(session: Session, media_ids: Iterable[int]) -> dict[int, Media]:
    ids = list(set(media_ids))
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(select(Media).where(Media.id.in_(ids)))}


def page(session: Session, *, offset: int, limit: int) -> tuple[list[Media], int]:
    rows = list(
        session.scalars(select(Media).order_by(Media.id.desc()).offset(offset).limit(limit))
    )
    total = session.scalar(select(func.count()).select_from(Media)) or 0
    return rows, total


def users_of(session: Session, media_id: int) -> list[int]:
    """Articles (not deleted) that show this image, as hero or in the body."""
    stmt = (
        select(ArticleMedia.article_id)
        .join(Article, Article.id == ArticleMedia.article_id)
        .where(ArticleMedia.media_id == media_id, Article.status != "deleted")
        .order_by(ArticleMedia.article_id)
    )
    return list(session.scalars(stmt))


def people_using(session: Session, media_id: int) -> list[str]:
    """Slugs of the people whose photo this image is."""
    stmt = select(Person.slug).where(Person.photo_media_id == media_id).order_by(Person.slug)
    return list(session.scalars(stmt))


def set_article_media(session: Session, article_id: int, media_ids: Iterable[int]) -> None:
    session.execute(delete(ArticleMedia).where(ArticleMedia.article_id == article_id))
    rows = [{"article_id": article_id, "media_id": m} for m in dict.fromkeys(media_ids)]
    if rows:
        session.execute(insert(ArticleMedia), rows)


def detach(session: Session, media_id: int) -> None:
    """Forget an image on articles that no longer count (deleted ones) before it goes."""
    session.execute(delete(ArticleMedia).where(ArticleMedia.media_id == media_id))
    session.execute(
        update(Article)
        .where(Article.hero_media_id == media_id)
        .values(hero_media_id=None)
        .execution_options(synchronize_session=False)
    )
