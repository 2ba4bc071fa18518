"""Review actions on an article as whole changes: check the version, apply the rule
(review.py), bump the version, store a revision and, for a live article, record the event.

Kept out of service.py (which holds the editing actions) so each module has one job; the
transaction helpers are service.py's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from services.articles import people_repository as people_repo
from services.articles import review, service
from services.articles.errors import ReviewerUnlinked
from services.articles.models import ApiToken, Article, Person, Review


def submit(
    session: Session, *, article_id: int, expected_version: int | None, actor: str, now: datetime
) -> Article:
    """An editor hands a draft to the medical reviewers. Readers see nothing."""
    article = service.get(session, article_id=article_id)
    if expected_version is not None:
        service._check_version(article, expected_version)
    review.submit(article)
    service._bump(article, now)
    service._store_revision(session, article, actor=actor, now=now)
    return article


def reviewer_of(session: Session, token: ApiToken) -> Person:
    """The person a token reviews as."""
    person = people_repo.get_person(session, token.person_id) if token.person_id else None
    if person is None:
        raise ReviewerUnlinked(token.name)
    return person


def record_review(
    session: Session,
    *,
    article_id: int,
    expected_version: int | None,
    outcome: str,
    note: str,
    person: Person,
    actor: str,
    now: datetime,
) -> tuple[Article, Review]:
    """A reviewer's verdict on the version they read. On a live article an approval (or its
    end) changes the page's review line, so it is an update readers get."""
    article = service.get(session, article_id=article_id)
    if expected_version is not None:
        service._check_version(article, expected_version)
    record = review.review(
        session, article, outcome=outcome, note=note, person=person, actor=actor, now=now
    )
    service._bump(article, now)
    service._store_revision(session, article, actor=actor, now=now)
    if article.status == "published":
        service._emit(session, article, "updated", now)
    return article, record


def reviews(session: Session, *, article_id: int) -> Sequence[Review]:
    service.get(session, article_id=article_id)
    return people_repo.reviews_of(session, article_id)
