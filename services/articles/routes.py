"""The thin HTTP layer of the articles service: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import RootModel, WithJsonSchema
from sqlalchemy.orm import Session

from services.articles import caching, listing, presenters, repository, service
from services.articles.category_schemas import CategoryOut
from services.articles.deps import Admin, ClockDep, Editor, SessionDep, SettingsDep, Staff
from services.articles.errors import ArticleNotFound, VersionRequired
from services.articles.models import Article
from services.articles.openapi import EDITOR, page_too_deep, problems
from services.articles.schemas import (
    ArticleCreate,
    ArticleOut,
    ArticleQuery,
    ArticleSummary,
    ArticleUpdate,
    Page,
    PublicArticleOut,
    PublicArticleQuery,
    PublicArticleSummary,
    PublishRequest,
    VersionRequest,
)
from shared.contracts import SLUG_PATTERN

editor_router = APIRouter(prefix="/api/v1", tags=["editor"])
public_router = APIRouter(prefix="/api/v1/content", tags=["public content"])

ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The article's numeric id.")]
SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=120)]
_VERSION_TAG = r'^\s*(W/)?"?[0-9]{1,18}"?\s*$'
# Optional, but never null: a header is absent or a string (FastAPI would document
# `string | null`, and a client could then send the word "null").
IfMatch = Annotated[
    str | None,
    Header(description='The version being edited, e.g. `"3"`.', pattern=_VERSION_TAG),
    WithJsonSchema({"type": "string", "pattern": _VERSION_TAG}),
]

_etag = caching.version_etag


def _with_etag(response: Response, session: Session, article: Article) -> ArticleOut:
    """The editor's view of an article, with its version as the ETag for the next edit."""
    response.headers["ETag"] = _etag(article.version)
    return presenters.article_out(session, article)


def version_from(if_match: str | None, body_version: int | None) -> int | None:
    if body_version is not None:
        return body_version
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise VersionRequired()
    return int(raw)


def _read(session: SessionDep, response: Response, article_id: int) -> ArticleOut:
    article = service.get(session, article_id=article_id)
    return _with_etag(response, session, article)


@editor_router.post(
    "/articles",
    status_code=201,
    response_model=ArticleOut,
    summary="Create a draft",
    responses=problems(*EDITOR, 409, 413),
)
def create_article(
    data: ArticleCreate,
    response: Response,
    session: SessionDep,
    token: Editor,
    settings: SettingsDep,
    clock: ClockDep,
) -> ArticleOut:
    """Create a draft. The slug is made from the title (transliterated, unique) unless given."""
    article = service.create(
        session, data=data, actor=token.name, now=clock(), max_body_bytes=settings.max_body_bytes
    )
    response.headers["Location"] = f"/api/v1/articles/{article.id}"
    return _with_etag(response, session, article)


@editor_router.get(
    "/articles",
    response_model=Page[ArticleSummary],
    summary="List and search articles",
    responses={**problems(*EDITOR, 429), **page_too_deep()},
)
def list_articles(
    query: Annotated[ArticleQuery, Query()], session: SessionDep, _: Staff
) -> Page[ArticleSummary]:
    """Every status but deleted (or one `status`), filtered by category (with its
    sub-categories), tag, author, full-text `q` and `updated_since`; paginated, sorted."""
    rows, total = listing.find_articles(session, query=query, public=False)
    categories = repository.categories_by_id(session)
    return presenters.page_of(
        [presenters.article_summary(a, categories) for a in rows],
        total=total,
        page=query.page,
        per_page=query.per_page,
    )


@editor_router.get(
    "/articles/{article_id}",
    response_model=ArticleOut,
    summary="Read an article",
    responses=problems(*EDITOR, 404),
)
def read_article(
    article_id: ArticleId, response: Response, session: SessionDep, _: Staff
) -> ArticleOut:
    """The article in any status (editors, reviewers and admins); the ETag is its version,
    ready for If-Match."""
    return _read(session, response, article_id)


@editor_router.patch(
    "/articles/{article_id}",
    response_model=ArticleOut,
    summary="Edit an article",
    responses=problems(*EDITOR, 404, 409, 413, 428),
)
def update_article(
    article_id: ArticleId,
    data: ArticleUpdate,
    response: Response,
    session: SessionDep,
    token: Editor,
    settings: SettingsDep,
    clock: ClockDep,
    if_match: IfMatch = None,
) -> ArticleOut:
    """Change some fields. Send the version you edit (If-Match or `version`); a stale one
    gets 409 with the current version. A new slug leaves the old one as a redirect.
    A change to the title, summary, body or references withdraws a medical approval in
    force (unless `typo_only`); in a category that requires review, `reviewed_by` and
    `last_reviewed` come from review records and cannot be set (409)."""
    expected = version_from(if_match, data.version)
    if expected is None:
        raise VersionRequired()
    article = service.update(
        session,
        article_id=article_id,
        data=data,
        expected_version=expected,
        actor=token.name,
        now=clock(),
        max_body_bytes=settings.max_body_bytes,
    )
    return _with_etag(response, session, article)


