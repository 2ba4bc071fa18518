"""The editorial rules, as plain functions: no FastAPI, no Celery, no commit().

The caller owns the transaction. Every change a reader can see records an outbox event in
the same transaction, so the event exists if and only if the change does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slugify import slugify
from sqlalchemy.orm import Session

from services.articles import outbox, repository
from services.articles.errors import (
    ArticleNotFound,
    BodyTooLarge,
    CategoryNotFound,
    InvalidTransition,
    SlugTaken,
    StaleVersion,
)
from services.articles.models import Article, Category, Revision, SlugRedirect
from services.articles.schemas import ArticleCreate, ArticleFields, ArticleUpdate
from services.articles.snapshots import build_event
from shared.contracts import EventKind

MAX_SLUG_LENGTH = 120
# What a revision stores: the article's whole editable state, so any one can be restored.
REVISION_FIELDS = (
    "title",
    "slug",
    "summary",
    "body",
    "tags",
    "authors",
    "hero_image_url",
    "hero_image_alt",
    "reviewed_by",
    "last_reviewed",
    "references",
    "status",
)


def make_slug(title: str) -> str:
    """A URL slug from any title: transliterated to ASCII, lower case, hyphens."""
    slug = slugify(title, max_length=MAX_SLUG_LENGTH, word_boundary=True)
    return slug or "article"


def _unique_slug(session: Session, base: str, *, article_id: int | None = None) -> str:
    slug, n = base, 2
    while repository.slug_in_use(session, slug, except_article=article_id):
        suffix = f"-{n}"
        slug = base[: MAX_SLUG_LENGTH - len(suffix)] + suffix
        n += 1
    return slug


def _check_body(body: str | None, limit: int) -> None:
    if body is not None:
        size = len(body.encode())
        if size > limit:
            raise BodyTooLarge(size, limit)


def _category(session: Session, slug: str) -> Category:
    category = repository.get_category_by_slug(session, slug)
    if category is None:
        raise CategoryNotFound(slug)
    return category


def _apply_fields(article: Article, fields: ArticleFields) -> None:
    data = fields.model_dump(exclude_unset=True, mode="json")
    for name in ArticleFields.model_fields:
        if name not in data:
            continue
        value: Any = getattr(fields, name)
        if name == "references":
            value = [{"title": r.title, "url": str(r.url)} for r in value or []]
        elif name == "hero_image_url":
            value = str(value) if value is not None else None
        elif name in ("tags", "authors"):
            value = _dedupe(value or [])
        elif name in ("summary", "body") and value is None:
            value = ""
        setattr(article, name, value)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _revision_data(article: Article, category_slug: str) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(article, name) for name in REVISION_FIELDS}
    data["last_reviewed"] = article.last_reviewed.isoformat() if article.last_reviewed else None
    data["category"] = category_slug
    return data


def _store_revision(session: Session, article: Article, *, actor: str, now: datetime) -> None:
    category = repository.get_category(session, article.category_id)
    assert category is not None
    session.add(
        Revision(
            article_id=article.id,
            version=article.version,
            data=_revision_data(article, category.slug),
            created_by=actor,
            created_at=now,
        )
    )


def _emit(session: Session, article: Article, kind: EventKind, now: datetime) -> None:
    outbox.record(session, build_event(session, article, kind, now))


def get(session: Session, *, article_id: int) -> Article:
    article = repository.get_article(session, article_id)
    if article is None:
        raise ArticleNotFound(article_id)
    return article


def get_published_by_slug(session: Session, *, slug: str) -> Article:
    article = repository.get_article_by_slug(session, slug)
    if article is None or article.status != "published":
        raise ArticleNotFound(slug)
    return article


def create(
    session: Session, *, data: ArticleCreate, actor: str, now: datetime, max_body_bytes: int
) -> Article:
    _check_body(data.body, max_body_bytes)
    category = _category(session, data.category)
    if data.slug is not None:
        if repository.slug_in_use(session, data.slug):
            raise SlugTaken(data.slug)
        slug = data.slug
    else:
        slug = _unique_slug(session, make_slug(data.title))
    article = Article(
        title=data.title,
        slug=slug,
        category_id=category.id,
        status="draft",
        version=1,
        summary="",
        body="",
        tags=[],
        authors=[],
        references=[],
        created_at=now,
        updated_at=now,
    )
    _apply_fields(article, data)
    session.add(article)
    session.flush()
    _store_revision(session, article, actor=actor, now=now)
    return article


def _check_version(article: Article, expected: int) -> None:
    if article.version != expected:
        raise StaleVersion(expected, article.version)


def _bump(article: Article, now: datetime) -> None:
    article.version += 1
    article.updated_at = now


def update(
    session: Session,
    *,
    article_id: int,
    data: ArticleUpdate,
    expected_version: int,
    actor: str,
    now: datetime,
    max_body_bytes: int,
) -> Article:
    article = get(session, article_id=article_id)
    _check_version(article, expected_version)
    _check_body(data.body, max_body_bytes)
    if article.status == "deleted":
        raise InvalidTransition(article.status, "edited")
    if data.title is not None:
        article.title = data.title
    if data.category is not None:
        article.category_id = _category(session, data.category).id
    if data.slug is not None and data.slug != article.slug:
        _change_slug(session, article, data.slug, now)
    _apply_fields(article, data)
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    if article.status == "published":
        _emit(session, article, "updated", now)
    return article


def _change_slug(session: Session, article: Article, new_slug: str, now: datetime) -> None:
    if repository.slug_in_use(session, new_slug, except_article=article.id):
        raise SlugTaken(new_slug)
    # Going back to a former slug: it stops being a redirect and is the page again.
    repository.drop_redirect(session, new_slug)
    if article.published_at is not None:
        # Only a slug readers may have seen needs a redirect.
        session.add(SlugRedirect(slug=article.slug, article_id=article.id, created_at=now))
    article.slug = new_slug


def publish(
    session: Session,
    *,
    article_id: int,
    expected_version: int | None,
    actor: str,
    now: datetime,
    published_at: datetime | None = None,
) -> Article:
    """Publish now. ``published_at`` backdates the first publication (imports, sample data)."""
    article = get(session, article_id=article_id)
    if expected_version is not None:
        _check_version(article, expected_version)
    if article.status == "published":
        return article  # publishing twice is a no-op, not an error
    if article.status == "deleted":
        raise InvalidTransition(article.status, "published")
    article.status = "published"
    if article.published_at is None:
        article.published_at = published_at or now
    article.scheduled_at = None
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    _emit(session, article, "published", now)
    return article


def unpublish(
    session: Session, *, article_id: int, expected_version: int | None, actor: str, now: datetime
) -> Article:
    article = get(session, article_id=article_id)
    if expected_version is not None:
        _check_version(article, expected_version)
    if article.status != "published":
        raise InvalidTransition(article.status, "unpublished")
    article.status = "unpublished"
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    _emit(session, article, "unpublished", now)
    return article


def create_category(
    session: Session,
    *,
    slug: str,
    name: str,
    description: str = "",
    parent: str | None = None,
    now: datetime,
) -> Category:
    if repository.get_category_by_slug(session, slug) is not None:
        raise SlugTaken(slug)
    parent_id = _category(session, parent).id if parent else None
    category = Category(
        slug=slug, name=name, description=description, parent_id=parent_id, created_at=now
    )
    session.add(category)
    session.flush()
    return category
