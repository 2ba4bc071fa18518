"""Turning rows into API answers."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from services.articles import people_repository as people_repo
from services.articles import repository
from services.articles.category_schemas import CategoryOut
from services.articles.media import service as media
from services.articles.media.schemas import public_image
from services.articles.models import ApiToken, Article, Category, Person, Review, Revision
from services.articles.people import person_path
from services.articles.people_schemas import PersonOut, ReviewOut
from services.articles.reference_schemas import ReferenceOut
from services.articles.revision_schemas import RevisionOut, RevisionSummary
from services.articles.schemas import (
    ArticleOut,
    ArticleSummary,
    Page,
    PublicArticleOut,
    PublicArticleSummary,
    T,
)
from services.articles.snapshots import article_path
from services.articles.token_schemas import TokenOut


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
        requires_review=category.requires_review,
        review_interval_months=category.review_interval_months,
    )


def person_out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.id,
        version=person.version,
        slug=person.slug,
        name=person.name,
        credentials=person.credentials,
        bio=person.bio,
        photo_url=person.photo_url,
        photo_media_id=person.photo_media_id,
        path=person_path(person.slug),
    )


def review_out(session: Session, record: Review) -> ReviewOut:
    person = people_repo.get_person(session, record.person_id) if record.person_id else None
    return ReviewOut(
        id=record.id,
        article_id=record.article_id,
        article_version=record.article_version,
        outcome=record.outcome,
        reviewer=person.slug if person else None,
        actor=record.actor,
        note=record.note,
        created_at=record.created_at,
    )


def article_out(session: Session, article: Article) -> ArticleOut:
    category = _category(session, article)
    approval = people_repo.get_review(session, article.approval_id) if article.approval_id else None
    if approval is not None and approval.outcome != "approved":
        approval = None  # an admin's override is in force like one, but approves nothing
    reviewer = (
        people_repo.get_person(session, approval.person_id)
        if approval is not None and approval.person_id is not None
        else None
    )
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
        author_slugs=[p.slug for p in people_repo.article_authors(session, article.id)],
        hero_image_url=article.hero_image_url,
        hero_image_alt=article.hero_image_alt,
        hero_media_id=article.hero_media_id,
        reviewed_by=article.reviewed_by,
        last_reviewed=article.last_reviewed,
        reviewer=reviewer.slug if reviewer else None,
        approved_version=approval.article_version if approval else None,
        references=[ReferenceOut(**r) for r in article.references],
        path=article_path(category.slug, article.slug),
        created_at=article.created_at,
        updated_at=article.updated_at,
        published_at=article.published_at,
        scheduled_at=article.scheduled_at,
    )


def public_article_out(session: Session, article: Article) -> PublicArticleOut:
    category = _category(session, article)
    hero, _ = media.article_images(session, article)
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
        hero_image=public_image(hero) if hero is not None else None,
        reviewed_by=article.reviewed_by,
        last_reviewed=article.last_reviewed,
        references=[ReferenceOut(**r) for r in article.references],
        path=article_path(category.slug, article.slug),
        published_at=article.published_at,
        updated_at=article.updated_at,
    )


def article_summary(article: Article, categories: Mapping[int, Category]) -> ArticleSummary:
    category = categories[article.category_id]
    return ArticleSummary(
        id=article.id,
        version=article.version,
        status=article.status,
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        category=category.slug,
        tags=article.tags,
        authors=article.authors,
        path=article_path(category.slug, article.slug),
        updated_at=article.updated_at,
        published_at=article.published_at,
        scheduled_at=article.scheduled_at,
    )


def public_summary(article: Article, categories: Mapping[int, Category]) -> PublicArticleSummary:
    category = categories[article.category_id]
    return PublicArticleSummary(
        id=article.id,
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        category=category.slug,
        tags=article.tags,
        authors=article.authors,
        hero_image_url=article.hero_image_url,
        hero_image_alt=article.hero_image_alt,
        path=article_path(category.slug, article.slug),
        published_at=article.published_at,
        updated_at=article.updated_at,
    )


def page_of(items: list[T], *, total: int, page: int, per_page: int) -> Page[T]:
    return Page[T](
        items=items, total=total, page=page, per_page=per_page, pages=-(-total // per_page)
    )


def revision_summary(revision: Revision) -> RevisionSummary:
    return RevisionSummary(
        version=revision.version,
        title=str(revision.data.get("title", "")),
        status=str(revision.data.get("status", "")),
        created_by=revision.created_by,
        created_at=revision.created_at,
    )


def revision_out(revision: Revision) -> RevisionOut:
    return RevisionOut(**revision_summary(revision).model_dump(), data=revision.data)


def token_out(token: ApiToken, session: Session) -> TokenOut:
    person = people_repo.get_person(session, token.person_id) if token.person_id else None
    return TokenOut(
        id=token.id,
        name=token.name,
        role=token.role,
        person=person.slug if person else None,
        prefix=token.prefix,
        created_at=token.created_at,
        revoked_at=token.revoked_at,
    )
