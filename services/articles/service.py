"""The editorial rules, as plain functions: no FastAPI, no Celery, no commit().

The caller owns the transaction. Every change a reader can see records an outbox event in
the same transaction, so the event exists if and only if the change does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slugify import slugify
from sqlalchemy.orm import Session

from services.articles import outbox, people, repository, restoring, review
from services.articles import people_repository as people_repo
from services.articles.citations import check_article_citations, stored_reference
from services.articles.errors import (
    ArticleNotFound,
    BodyTooLarge,
    CategoryNotFound,
    InvalidTransition,
    RevisionNotFound,
    SlugTaken,
    StaleVersion,
)
from services.articles.media import service as media
from services.articles.models import Article, Category, Revision, SlugRedirect
from services.articles.schemas import ArticleCreate, ArticleFields, ArticleUpdate
from services.articles.snapshots import build_event
from shared.contracts import EventKind

MAX_SLUG_LENGTH = 120
# What a revision stores: the article's whole editable state, so any one can be restored.
REVISION_FIELDS = (
    "title",
    "slug",
    "summary",
    "body",
    "tags",
    "authors",
    "hero_image_url",
    "hero_image_alt",
    "hero_media_id",
    "reviewed_by",
    "last_reviewed",
    "references",
    "status",
)
# Fields the review workflow sets, never copied to or from the article's columns directly.
NOT_COLUMNS = ("author_slugs",)


def make_slug(title: str) -> str:
    """A URL slug from any title: transliterated to ASCII, lower case, hyphens."""
    slug = slugify(title, max_length=MAX_SLUG_LENGTH, word_boundary=True)
    return slug or "article"


def _unique_slug(session: Session, base: str, *, article_id: int | None = None) -> str:
    slug, n = base, 2
    while repository.slug_in_use(session, slug, except_article=article_id):
        suffix = f"-{n}"
        slug = base[: MAX_SLUG_LENGTH - len(suffix)] + suffix
        n += 1
    return slug


def _check_body(body: str | None, limit: int) -> None:
    if body is not None:
        size = len(body.encode())
        if size > limit:
            raise BodyTooLarge(size, limit)


def _category(session: Session, slug: str) -> Category:
    category = repository.get_category_by_slug(session, slug)
    if category is None:
        raise CategoryNotFound(slug)
    return category


def _apply_fields(article: Article, fields: ArticleFields) -> None:
    data = fields.model_dump(exclude_unset=True, mode="json")
    for name in ArticleFields.model_fields:
        if name not in data or name in NOT_COLUMNS:
            continue
        value: Any = getattr(fields, name)
        if name == "references":
            value = [stored_reference(r) for r in value or []]
        elif name == "hero_image_url":
            value = None  # retired: the schema takes only null, which drops an old one
        elif name in ("tags", "authors"):
            value = _dedupe(value or [])
        elif name in ("summary", "body") and value is None:
            value = ""
        setattr(article, name, value)
    if article.hero_media_id is not None:
        article.hero_image_url = None  # a library hero replaces an old external one


def _media_changed(fields: ArticleFields) -> bool:
    return bool({"body", "hero_media_id"} & fields.model_fields_set)


def _sync_lists(session: Session, article: Article) -> None:
    """Copy the tag and author lists into their rows (filters use the rows)."""
    repository.set_article_tags(session, article.id, article.tags)
    repository.set_article_authors(session, article.id, article.authors)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _revision_data(session: Session, article: Article, category_slug: str) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(article, name) for name in REVISION_FIELDS}
    authors = people_repo.article_authors(session, article.id)
    data["author_slugs"] = [p.slug for p in authors]
    data["last_reviewed"] = article.last_reviewed.isoformat() if article.last_reviewed else None
    data["category"] = category_slug
    data.update(restoring.revision_ids(article.category_id, [p.id for p in authors]))
    return data


def _store_revision(session: Session, article: Article, *, actor: str, now: datetime) -> None:
    category = repository.get_category(session, article.category_id)
    assert category is not None
    session.add(
        Revision(
            article_id=article.id,
            version=article.version,
            data=_revision_data(session, article, category.slug),
            created_by=actor,
            created_at=now,
        )
    )


def _emit(session: Session, article: Article, kind: EventKind, now: datetime) -> None:
    outbox.record(session, build_event(session, article, kind, now))


def get(session: Session, *, article_id: int) -> Article:
    """An article editors can see; a deleted one is gone for them too."""
    article = repository.get_article(session, article_id)
    if article is None or article.status == "deleted":
        raise ArticleNotFound(article_id)
    return article


def get_published_by_slug(session: Session, *, slug: str) -> Article:
    article = repository.get_article_by_slug(session, slug)
    if article is None or article.status != "published":
        raise ArticleNotFound(slug)
    return article


def create(
    session: Session, *, data: ArticleCreate, actor: str, now: datetime, max_body_bytes: int
) -> Article:
    _check_body(data.body, max_body_bytes)
    category = _category(session, data.category)
    review.check_legacy_fields(category, review.given(data))
    if data.slug is not None:
        if repository.slug_in_use(session, data.slug):
            raise SlugTaken(data.slug)
        slug = data.slug
    else:
        slug = _unique_slug(session, make_slug(data.title))
    article = Article(
        title=data.title,
        slug=slug,
        category_id=category.id,
        status="draft",
        version=1,
        summary="",
        body="",
        tags=[],
        authors=[],
        references=[],
        created_at=now,
        updated_at=now,
    )
    _apply_fields(article, data)
    check_article_citations(article)
    media.check_article_media(session, hero_media_id=article.hero_media_id, body=article.body)
    session.add(article)
    session.flush()
    people.link_authors(session, article, data, now=now)
    _sync_lists(session, article)
    media.sync_article_media(session, article)
    _store_revision(session, article, actor=actor, now=now)
    return article


def _check_version(article: Article, expected: int) -> None:
    if article.version != expected:
        raise StaleVersion(expected, article.version)


def _bump(article: Article, now: datetime) -> None:
    article.version += 1
    article.updated_at = now


def update(
    session: Session,
    *,
    article_id: int,
    data: ArticleUpdate,
    expected_version: int,
    actor: str,
    now: datetime,
    max_body_bytes: int,
) -> Article:
    article = get(session, article_id=article_id)
    _check_version(article, expected_version)
    _check_body(data.body, max_body_bytes)
    if data.title is not None:
        article.title = data.title
    if data.category is not None:
        article.category_id = _category(session, data.category).id
    if data.slug is not None and data.slug != article.slug:
        _change_slug(session, article, data.slug, now)
    review.check_legacy_fields(review.category_of(session, article), review.given(data))
    before = review.content_of(article)
    _apply_fields(article, data)
    if data.body is not None or data.references is not None:
        check_article_citations(article)
    if people.link_authors(session, article, data, now=now) or data.tags is not None:
        _sync_lists(session, article)
    if _media_changed(data):
        media.check_article_media(session, hero_media_id=article.hero_media_id, body=article.body)
        media.sync_article_media(session, article)
    review.after_edit(session, article, before, typo_only=data.typo_only, actor=actor, now=now)
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    if article.status == "published":
        _emit(session, article, "updated", now)
    return article


def refresh_published(session: Session, article: Article, *, actor: str, now: datetime) -> None:
    """Send a new version of a published article whose page changed without an edit of its
    own (its category was edited; see categories.py). A revision records it."""
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    _emit(session, article, "updated", now)


def _change_slug(session: Session, article: Article, new_slug: str, now: datetime) -> None:
    if repository.slug_in_use(session, new_slug, except_article=article.id):
        raise SlugTaken(new_slug)
    # Going back to a former slug: it stops being a redirect and is the page again.
    repository.drop_redirect(session, new_slug)
    if article.published_at is not None:
        # Only a slug readers may have seen needs a redirect.
        session.add(SlugRedirect(slug=article.slug, article_id=article.id, created_at=now))
    article.slug = new_slug


def publish(
    session: Session,
    *,
    article_id: int,
    expected_version: int | None,
    actor: str,
    now: datetime,
    published_at: datetime | None = None,
    role: str = "editor",
    override_reason: str | None = None,
    review_checked: bool = False,
) -> Article:
    """Publish now. ``published_at`` backdates the first publication (imports, sample data).

    This is the one path to "published": the scheduler calls it too, so a scheduled article
    goes live with exactly the events of a manual publish. The medical review rule is
    checked here (review.check_publish); the scheduler passes ``review_checked``, having
    checked it itself (workflow.publish_due).
    """
    article = get(session, article_id=article_id)
    if expected_version is not None:
        _check_version(article, expected_version)
    if article.status == "published":
        return article  # publishing twice is a no-op, not an error
    if not review_checked:
        review.check_publish(
            session, article, override_reason=override_reason, role=role, actor=actor, now=now
        )
    article.status = "published"
    if article.published_at is None:
        article.published_at = published_at or now
    article.scheduled_at = None
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    _emit(session, article, "published", now)
    return article


def schedule(
    session: Session,
    *,
    article_id: int,
    expected_version: int | None,
    at: datetime,
    actor: str,
    now: datetime,
    role: str = "editor",
    override_reason: str | None = None,
) -> Article:
    """Publish at ``at``: now if that time has come, else mark it for the scheduler.

    The time lives in the database (not in the scheduler's memory), so a scheduler restart
    loses nothing. Scheduling is invisible to readers: no event until it goes live.
    """
    if at <= now:
        return publish(
            session,
            article_id=article_id,
            expected_version=expected_version,
            actor=actor,
            now=now,
            role=role,
            override_reason=override_reason,
        )
    article = get(session, article_id=article_id)
    if expected_version is not None:
        _check_version(article, expected_version)
    if article.status == "published":
        raise InvalidTransition(article.status, "scheduled (unpublish it first)")
    review.check_publish(
        session, article, override_reason=override_reason, role=role, actor=actor, now=now
    )
    article.status = "scheduled"
    article.scheduled_at = at
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    return article


def unpublish(
    session: Session, *, article_id: int, expected_version: int | None, actor: str, now: datetime
) -> Article:
    """Take a published article off the site; on a scheduled one, cancel the schedule."""
    article = get(session, article_id=article_id)
    if expected_version is not None:
        _check_version(article, expected_version)
    if article.status == "scheduled":
        article.status = "draft"
        article.scheduled_at = None
        _bump(article, now)
        _store_revision(session, article, actor=actor, now=now)
        return article
    if article.status != "published":
        raise InvalidTransition(article.status, "unpublished")
    article.status = "unpublished"
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    _emit(session, article, "unpublished", now)
    return article


def archive(
    session: Session, *, article_id: int, expected_version: int | None, actor: str, now: datetime
) -> Article:
    """Put an article away; if it was live, readers lose it (an ``unpublished`` event)."""
    article = get(session, article_id=article_id)
    if expected_version is not None:
        _check_version(article, expected_version)
    if article.status == "archived":
        return article
    was_live = article.status == "published"
    article.status = "archived"
    article.scheduled_at = None
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    if was_live:
        _emit(session, article, "unpublished", now)
    return article


def delete(
    session: Session, *, article_id: int, expected_version: int | None, actor: str, now: datetime
) -> Article:
    """Delete an article (admin). The row stays as a tombstone with status ``deleted``: the
    ``deleted`` event needs a newer version than anything sent before it, and the slug stays
    reserved so an old link never shows a different article."""
    article = get(session, article_id=article_id)
    if expected_version is not None:
        _check_version(article, expected_version)
    ever_public = article.published_at is not None
    article.status = "deleted"
    article.scheduled_at = None
    _bump(article, now)
    _store_revision(session, article, actor=actor, now=now)
    if ever_public:
        _emit(session, article, "deleted", now)
    return article


def get_revision(session: Session, *, article_id: int, version: int) -> Revision:
    get(session, article_id=article_id)
    revision = repository.get_revision(session, article_id, version)
    if revision is None:
        raise RevisionNotFound(article_id, version)
    return revision


def list_revisions(session: Session, *, article_id: int) -> list[Revision]:
    get(session, article_id=article_id)
    return list(repository.list_revisions(session, article_id))


def restore(
    session: Session,
    *,
    article_id: int,
    revision_version: int,
    expected_version: int,
    actor: str,
    now: datetime,
    max_body_bytes: int,
) -> Article:
    """Bring back the content of an old revision, as a new revision (history is never
    rewritten). The status is not restored: publishing stays an explicit act."""
    revision = get_revision(session, article_id=article_id, version=revision_version)
    article = get(session, article_id=article_id)
    reviewed = review.category_of(session, article).requires_review
    data = restoring.restorable_update(session, article, revision, review_records=reviewed)
    return update(
        session,
        article_id=article_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
        now=now,
        max_body_bytes=max_body_bytes,
    )
