"""Every query about people, article authorship, review records and the views read model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from services.articles.models import (
    ApiToken,
    Article,
    ArticlePerson,
    ArticleViews,
    Category,
    Person,
    Review,
)


def get_person(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def get_person_by_slug(session: Session, slug: str) -> Person | None:
    return session.scalars(select(Person).where(Person.slug == slug)).one_or_none()


def list_people(session: Session) -> Sequence[Person]:
    return session.scalars(select(Person).order_by(Person.name, Person.id)).all()


def people_by_slug(session: Session, slugs: Iterable[str]) -> dict[str, Person]:
    wanted = set(slugs)
    if not wanted:
        return {}
    return {p.slug: p for p in session.scalars(select(Person).where(Person.slug.in_(wanted)))}


def people_by_name(session: Session, names: Iterable[str]) -> dict[str, Person]:
    """The person of each name (the oldest, if two share one)."""
    wanted = set(names)
    if not wanted:
        return {}
    found: dict[str, Person] = {}
    for p in session.scalars(select(Person).where(Person.name.in_(wanted)).order_by(Person.id)):
        found.setdefault(p.name, p)
    return found


def article_authors(session: Session, article_id: int) -> list[Person]:
    """The people who wrote an article, in its order."""
    stmt = (
        select(Person)
        .join(ArticlePerson, ArticlePerson.person_id == Person.id)
        .where(ArticlePerson.article_id == article_id)
        .order_by(ArticlePerson.position)
    )
    return list(session.scalars(stmt))


def set_article_people(session: Session, article_id: int, person_ids: Sequence[int]) -> None:
    session.execute(delete(ArticlePerson).where(ArticlePerson.article_id == article_id))
    if person_ids:
        session.execute(
            insert(ArticlePerson),
            [
                {"article_id": article_id, "position": i, "person_id": pid}
                for i, pid in enumerate(person_ids)
            ],
        )


def articles_of_person(session: Session, person_id: int) -> list[int]:
    stmt = select(ArticlePerson.article_id).where(ArticlePerson.person_id == person_id)
    return sorted(set(session.scalars(stmt)))


def set_author_names(session: Session, article_id: int, names: list[str]) -> None:
    """Refresh the names copy of an article's authors (after a person was renamed). Not an
    edit of the article: its version stays."""
    session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(authors=names)
        .execution_options(synchronize_session=False)
    )


def uses_of_person(session: Session, person_id: int) -> tuple[int, int, int]:
    """(articles naming them, review records in their name, tokens acting as them)."""
    articles = session.scalar(
        select(func.count(func.distinct(ArticlePerson.article_id))).where(
            ArticlePerson.person_id == person_id
        )
    )
    reviews = session.scalar(select(func.count()).where(Review.person_id == person_id))
    tokens = session.scalar(select(func.count()).where(ApiToken.person_id == person_id))
    return int(articles or 0), int(reviews or 0), int(tokens or 0)


def get_review(session: Session, review_id: int) -> Review | None:
    return session.get(Review, review_id)


def reviews_of(session: Session, article_id: int) -> Sequence[Review]:
    stmt = select(Review).where(Review.article_id == article_id).order_by(Review.id)
    return session.scalars(stmt).all()


def has_reviews(session: Session, article_id: int) -> bool:
    stmt = select(Review.id).where(Review.article_id == article_id).limit(1)
    return session.scalar(stmt) is not None


class ReviewRow(NamedTuple):
    id: int
    slug: str
    title: str
    category: str  # its slug
    review_interval_months: int
    legacy_reviewed: date | None  # the free-text era's date
    approved_at: datetime | None  # the approval in force (an override approves nothing)
    tracked: bool  # any review record at all: then the legacy date no longer counts
    published_at: datetime | None
    total_views: int
    recent_views: int


def published_for_review(session: Session) -> list[ReviewRow]:
    """Every published article of a category that requires review, with what review-due
    needs: narrow columns, no bodies, in one statement whose parameters do not grow with
    the site (joins and EXISTS, never a list of ids: SQLite allows 32,766 variables,
    psycopg 65,535 parameters)."""
    approval = aliased(Review)
    tracked = select(Review.id).where(Review.article_id == Article.id).exists()
    stmt = (
        select(
            Article.id,
            Article.slug,
            Article.title,
            Category.slug,
            Category.review_interval_months,
            Article.last_reviewed,
            approval.created_at,
            tracked,
            Article.published_at,
            func.coalesce(ArticleViews.total, 0),
            func.coalesce(ArticleViews.recent, 0),
        )
        .join(Category, Category.id == Article.category_id)
        .outerjoin(
            approval, (approval.id == Article.approval_id) & (approval.outcome == "approved")
        )
        .outerjoin(ArticleViews, ArticleViews.article_id == Article.id)
        .where(Article.status == "published", Category.requires_review.is_(True))
    )
    return [ReviewRow(*row) for row in session.execute(stmt)]


def upsert_views(
    session: Session, article_id: int, total: int, recent: int | None, now: datetime
) -> None:
    row = session.get(ArticleViews, article_id)
    if row is None:
        session.add(
            ArticleViews(article_id=article_id, total=total, recent=recent or 0, updated_at=now)
        )
        return
    row.total = total
    if recent is not None:
        row.recent = recent
    row.updated_at = now


def views_of(session: Session, article_id: int) -> ArticleViews | None:
    """The article's totals as the views service last reported them (None: never)."""
    return session.get(ArticleViews, article_id)


class MostRead(NamedTuple):
    id: int
    title: str
    status: str
    recent_views: int  # the last 7 days
    total_views: int


def most_read(session: Session, *, limit: int) -> list[MostRead]:
    """The articles read most in the last 7 days, by the read model (deleted ones left out)."""
    stmt = (
        select(Article.id, Article.title, Article.status, ArticleViews.recent, ArticleViews.total)
        .join(Article, Article.id == ArticleViews.article_id)
        .where(ArticleViews.recent > 0, Article.status != "deleted")
        .order_by(ArticleViews.recent.desc(), ArticleViews.total.desc(), Article.id)
        .limit(limit)
    )
    return [MostRead(*row) for row in session.execute(stmt)]
