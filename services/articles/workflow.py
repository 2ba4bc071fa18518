"""Review actions on an article as whole changes: check the version, apply the rule
(review.py), bump the version, store a revision and, for a live article, record the event.

Kept out of service.py (which holds the editing actions) so each module has one job; the
transaction helpers are service.py's own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from services.articles import people_repository as people_repo
from services.articles import repository, review, service
from services.articles.errors import ReviewerUnlinked
from services.articles.models import ApiToken, Article, Person, Review

log = logging.getLogger("healthhub.articles.workflow")


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


def unschedule_unreviewed(
    session: Session, article: Article, *, reason: str, actor: str, now: datetime
) -> bool:
    """review.unschedule_unreviewed as a whole change: a new version and its revision."""
    if not review.unschedule_unreviewed(session, article, reason=reason, actor=actor, now=now):
        return False
    service._bump(article, now)
    service._store_revision(session, article, actor=actor, now=now)
    log.warning("article %s taken off the schedule: %s", article.id, reason)
    return True


def publish_due(
    session: Session, *, now: datetime, limit: int = 100
) -> tuple[list[Article], list[Article]]:
    """Publish every scheduled article whose time has come (run by the scheduler's task);
    returns those published and those sent back to draft.

    The review rule is checked again here, for each article, rather than trusted from the
    time it was scheduled: whatever changed since (its category, its content) is decided by
    what is in force now. One that fails goes back to draft on record and sends nothing.

    The due rows are locked (see repository.due_scheduled_ids), so two schedulers running by
    mistake never publish the same article twice; publish() being a no-op on a published
    article is a second line of defence.
    """
    published: list[Article] = []
    held: list[Article] = []
    for article_id in repository.due_scheduled_ids(session, now=now, limit=limit):
        article = service.get(session, article_id=article_id)
        reason = "its category requires a medical approval and none is in force."
        if unschedule_unreviewed(session, article, reason=reason, actor="scheduler", now=now):
            held.append(article)
            continue
        published.append(
            service.publish(
                session,
                article_id=article_id,
                expected_version=None,
                actor="scheduler",
                now=now,
                published_at=article.scheduled_at,
                review_checked=True,
            )
        )
    return published, held
