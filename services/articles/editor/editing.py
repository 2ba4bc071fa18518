"""Saving and previewing the edit form, through the API's own service functions.

Every call runs in a SAVEPOINT. When the service refuses the change part-way (a slug taken
after the title was already set on the row), the savepoint's rollback undoes the part that
was applied, so the request's commit (deps.get_session) cannot store half an edit; what the
request did before (the session's "last seen" touch) is kept. A preview runs the very same
create or update in a savepoint that is always rolled back: the snapshot sent to the render
worker is the one the service would build, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TypeVar

import redis
from celery import Celery
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.articles import errors, outbox, presenters, preview, service
from services.articles.editor import forms, preview_styles, users
from services.articles.editor.forms import Draft, FormErrors
from services.articles.models import Article, User
from services.articles.schemas import ArticleOut
from services.articles.settings import ArticlesSettings
from services.articles.snapshots import build_snapshot
from shared.contracts import ArticleSnapshot

T = TypeVar("T")
# Which input a refusal of the service is about; any other refusal is shown above the form
# (UnknownMedia too: the image it names may be the hero or one in the body).
FIELD_OF: dict[type[Exception], str] = {
    errors.CategoryNotFound: "category",
    errors.SlugTaken: "slug",
    errors.BodyTooLarge: "body",
    errors.UnknownCitation: "body",
    errors.FootnoteDefinitionInBody: "body",
    errors.PersonNotFound: "author_slugs",
    errors.LegacyReviewField: "reviewed_by",
    errors.NotATypo: "typo_only",
}
# Errors that are not about the form: the routes answer them (404 page, conflict view).
PASSED_ON = (errors.ArticleNotFound, errors.StaleVersion)
SAME_MOMENT = "Someone else saved this article at the same moment; save again."


def _refused(exc: Exception) -> FormErrors:
    for kind, name in FIELD_OF.items():
        if isinstance(exc, kind):
            return FormErrors({name: [str(exc)]})
    return FormErrors({"form": [str(exc)]})


def _guarded(session: Session, work: Callable[[], T]) -> T:
    """``work`` in a savepoint; the service's refusals become form errors."""
    try:
        with session.begin_nested():
            return work()
    except PASSED_ON:
        raise
    except errors.ArticlesError as exc:
        raise _refused(exc) from exc
    except (IntegrityError, StaleDataError) as exc:
        raise FormErrors({"form": [SAME_MOMENT]}) from exc


def saved_form(session: Session, article: Article) -> tuple[ArticleOut, Draft]:
    """The article as the API shows it, and as the form shows it."""
    out = presenters.article_out(session, article)
    return out, forms.from_article(out)


def create(
    session: Session, *, draft: Draft, user: User, now: datetime, max_body_bytes: int
) -> Article:
    data = forms.for_create(draft)
    return _guarded(
        session,
        lambda: service.create(
            session, data=data, actor=users.actor_of(user), now=now, max_body_bytes=max_body_bytes
        ),
    )


def update(
    session: Session,
    *,
    article_id: int,
    draft: Draft,
    version: int,
    typo_only: bool,
    theirs: list[str],
    user: User,
    now: datetime,
    max_body_bytes: int,
) -> Article:
    """Save the form over the article at ``version`` (StaleVersion when it moved on).

    ``theirs``: after a conflict, the fields the user chose to take from the saved article;
    taken only while the article is still at the version the merge was shown at."""
    current = service.get(session, article_id=article_id)
    _, saved = saved_form(session, current)
    if current.version == version:
        draft = forms.take_theirs(draft, saved, theirs)
    data = forms.for_update(draft, saved, version=version, typo_only=typo_only)
    actor = users.actor_of(user)

    def save() -> Article:
        return service.update(
            session, article_id=article_id, data=data, expected_version=version,
            actor=actor, now=now, max_body_bytes=max_body_bytes,
        )  # fmt: skip

    return _guarded(session, save)


@dataclass(frozen=True)
class Conflict:
    """Someone saved since the form was loaded: their article, and where the forms differ.

    ``choices`` preselects, per differing field, the side that most likely holds the change:
    "theirs" when the user's value is still the one the form was loaded with (only they
    changed it), otherwise "yours". Found by comparing with the revision the form was loaded
    at (revisions hold the whole article at every version)."""

    article: ArticleOut
    saved: Draft
    fields: list[str]
    choices: dict[str, str]


def conflict(session: Session, *, article_id: int, draft: Draft, base_version: int) -> Conflict:
    article, saved = saved_form(session, service.get(session, article_id=article_id))
    names = forms.changed(draft, saved)
    try:
        revision = service.get_revision(session, article_id=article_id, version=base_version)
        untouched = set(names) - set(forms.changed(draft, forms.from_revision(revision.data)))
    except errors.RevisionNotFound:
        untouched = set()
    choices = {name: "theirs" if name in untouched else "yours" for name in names}
    return Conflict(article=article, saved=saved, fields=names, choices=choices)


# --- previews ------------------------------------------------------------------------------


def preview_snapshot(
    session: Session,
    *,
    article_id: int | None,
    draft: Draft,
    user: User,
    now: datetime,
    max_body_bytes: int,
) -> ArticleSnapshot:
    """The snapshot the service would build if the form were saved now; nothing is stored.

    Then the request's transaction ends: on SQLite it holds the write lock (BEGIN IMMEDIATE),
    and the wait for a render worker that follows must not hold every writer behind it."""
    nested = session.begin_nested()
    try:
        if article_id is None:
            article = service.create(
                session, data=forms.for_create(draft), actor=users.actor_of(user), now=now,
                max_body_bytes=max_body_bytes,
            )  # fmt: skip
        else:
            current = service.get(session, article_id=article_id)
            _, saved = saved_form(session, current)
            data = forms.for_update(draft, saved, version=current.version, typo_only=False)
            article = service.update(
                session, article_id=article_id, data=data, expected_version=current.version,
                actor=users.actor_of(user), now=now, max_body_bytes=max_body_bytes,
            )  # fmt: skip
        return build_snapshot(session, article)
    except errors.ArticleNotFound:
        raise
    except errors.ArticlesError as exc:
        raise _refused(exc) from exc
    except (IntegrityError, StaleDataError) as exc:
        raise FormErrors({"form": [SAME_MOMENT]}) from exc
    finally:
        if nested.is_active:
            nested.rollback()
        outbox.take_pending(session)  # events of the rolled-back change: never sent
        session.commit()


def render(settings: ArticlesSettings, celery_app: Celery, snapshot: ArticleSnapshot) -> str:
    """The page's HTML from a render worker (PreviewUnavailable when none answers)."""
    timeout = preview.PREVIEW_TIMEOUT_SECONDS
    try:
        with redis.Redis.from_url(settings.broker_url, socket_timeout=timeout + 5) as client:
            html = preview.request_preview(celery_app, client, snapshot, timeout=timeout)
            return preview_styles.link_styles(client, html)
    except redis.RedisError as exc:
        raise preview.PreviewUnavailable(str(exc)) from exc


@cache
def _stylesheet_client(url: str) -> redis.Redis:
    """One client (and connection pool) per process: the stylesheet route needs no sign-in,
    so it must not open a connection to the broker's Redis per request."""
    return redis.Redis.from_url(url, socket_timeout=5, max_connections=8)


def preview_stylesheet(settings: ArticlesSettings, name: str) -> bytes | None:
    """A stylesheet link_styles kept (None when unknown, or when Redis does not answer)."""
    try:
        return preview_styles.stylesheet(_stylesheet_client(settings.broker_url), name)
    except redis.RedisError:
        return None
