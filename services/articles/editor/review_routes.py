"""The medical review in the editor: the reviewers' queue, the review screen (approve, ask for
changes), the writer's submit button, and the review-due list.

Thin: each route parses, calls reviewing.py (which calls the API's workflow functions) and
renders. A refusal of the rules is the review screen again with the reason on top and a 4xx
status, so the reviewer sees why and keeps what they typed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from services.articles import people_repository as people_repo
from services.articles import repository, review, review_due, service
from services.articles.deps import ClockDep, SessionDep
from services.articles.editor import pages, reviewing, sessions
from services.articles.editor.deps import Reviewer, Staff, Writer
from services.articles.errors import ArticlesError
from services.articles.models import Article

review_screens = APIRouter(prefix="/editor", include_in_schema=False)
FormText = Annotated[str, Form()]
DUE_LIMIT = 200
MAX_WITHIN_DAYS = 3650


def _common(signed: sessions.SignedIn) -> dict[str, Any]:
    return {"user": signed.user, "csrf_token": signed.csrf_token}


def _no_article(signed: sessions.SignedIn) -> Response:
    return pages.error_page(404, "No such article", "There is no article with this id.",
                            **_common(signed))  # fmt: skip


def _screen(
    session: Session, signed: sessions.SignedIn, article: Article, status: int = 200,
    error: str = "", error_title: str = "", note: str = "",
) -> Response:  # fmt: skip
    category = repository.get_category(session, article.category_id)
    assert category is not None  # a foreign key: every article has its category
    return pages.render(
        "review.html", status, **_common(signed), article=article, category=category,
        records=people_repo.reviews_of(session, article.id), error=error,
        error_title=error_title, note=note, reviewable=article.status in review.REVIEWABLE,
    )  # fmt: skip


@review_screens.get("/review")
def review_queue(signed: Reviewer, session: SessionDep) -> Response:
    rows, total = reviewing.queue(session)
    categories = repository.categories_by_id(session)
    return pages.render(
        "review_queue.html", **_common(signed), total=total,
        rows=[(a, categories[a.category_id].name) for a in rows],
    )  # fmt: skip


@review_screens.get("/review/{article_id}")
def review_screen(signed: Staff, session: SessionDep, article_id: str) -> Response:
    """The article as the reviewer reads it, and its review record. Anyone on the staff may
    read it (a writer reads the reviewer's notes here); only a reviewer gets the forms."""
    article = reviewing.find_article(session, article_id)
    if article is None:
        return _no_article(signed)
    return _screen(session, signed, article)


@review_screens.post("/review/{article_id}")
def review_decision(
    signed: Reviewer, session: SessionDep, clock: ClockDep, article_id: str,
    outcome: FormText = "", note: FormText = "", version: FormText = "",
) -> Response:  # fmt: skip
    article = reviewing.find_article(session, article_id)
    if article is None:
        return _no_article(signed)
    try:
        reviewing.decide(
            session, article_id=article.id, outcome=outcome, note=note, version=version,
            user=signed.user, now=clock(),
        )  # fmt: skip
    except ArticlesError as exc:
        session.rollback()  # nothing was written (the rules refuse first); made certain
        refused = reviewing.refusal(exc)
        article = service.get(session, article_id=article.id)
        return _screen(session, signed, article, refused.status, refused.message,
                       refused.title, note)  # fmt: skip
    return RedirectResponse("/editor/review", status_code=303)


@review_screens.post("/articles/{article_id}/submit")
def submit_for_review(
    signed: Writer, session: SessionDep, clock: ClockDep, article_id: str, version: FormText = ""
) -> Response:
    """The writer's button on the article page: POST /api/v1/articles/{id}/submit."""
    article = reviewing.find_article(session, article_id)
    if article is None:
        return _no_article(signed)
    try:
        reviewing.submit(
            session, article_id=article.id, version=version, user=signed.user, now=clock()
        )
    except ArticlesError as exc:
        session.rollback()
        refused = reviewing.refusal(exc)
        return pages.error_page(refused.status, refused.title, refused.message,
                                **_common(signed))  # fmt: skip
    return RedirectResponse(f"/editor/articles/{article.id}", status_code=303)


@review_screens.get("/review-due")
def review_due_list(
    signed: Staff, session: SessionDep, clock: ClockDep, within_days: str = "0"
) -> Response:
    """GET /api/v1/review-due as a page: most overdue first, then the most read."""
    digits = 0 < len(within_days) <= 4 and within_days.isascii() and within_days.isdigit()
    within = int(within_days) if digits else (0 if within_days == "" else None)
    if within is None or within > MAX_WITHIN_DAYS:
        return pages.error_page(
            422, "Not a number of days",
            f"'Also due within' takes a whole number of days from 0 to {MAX_WITHIN_DAYS}.",
            **_common(signed),
        )  # fmt: skip
    today = clock().date()
    items = review_due.due_articles(session, today=today, within_days=within)
    return pages.render(
        "review_due.html", **_common(signed), items=items[:DUE_LIMIT], total=len(items),
        within_days=within, today=today,
    )  # fmt: skip
