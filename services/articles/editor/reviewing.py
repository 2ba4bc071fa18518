"""The medical review from the editor's screens, through the API's own functions.

Submitting, approving and asking for changes go through workflow.submit and
workflow.record_review, with the form checked by the API's own request model
(people_schemas.ReviewRequest): the same rules, the same errors. What is the editor's own
here: reading a form's strings into numbers without a 500 for any input, finding the person
a signed-in user reviews as (an API token has its ``person_id``, a user has theirs), and
turning each refusal into a status and a sentence a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from services.articles import listing, service, workflow
from services.articles import people_repository as people_repo
from services.articles.editor import users
from services.articles.editor.ids import parse_id
from services.articles.errors import (
    ArticleNotFound,
    ArticlesError,
    InvalidTransition,
    NoteRequired,
    ReviewerIsAuthor,
    StaleVersion,
)
from services.articles.models import Article, Person, User
from services.articles.people_schemas import Approval, ChangesRequested, ReviewRequest
from services.articles.schemas import ArticleQuery

QUEUE_SIZE = 100
_REVIEW_REQUEST: TypeAdapter[Approval | ChangesRequested] = TypeAdapter(ReviewRequest)


class NotAReviewer(ArticlesError):
    """A reviewer's account not linked to a person: a review is recorded in a person's name."""

    def __init__(self) -> None:
        super().__init__(
            "Your account is not linked to a person, so a review cannot be recorded in "
            "anyone's name. Ask an admin to link your account to your person record."
        )


class BadForm(ArticlesError):
    """A form field that is missing or not what the form sends."""


@dataclass(frozen=True)
class Refusal:
    status: int
    title: str
    message: str


def find_article(session: Session, raw_id: str) -> Article | None:
    """The article a path names, or None (no such id, deleted, or not an id at all)."""
    article_id = parse_id(raw_id)
    if article_id is None:
        return None
    try:
        return service.get(session, article_id=article_id)
    except ArticleNotFound:
        return None


def queue(session: Session) -> tuple[list[Article], int]:
    """Articles waiting for a reviewer (status in_review), longest waiting first, by the
    API's own listing."""
    query = ArticleQuery.model_validate(
        {"status": "in_review", "per_page": QUEUE_SIZE, "sort": "updated_at"}
    )
    return listing.find_articles(session, query=query, public=False)


def person_of(session: Session, user: User) -> Person:
    person = people_repo.get_person(session, user.person_id) if user.person_id else None
    if person is None:
        raise NotAReviewer()
    return person


def submit(session: Session, *, article_id: int, version: str, user: User, now: datetime) -> None:
    """The writer hands the article to the reviewers: POST /api/v1/articles/{id}/submit."""
    expected = parse_id(version)
    if expected is None:
        raise BadForm("The form did not say which version you submit; reload the page.")
    workflow.submit(
        session,
        article_id=article_id,
        expected_version=expected,
        actor=users.actor_of(user),
        now=now,
    )


def decide(
    session: Session,
    *,
    article_id: int,
    outcome: str,
    note: str,
    version: str,
    user: User,
    now: datetime,
) -> None:
    """A reviewer's verdict on the version they read: POST /api/v1/articles/{id}/reviews."""
    expected = parse_id(version)
    if expected is None:
        raise BadForm("The form did not say which version you reviewed; reload the page.")
    try:
        request = _REVIEW_REQUEST.validate_python(
            {"outcome": outcome, "note": note, "version": expected}
        )
    except ValidationError as exc:
        blank = ("missing", "too_short", "string_too_short", "string_pattern_mismatch")
        if any(e["loc"][-1:] == ("note",) and e["type"] in blank for e in exc.errors()):
            raise NoteRequired() from None
        raise BadForm("The review form was not filled in as it should be (note at most "
                      "4,000 characters, no control characters).") from None  # fmt: skip
    workflow.record_review(
        session,
        article_id=article_id,
        expected_version=expected,
        outcome=request.outcome,
        note=request.note,
        person=person_of(session, user),
        actor=users.actor_of(user),
        now=now,
    )


def refusal(exc: ArticlesError) -> Refusal:
    """What the person is told, and the status, for each refusal of the rules."""
    if isinstance(exc, ArticleNotFound):
        return Refusal(404, "No such article", "There is no article with this id.")
    if isinstance(exc, StaleVersion):
        return Refusal(409, "The article changed", str(exc))
    if isinstance(exc, ReviewerIsAuthor):
        return Refusal(409, "You cannot review your own article", str(exc))
    if isinstance(exc, InvalidTransition):
        return Refusal(409, "Not possible now", str(exc))
    if isinstance(exc, NotAReviewer):
        return Refusal(403, "Not linked to a person", str(exc))
    if isinstance(exc, NoteRequired):
        return Refusal(422, "A note is needed", "Asking for changes needs a note telling "
                       "the writer what to change.")  # fmt: skip
    return Refusal(422, "Request refused", str(exc))
