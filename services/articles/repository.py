"""Every query of the articles service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.orm import Session

from services.articles.models import (
    ApiToken,
    Article,
    ArticleAuthor,
    ArticleTag,
    Category,
    CategoryRedirect,
    OutboxMessage,
    Revision,
    SlugRedirect,
)


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


def former_category_slugs(session: Session, category_id: int) -> list[str]:
    stmt = (
        select(CategoryRedirect.slug)
        .where(CategoryRedirect.category_id == category_id)
        .order_by(CategoryRedirect.created_at, CategoryRedirect.slug)
    )
    return list(session.scalars(stmt))


def get_category_redirect(session: Session, slug: str) -> CategoryRedirect | None:
    return session.get(CategoryRedirect, slug)


def drop_category_redirect(session: Session, slug: str) -> None:
    redirect = session.get(CategoryRedirect, slug)
    if redirect is not None:
        session.delete(redirect)


def published_in_categories(session: Session, category_ids: Sequence[int]) -> Sequence[Article]:
    """The published articles filed under any of these categories, by id."""
    if not category_ids:
        return []
    stmt = (
        select(Article)
        .where(Article.category_id.in_(category_ids), Article.status == "published")
        .order_by(Article.id)
    )
    return session.scalars(stmt).all()


def get_category(session: Session, category_id: int) -> Category | None:
    return session.get(Category, category_id)


def get_category_by_slug(session: Session, slug: str) -> Category | None:
    return session.scalars(select(Category).where(Category.slug == slug)).one_or_none()


def categories_by_id(session: Session) -> dict[int, Category]:
    """All categories in one query (they are few); lists use it instead of one per row."""
    return {c.id: c for c in session.scalars(select(Category))}


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


def set_article_tags(session: Session, article_id: int, tags: Sequence[str]) -> None:
    session.execute(delete(ArticleTag).where(ArticleTag.article_id == article_id))
    if tags:
        session.execute(insert(ArticleTag), [{"article_id": article_id, "tag": t} for t in tags])


def set_article_authors(session: Session, article_id: int, authors: Sequence[str]) -> None:
    session.execute(delete(ArticleAuthor).where(ArticleAuthor.article_id == article_id))
    if authors:
        session.execute(
            insert(ArticleAuthor), [{"article_id": article_id, "author": a} for a in authors]
        )


@dataclass
class ArticleFilter:
    """What a list of articles is narrowed by; every field that is set must hold."""

    statuses: Sequence[str] | None = None
    category_ids: Sequence[int] | None = None
    tag: str | None = None
    author: str | None = None
    search: ColumnElement[bool] | None = None
    updated_since: datetime | None = None
    sort: str = "-updated_at"
    extra: list[ColumnElement[bool]] = field(default_factory=list)


_SORT_COLUMNS = {
    "updated_at": Article.updated_at,
    "published_at": Article.published_at,
    "created_at": Article.created_at,
    "title": Article.title,
}


def list_articles(
    session: Session, filters: ArticleFilter, *, limit: int, offset: int
) -> tuple[Sequence[Article], int]:
    """One page of articles and the total over all pages."""
    conditions: list[ColumnElement[bool]] = list(filters.extra)
    if filters.statuses is not None:
        conditions.append(Article.status.in_(filters.statuses))
    if filters.category_ids is not None:
        conditions.append(Article.category_id.in_(filters.category_ids))
    if filters.tag is not None:
        tagged = select(ArticleTag.article_id).where(ArticleTag.tag == filters.tag)
        conditions.append(Article.id.in_(tagged))
    if filters.author is not None:
        by = select(ArticleAuthor.article_id).where(ArticleAuthor.author == filters.author)
        conditions.append(Article.id.in_(by))
    if filters.search is not None:
        conditions.append(filters.search)
    if filters.updated_since is not None:
        conditions.append(Article.updated_at >= filters.updated_since)
    total = session.scalar(select(func.count()).select_from(Article).where(*conditions)) or 0
    column = _SORT_COLUMNS[filters.sort.lstrip("-")]
    order = column.desc().nulls_last() if filters.sort.startswith("-") else column.asc()
    # Ids first, then the rows: the sort handles narrow (id, key) pairs, not 1 MB bodies.
    ids = list(
        session.scalars(
            select(Article.id)
            .where(*conditions)
            .order_by(order, Article.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    rows = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}
    return [rows[i] for i in ids], total


def category_subtree_ids(session: Session, category: Category) -> list[int]:
    """The category and all its descendants (categories are few: one query, walked here)."""
    children: dict[int | None, list[int]] = {}
    for cid, parent_id in session.execute(select(Category.id, Category.parent_id)):
        children.setdefault(parent_id, []).append(cid)
    found, todo = [], [category.id]
    while todo:
        cid = todo.pop()
        if cid in found:
            continue
        found.append(cid)
        todo.extend(children.get(cid, []))
    return found


def tag_counts(session: Session, statuses: Sequence[str]) -> list[tuple[str, int]]:
    stmt = (
        select(ArticleTag.tag, func.count())
        .join(Article, Article.id == ArticleTag.article_id)
        .where(Article.status.in_(statuses))
        .group_by(ArticleTag.tag)
        .order_by(ArticleTag.tag)
    )
    return [(tag, int(n)) for tag, n in session.execute(stmt)]


def author_counts(session: Session, statuses: Sequence[str]) -> list[tuple[str, int]]:
    stmt = (
        select(ArticleAuthor.author, func.count())
        .join(Article, Article.id == ArticleAuthor.article_id)
        .where(Article.status.in_(statuses))
        .group_by(ArticleAuthor.author)
        .order_by(ArticleAuthor.author)
    )
    return [(author, int(n)) for author, n in session.execute(stmt)]


def due_scheduled_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Scheduled articles whose time has come, locked for this transaction.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so a second scheduler skips the rows the first one
    holds and, once the first commits, finds them no longer scheduled. SQLite ignores the
    clause; there BEGIN IMMEDIATE (shared.db) already lets one writer in at a time.
    """
    stmt = (
        select(Article.id)
        .where(Article.status == "scheduled", Article.scheduled_at <= now)
        .order_by(Article.scheduled_at, Article.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def scheduled_in_category(session: Session, category_id: int) -> Sequence[Article]:
    stmt = (
        select(Article)
        .where(Article.status == "scheduled", Article.category_id == category_id)
        .order_by(Article.id)
    )
    return session.scalars(stmt).all()


def list_revisions(session: Session, article_id: int) -> Sequence[Revision]:
    stmt = (
        select(Revision).where(Revision.article_id == article_id).order_by(Revision.version.desc())
    )
    return session.scalars(stmt).all()


def get_revision(session: Session, article_id: int, version: int) -> Revision | None:
    stmt = select(Revision).where(Revision.article_id == article_id, Revision.version == version)
    return session.scalars(stmt).one_or_none()


def category_in_use(session: Session, category_id: int) -> bool:
    used = select(Article.id).where(Article.category_id == category_id).limit(1)
    child = select(Category.id).where(Category.parent_id == category_id).limit(1)
    return session.scalar(used) is not None or session.scalar(child) is not None
