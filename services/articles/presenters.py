"""Turning rows into API answers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.articles import repository
from services.articles.models import Article, Category
from services.articles.schemas import ArticleOut, CategoryOut, PublicArticleOut, ReferenceOut
from services.articles.snapshots import article_path


def _category(session: Session, article: Article) -> Category:
    category = repository.get_category(session, article.category_id)
    assert category is not None
    return category


def category_out(session: Session, category: Category) -> CategoryOut:
    parent = repository.get_category(session, category.parent_id) if category.parent_id else None
    return CategoryOut(
        slug=category.slug,
        name=category.name,
        description=category.description,
        parent=parent.slug if parent else None,
    )


def article_out(session: Session, article: Article) -> ArticleOut:
    category = _category(session, article)
    return ArticleOut(
        id=article.id,
        version=article.version,
        status=article.status,
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        body=article.body,
        category=category.slug,
        tags=article.tags,
        authors=article.authors,
        hero_image_url=article.hero_image_url,
        hero_image_alt=article.hero_image_alt,
        reviewed_by=article.reviewed_by,
        last_reviewed=article.last_reviewed,
        references=[ReferenceOut(**r) for r in article.references],
        path=article_path(category.slug, article.slug),
        created_at=article.created_at,
        updated_at=article.updated_at,
        published_at=article.published_at,
    )


def public_article_out(session: Session, article: Article) -> PublicArticleOut:
    category = _category(session, article)
    return PublicArticleOut(
        id=article.id,
        version=article.version,
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        body=article.body,
        category=category_out(session, category),
        tags=article.tags,
        authors=article.authors,
        hero_image_url=article.hero_image_url,
        hero_image_alt=article.hero_image_alt,
        reviewed_by=article.reviewed_by,
        last_reviewed=article.last_reviewed,
        references=[ReferenceOut(**r) for r in article.references],
        path=article_path(category.slug, article.slug),
        published_at=article.published_at,
        updated_at=article.updated_at,
    )
