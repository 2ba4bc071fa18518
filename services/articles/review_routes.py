"""The medical review workflow over HTTP: submit, review, the record, what is due."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from fastapi.openapi.models import Example

from services.articles import caching, presenters, review_due, workflow
from services.articles.deps import ClockDep, Editor, Reviewer, SessionDep, Staff
from services.articles.errors import VersionRequired
from services.articles.openapi import EDITOR, problems
from services.articles.people_schemas import ReviewDueItem, ReviewOut, ReviewRequest
from services.articles.routes import ArticleId, IfMatch, version_from
from services.articles.schemas import ArticleOut, VersionRequest

review_router = APIRouter(prefix="/api/v1", tags=["medical review"])


@review_router.post(
    "/articles/{article_id}/submit",
    response_model=ArticleOut,
    summary="Submit an article for medical review",
    responses=problems(*EDITOR, 404, 409),
)
def submit_article(
    article_id: ArticleId,
    response: Response,
    session: SessionDep,
    token: Editor,
    clock: ClockDep,
    data: VersionRequest | None = None,
    if_match: IfMatch = None,
) -> ArticleOut:
    """draft, unpublished or archived → in_review (an article taken off the site whose
    approval an edit withdrew goes back through review). Anything else answers 409."""
    expected = version_from(if_match, data.version if data else None)
    article = workflow.submit(
        session, article_id=article_id, expected_version=expected, actor=token.name, now=clock()
    )
    response.headers["ETag"] = caching.version_etag(article.version)
    return presenters.article_out(session, article)


REVIEW_EXAMPLES: dict[str, Example] = {
    "approve": {
        "summary": "Approve the version you read",
        "value": {"outcome": "approved", "version": 4},
    },
    "changes": {
        "summary": "Ask for changes (a note is required)",
        "value": {
            "outcome": "changes_requested",
            "note": "Cite the 2024 NICE guideline.",
            "version": 4,
        },
    },
}


@review_router.post(
    "/articles/{article_id}/reviews",
    status_code=201,
    response_model=ReviewOut,
    summary="Review an article (reviewer)",
    responses=problems(*EDITOR, 404, 409, 428),
)
def review_article(
    article_id: ArticleId,
    data: Annotated[ReviewRequest, Body(openapi_examples=REVIEW_EXAMPLES)],
    response: Response,
    session: SessionDep,
    token: Reviewer,
    clock: ClockDep,
    if_match: IfMatch = None,
) -> ReviewOut:
    """Approve the version you read, or ask for changes with a `note` (422 without one).
    An article in review becomes `approved` or goes back to `draft`; on a published article
    an approval renews its review date. The version is required (428): an approval is for
    the text you read. A token not linked to a person cannot review (403); nor can one of
    the article's authors (409)."""
    expected = version_from(if_match, data.version)
    if expected is None:
        raise VersionRequired()
    person = workflow.reviewer_of(session, token)
    article, record = workflow.record_review(
        session,
        article_id=article_id,
        expected_version=expected,
        outcome=data.outcome,
        note=data.note,
        person=person,
        actor=token.name,
        now=clock(),
    )
    response.headers["ETag"] = caching.version_etag(article.version)
    return presenters.review_out(session, record)


@review_router.get(
    "/articles/{article_id}/reviews",
    response_model=list[ReviewOut],
    summary="The article's review record",
    responses=problems(*EDITOR, 404),
)
def list_reviews(article_id: ArticleId, session: SessionDep, _: Staff) -> list[ReviewOut]:
    """Every review act, oldest first: approvals, requests for changes, approvals withdrawn
    by an edit, typo-only edits that kept one, and admins' overrides with their reason."""
    records = workflow.reviews(session, article_id=article_id)
    return [presenters.review_out(session, r) for r in records]


@review_router.get(
    "/review-due",
    response_model=list[ReviewDueItem],
    summary="Articles due for medical review",
    responses=problems(*EDITOR),
)
def list_review_due(
    session: SessionDep,
    _: Staff,
    clock: ClockDep,
    within_days: Annotated[
        int, Query(ge=0, le=3650, description="Also list articles due within this many days.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReviewDueItem]:
    """Published articles, in categories that require review, whose last review is older
    than their category's interval (never reviewed: due since published), or due within
    `within_days`; most overdue first, then the most read (last 7 days)."""
    items = review_due.due_articles(session, today=clock().date(), within_days=within_days)
    return [ReviewDueItem(**vars(d)) for d in items[:limit]]
