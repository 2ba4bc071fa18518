"""Building the versioned snapshot of an article that crosses to other services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.articles import people, repository, review
from services.articles import people_repository as people_repo
from services.articles.media.service import article_images
from services.articles.models import Article
from shared.contracts import (
    ArticleEvent,
    ArticleSnapshot,
    CategoryCrumb,
    CategoryRef,
    EventKind,
    Reference,
)


def article_path(category_slug: str, slug: str) -> str:
    return f"/{category_slug}/{slug}"


def build_snapshot(session: Session, article: Article) -> ArticleSnapshot:
    category = repository.get_category(session, article.category_id)
    assert category is not None, "foreign key guarantees the category"
    chain = repository.category_chain(session, category)
    hero_media, media = article_images(session, article)
    approval = review.approval_of(session, article)
    reviewer = people.person_ref(session, approval[0]) if approval else None
    if approval is not None:
        reviewed_by, last_reviewed = approval[0].name, approval[1]
    elif people_repo.has_reviews(session, article.id):
        # Review records took over from the free-text fields, and none is in force.
        reviewed_by, last_reviewed = None, None
    else:
        reviewed_by, last_reviewed = article.reviewed_by, article.last_reviewed
    return ArticleSnapshot(
        id=article.id,
        version=article.version,
        slug=article.slug,
        former_slugs=tuple(repository.former_slugs(session, article.id)),
        category=CategoryRef(
            slug=category.slug,
            name=category.name,
            description=category.description,
            parents=tuple(
                CategoryCrumb(slug=c.slug, name=c.name, description=c.description)
                for c in chain[:-1]
            ),
            former_slugs=tuple(repository.former_category_slugs(session, category.id)),
        ),
        title=article.title,
        summary=article.summary,
        body=article.body,
        tags=tuple(article.tags),
        authors=tuple(article.authors),
        status=article.status,
        hero_image_url=article.hero_image_url,
        hero_image_alt=article.hero_image_alt,
        hero_media=hero_media,
        media=media,
        reviewed_by=reviewed_by,
        last_reviewed=last_reviewed,
        author_people=tuple(
            people.person_ref(session, p) for p in people_repo.article_authors(session, article.id)
        ),
        reviewer=reviewer,
        references=tuple(Reference.model_validate(r) for r in article.references),
        created_at=article.created_at,
        updated_at=article.updated_at,
        published_at=article.published_at,
    )


def build_event(session: Session, article: Article, kind: EventKind, now: datetime) -> ArticleEvent:
    return ArticleEvent(kind=kind, occurred_at=now, snapshot=build_snapshot(session, article))
