"""Every query of the articles service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.articles.models import ApiToken, Article, Category, OutboxMessage, SlugRedirect


def get_article(session: Session, article_id: int, *, for_update: bool = False) -> Article | None:
    stmt = select(Article).where(Article.id == article_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def get_article_by_slug(session: Session, slug: str) -> Article | None:
    return session.scalars(select(Article).where(Article.slug == slug)).one_or_none()


def slug_in_use(session: Session, slug: str, *, except_article: int | None = None) -> bool:
    article_id = session.scalar(select(Article.id).where(Article.slug == slug))
    if article_id is not None and article_id != except_article:
        return True
    owner = session.scalar(select(SlugRedirect.article_id).where(SlugRedirect.slug == slug))
    return owner is not None and owner != except_article


def get_redirect(session: Session, slug: str) -> SlugRedirect | None:
    return session.get(SlugRedirect, slug)


def former_slugs(session: Session, article_id: int) -> list[str]:
    stmt = (
        select(SlugRedirect.slug)
        .where(SlugRedirect.article_id == article_id)
        .order_by(SlugRedirect.created_at, SlugRedirect.slug)
    )
    return list(session.scalars(stmt))


def drop_redirect(session: Session, slug: str) -> None:
    redirect = session.get(SlugRedirect, slug)
    if redirect is not None:
        session.delete(redirect)


def get_category(session: Session, category_id: int) -> Category | None:
    return session.get(Category, category_id)


def get_category_by_slug(session: Session, slug: str) -> Category | None:
    return session.scalars(select(Category).where(Category.slug == slug)).one_or_none()


def list_categories(session: Session) -> Sequence[Category]:
    return session.scalars(select(Category).order_by(Category.name)).all()


def category_chain(session: Session, category: Category) -> list[Category]:
    """The category and its ancestors, root first (a cycle is cut, not followed)."""
    chain = [category]
    seen = {category.id}
    parent_id = category.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = session.get(Category, parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
        parent_id = parent.parent_id
    chain.reverse()
    return chain


def unsent_outbox(session: Session, *, older_than: datetime, limit: int) -> Sequence[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at <= older_than)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def outbox_messages(session: Session, ids: Sequence[int]) -> Sequence[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    return session.scalars(stmt).all()


def mark_sent(session: Session, ids: Sequence[int], *, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
        .values(sent_at=now)
    )


def count_attempt(session: Session, ids: Sequence[int]) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(attempts=OutboxMessage.attempts + 1)
    )


def get_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).one_or_none()


def list_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def count_unsent(session: Session) -> int:
    stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    return int(session.scalar(stmt) or 0)
