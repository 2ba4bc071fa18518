"""Publish, schedule, unpublish, archive and delete: a confirmation page (GET) that says what
readers will see, then a POST (CSRF, the version shown) calling the API's own service
functions with the API's role rules: the editor role for all but delete, which is admins'.

A refusal by a rule (a medical approval missing, the wrong status, a stale version) is the
service's error: the session rolls back and the app answers with its status (409...), as a
page under /editor (error_pages.HtmlErrors). Odd input is a FormRefused: a 4xx page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from services.articles import repository, review, service, tokens
from services.articles.deps import ClockDep, SessionDep
from services.articles.editor import consequences, ids, lifecycle, pages, sessions, users
from services.articles.editor.deps import Admin, Writer
from services.articles.editor.lifecycle import FormRefused
from services.articles.errors import ArticleNotFound
from services.articles.models import Article, Category, User

lifecycle_router = APIRouter(prefix="/editor/articles", include_in_schema=False)
# The API's Editor: editors and admins (tokens.ROLE_GRANTS); a reviewer gets a 403 page.
FormText = Annotated[str, Form()]


def load(session: SessionDep, raw_id: str) -> tuple[Article, Category]:
    """The article a URL names, or a 404 page for any id that names none."""
    number = ids.parse_id(raw_id)
    try:
        if number is None:
            raise ArticleNotFound(raw_id)
        article = service.get(session, article_id=number)
    except ArticleNotFound:
        raise FormRefused(404, "No such article", "There is no article with this id.") from None
    category = repository.get_category(session, article.category_id)
    assert category is not None  # a foreign key: every article has its category
    return article, category


def _done(article: Article) -> Response:
    return RedirectResponse(f"/editor/articles/{article.id}", status_code=303)


def _confirm(
    signed: sessions.SignedIn,
    article: Article,
    confirmation: consequences.Confirmation,
    *,
    hidden: dict[str, str] | None = None,
    override: bool = False,
) -> Response:
    return pages.render(
        "confirm.html", user=signed.user, csrf_token=signed.csrf_token, article=article,
        confirmation=confirmation, override=override,
        hidden={"version": str(article.version), **(hidden or {})},
        action=f"/editor/articles/{article.id}/{confirmation.action}",
    )  # fmt: skip


def _review_context(session: SessionDep, article: Article, user: User) -> dict[str, bool]:
    admin = tokens.role_grants(user.role, "admin")
    return {"needs_review": review.needs_review(session, article), "admin": admin}


@lifecycle_router.get("/{article_id}/publish")
def confirm_publish(article_id: str, signed: Writer, session: SessionDep) -> Response:
    article, category = load(session, article_id)
    context = _review_context(session, article, signed.user)
    shown = consequences.publish(article, category, **context)
    return _confirm(signed, article, shown, override=context["needs_review"] and context["admin"])


@lifecycle_router.post("/{article_id}/publish")
def publish(
    article_id: str, signed: Writer, session: SessionDep, clock: ClockDep,
    version: FormText = "", override_reason: FormText = "",
) -> Response:  # fmt: skip
    article, _ = load(session, article_id)
    request = lifecycle.publish_request(
        version=lifecycle.parse_version(version), override_reason=override_reason
    )
    service.publish(
        session, article_id=article.id, expected_version=request.version,
        actor=users.actor_of(signed.user), now=clock(), role=signed.user.role,
        override_reason=request.override_reason,
    )  # fmt: skip
    return _done(article)


@lifecycle_router.get("/{article_id}/schedule")
def confirm_schedule(
    article_id: str, signed: Writer, session: SessionDep, clock: ClockDep,
    at: str | None = None, tz: str = "",
) -> Response:  # fmt: skip
    """Without ``at``: the form to pick a time. With it: the confirmation, or the form
    again (422) saying what is wrong with the time or the zone."""
    article, category = load(session, article_id)
    form: dict[str, Any] = {"user": signed.user, "csrf_token": signed.csrf_token}
    if at is None:
        return pages.render("schedule.html", **form, article=article, at="", error="")
    try:
        when = lifecycle.parse_local_time(at, tz)
    except FormRefused as exc:
        return pages.render(
            "schedule.html", exc.status, **form, article=article, at=at[:40], error=str(exc)
        )
    context = _review_context(session, article, signed.user)
    shown = consequences.schedule(article, category, when, past=when.utc <= clock(), **context)
    hidden = {"at": at.strip(), "tz": when.zone}
    return _confirm(
        signed, article, shown, hidden=hidden, override=context["needs_review"] and context["admin"]
    )


@lifecycle_router.post("/{article_id}/schedule")
def schedule(
    article_id: str, signed: Writer, session: SessionDep, clock: ClockDep,
    version: FormText = "", at: FormText = "", tz: FormText = "", override_reason: FormText = "",
) -> Response:  # fmt: skip
    article, _ = load(session, article_id)
    when = lifecycle.parse_local_time(at, tz)
    request = lifecycle.publish_request(
        version=lifecycle.parse_version(version), at=when.utc, override_reason=override_reason
    )
    assert request.at is not None
    service.schedule(
        session, article_id=article.id, expected_version=request.version, at=request.at,
        actor=users.actor_of(signed.user), now=clock(), role=signed.user.role,
        override_reason=request.override_reason,
    )  # fmt: skip
    return _done(article)


@lifecycle_router.get("/{article_id}/unpublish")
def confirm_unpublish(article_id: str, signed: Writer, session: SessionDep) -> Response:
    article, category = load(session, article_id)
    return _confirm(signed, article, consequences.unpublish(article, category))


@lifecycle_router.post("/{article_id}/unpublish")
def unpublish(
    article_id: str, signed: Writer, session: SessionDep, clock: ClockDep,
    version: FormText = "",
) -> Response:  # fmt: skip
    article, _ = load(session, article_id)
    service.unpublish(
        session, article_id=article.id, expected_version=lifecycle.parse_version(version),
        actor=users.actor_of(signed.user), now=clock(),
    )  # fmt: skip
    return _done(article)


@lifecycle_router.get("/{article_id}/archive")
def confirm_archive(article_id: str, signed: Writer, session: SessionDep) -> Response:
    article, category = load(session, article_id)
    return _confirm(signed, article, consequences.archive(article, category))


@lifecycle_router.post("/{article_id}/archive")
def archive(
    article_id: str, signed: Writer, session: SessionDep, clock: ClockDep,
    version: FormText = "",
) -> Response:  # fmt: skip
    article, _ = load(session, article_id)
    service.archive(
        session, article_id=article.id, expected_version=lifecycle.parse_version(version),
        actor=users.actor_of(signed.user), now=clock(),
    )  # fmt: skip
    return _done(article)


@lifecycle_router.get("/{article_id}/delete")
def confirm_delete(article_id: str, signed: Admin, session: SessionDep) -> Response:
    article, category = load(session, article_id)
    return _confirm(signed, article, consequences.delete(article, category))


@lifecycle_router.post("/{article_id}/delete")
def delete(
    article_id: str, signed: Admin, session: SessionDep, clock: ClockDep, version: FormText = ""
) -> Response:
    article, _ = load(session, article_id)
    service.delete(
        session, article_id=article.id, expected_version=lifecycle.parse_version(version),
        actor=users.actor_of(signed.user), now=clock(),
    )  # fmt: skip
    return RedirectResponse("/editor/", status_code=303)