@editor_router.post(
    "/articles/{article_id}/publish",
    response_model=ArticleOut,
    summary="Publish now or at a time",
    responses=problems(*EDITOR, 404, 409),
)
def publish_article(
    article_id: ArticleId,
    response: Response,
    session: SessionDep,
    token: Editor,
    clock: ClockDep,
    data: PublishRequest | None = None,
    if_match: IfMatch = None,
) -> ArticleOut:
    """Publish now, or send `at` to schedule: the article becomes `scheduled` and the
    scheduler publishes it within seconds of that time. Publishing twice is a no-op.
    In a category that requires medical review, an article without an approval in force is
    refused (409) unless an admin sends `override_reason` (stored as a review record)."""
    expected = version_from(if_match, data.version if data else None)
    now = clock()
    override = data.override_reason if data else None
    if data is not None and data.at is not None:
        article = service.schedule(
            session,
            article_id=article_id,
            expected_version=expected,
            at=data.at,
            actor=token.name,
            now=now,
            role=token.role,
            override_reason=override,
        )
    else:
        article = service.publish(
            session,
            article_id=article_id,
            expected_version=expected,
            actor=token.name,
            now=now,
            role=token.role,
            override_reason=override,
        )
    return _with_etag(response, session, article)


@editor_router.post(
    "/articles/{article_id}/unpublish",
    response_model=ArticleOut,
    summary="Unpublish, or cancel a schedule",
    responses=problems(*EDITOR, 404, 409),
)
def unpublish_article(
    article_id: ArticleId,
    response: Response,
    session: SessionDep,
    token: Editor,
    clock: ClockDep,
    data: VersionRequest | None = None,
    if_match: IfMatch = None,
) -> ArticleOut:
    """Take a published article off the site (its page answers 410 Gone); a scheduled
    article goes back to draft."""
    expected = version_from(if_match, data.version if data else None)
    article = service.unpublish(
        session, article_id=article_id, expected_version=expected, actor=token.name, now=clock()
    )
    return _with_etag(response, session, article)


@editor_router.post(
    "/articles/{article_id}/archive",
    response_model=ArticleOut,
    summary="Archive",
    responses=problems(*EDITOR, 404, 409),
)
def archive_article(
    article_id: ArticleId,
    response: Response,
    session: SessionDep,
    token: Editor,
    clock: ClockDep,
    data: VersionRequest | None = None,
    if_match: IfMatch = None,
) -> ArticleOut:
    """Put an article away (off the site if it was published); it can be published again."""
    expected = version_from(if_match, data.version if data else None)
    article = service.archive(
        session, article_id=article_id, expected_version=expected, actor=token.name, now=clock()
    )
    return _with_etag(response, session, article)


@editor_router.delete(
    "/articles/{article_id}",
    status_code=204,
    summary="Delete (admin)",
    responses=problems(*EDITOR, 404, 409),
)
def delete_article(
    article_id: ArticleId,
    session: SessionDep,
    token: Admin,
    clock: ClockDep,
    if_match: IfMatch = None,
) -> Response:
    """Delete an article: its page disappears, its slug stays reserved. Admins only."""
    expected = version_from(if_match, None)
    service.delete(
        session, article_id=article_id, expected_version=expected, actor=token.name, now=clock()
    )
    return Response(status_code=204)


@public_router.get(
    "/articles",
    response_model=Page[PublicArticleSummary],
    summary="List and search published articles",
    responses={**problems(304, 422, 429), **page_too_deep()},
)
def list_published_articles(
    query: Annotated[PublicArticleQuery, Query()], request: Request, session: SessionDep
) -> Response:
    """Published articles only, newest first by default; no token. Answers carry an ETag:
    send it back as If-None-Match to get a 304 when nothing changed."""
    rows, total = listing.find_articles(session, query=query, public=True)
    categories = repository.categories_by_id(session)
    page = presenters.page_of(
        [presenters.public_summary(a, categories) for a in rows],
        total=total,
        page=query.page,
        per_page=query.per_page,
    )
    return caching.public_json(request, page)


@public_router.get(
    "/articles/{slug}",
    response_model=PublicArticleOut,
    summary="Read a published article by slug",
    responses={
        301: {"description": "The article moved to a new slug (Location has the new one)."},
        **problems(304, 404, 422, 429),
    },
)
def read_published_article(slug: SlugPath, request: Request, session: SessionDep) -> Response:
    """A published article; a former slug answers 301 to the current one."""
    try:
        article = service.get_published_by_slug(session, slug=slug)
    except ArticleNotFound:
        redirect = repository.get_redirect(session, slug)
        if redirect is None:
            raise
        target = service.get(session, article_id=redirect.article_id)
        if target.status != "published":
            raise
        return RedirectResponse(f"/api/v1/content/articles/{target.slug}", status_code=301)
    return caching.public_json(
        request, presenters.public_article_out(session, article), _etag(article.version)
    )


@public_router.get(
    "/categories",
    response_model=list[CategoryOut],
    summary="List categories",
    responses=problems(304, 429),
)
def list_categories(request: Request, session: SessionDep) -> Response:
    """Every category with its parent (which gives the breadcrumb)."""
    categories = [presenters.category_out(session, c) for c in repository.list_categories(session)]
    return caching.public_json(request, _CategoryList(categories))


class _CategoryList(RootModel[list[CategoryOut]]):
    pass
