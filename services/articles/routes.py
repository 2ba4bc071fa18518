"""The thin HTTP layer of the articles service: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response
from fastapi.responses import RedirectResponse

from services.articles import presenters, repository, service
from services.articles.deps import ClockDep, Editor, SessionDep, SettingsDep
from services.articles.errors import ArticleNotFound, VersionRequired
from services.articles.schemas import (
    ArticleCreate,
    ArticleOut,
    ArticleUpdate,
    CategoryOut,
    PublicArticleOut,
    PublishRequest,
)
from shared.contracts import SLUG_PATTERN

editor_router = APIRouter(prefix="/api/v1", tags=["editor"])
public_router = APIRouter(prefix="/api/v1/content", tags=["public content"])

ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The article's numeric id.")]
SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=120)]
IfMatch = Annotated[str | None, Header(description='The version being edited, e.g. `"3"`.')]


def _etag(version: int) -> str:
    return f'"{version}"'


def _version_from(if_match: str | None, body_version: int | None) -> int | None:
    if body_version is not None:
        return body_version
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise VersionRequired()
    return int(raw)


@editor_router.post("/articles", status_code=201, response_model=ArticleOut)
def create_article(
    data: ArticleCreate,
    response: Response,
    session: SessionDep,
    token: Editor,
    settings: SettingsDep,
    clock: ClockDep,
) -> ArticleOut:
    article = service.create(
        session, data=data, actor=token.name, now=clock(), max_body_bytes=settings.max_body_bytes
    )
    response.headers["Location"] = f"/api/v1/articles/{article.id}"
    response.headers["ETag"] = _etag(article.version)
    return presenters.article_out(session, article)


@editor_router.get("/articles/{article_id}", response_model=ArticleOut)
def read_article(
    article_id: ArticleId, response: Response, session: SessionDep, _: Editor
) -> ArticleOut:
    article = service.get(session, article_id=article_id)
    response.headers["ETag"] = _etag(article.version)
    return presenters.article_out(session, article)


@editor_router.patch("/articles/{article_id}", response_model=ArticleOut)
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
    expected = _version_from(if_match, data.version)
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
    response.headers["ETag"] = _etag(article.version)
    return presenters.article_out(session, article)


@editor_router.post("/articles/{article_id}/publish", response_model=ArticleOut)
def publish_article(
    article_id: ArticleId,
    response: Response,
    session: SessionDep,
    token: Editor,
    clock: ClockDep,
    data: PublishRequest | None = None,
    if_match: IfMatch = None,
) -> ArticleOut:
    expected = _version_from(if_match, data.version if data else None)
    article = service.publish(
        session, article_id=article_id, expected_version=expected, actor=token.name, now=clock()
    )
    response.headers["ETag"] = _etag(article.version)
    return presenters.article_out(session, article)


@editor_router.post("/articles/{article_id}/unpublish", response_model=ArticleOut)
def unpublish_article(
    article_id: ArticleId,
    response: Response,
    session: SessionDep,
    token: Editor,
    clock: ClockDep,
    data: PublishRequest | None = None,
    if_match: IfMatch = None,
) -> ArticleOut:
    expected = _version_from(if_match, data.version if data else None)
    article = service.unpublish(
        session, article_id=article_id, expected_version=expected, actor=token.name, now=clock()
    )
    response.headers["ETag"] = _etag(article.version)
    return presenters.article_out(session, article)


@editor_router.get("/categories", response_model=list[CategoryOut])
def list_categories_for_editors(session: SessionDep, _: Editor) -> list[CategoryOut]:
    return [presenters.category_out(session, c) for c in repository.list_categories(session)]


@public_router.get(
    "/articles/{slug}",
    response_model=PublicArticleOut,
    responses={301: {"description": "The article moved to a new slug."}},
)
def read_published_article(
    slug: SlugPath, response: Response, session: SessionDep
) -> Response | PublicArticleOut:
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
    response.headers["ETag"] = _etag(article.version)
    response.headers["Cache-Control"] = "public, max-age=60"
    return presenters.public_article_out(session, article)


@public_router.get("/categories", response_model=list[CategoryOut])
def list_categories(session: SessionDep) -> list[CategoryOut]:
    return [presenters.category_out(session, c) for c in repository.list_categories(session)]
