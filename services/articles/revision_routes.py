"""Revisions: every save is kept; any one can be read and restored (as a new revision)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.articles import presenters, service
from services.articles.deps import ClockDep, Editor, SessionDep, SettingsDep
from services.articles.errors import VersionRequired
from services.articles.openapi import EDITOR, problems
from services.articles.revision_schemas import RevisionOut, RevisionSummary
from services.articles.routes import ArticleId, IfMatch, version_from
from services.articles.schemas import ArticleOut, VersionRequest

revision_router = APIRouter(prefix="/api/v1/articles/{article_id}/revisions", tags=["revisions"])

RevisionVersion = Annotated[int, Path(ge=1, le=2**31 - 1, description="The revision's version.")]


@revision_router.get(
    "",
    response_model=list[RevisionSummary],
    summary="List revisions",
    responses=problems(*EDITOR, 404),
)
def list_revisions(article_id: ArticleId, session: SessionDep, _: Editor) -> list[RevisionSummary]:
    """Newest first: one per save, publish, unpublish or restore."""
    return [
        presenters.revision_summary(r)
        for r in service.list_revisions(session, article_id=article_id)
    ]


@revision_router.get(
    "/{version}",
    response_model=RevisionOut,
    summary="Read a revision",
    responses=problems(*EDITOR, 404),
)
def read_revision(
    article_id: ArticleId, version: RevisionVersion, session: SessionDep, _: Editor
) -> RevisionOut:
    """The article's whole editable state as saved at that version."""
    revision = service.get_revision(session, article_id=article_id, version=version)
    return presenters.revision_out(revision)


@revision_router.post(
    "/{version}/restore",
    response_model=ArticleOut,
    summary="Restore a revision",
    responses=problems(*EDITOR, 404, 409, 413, 422, 428),
)
def restore_revision(
    article_id: ArticleId,
    version: RevisionVersion,
    response: Response,
    session: SessionDep,
    token: Editor,
    settings: SettingsDep,
    clock: ClockDep,
    data: VersionRequest | None = None,
    if_match: IfMatch = None,
) -> ArticleOut:
    """Bring back that revision's content as a new revision (history is never rewritten).
    The status stays as it is; a published article is updated on the site at once. Send
    the version you are looking at (If-Match or `version`)."""
    expected = version_from(if_match, data.version if data else None)
    if expected is None:
        raise VersionRequired()
    article = service.restore(
        session,
        article_id=article_id,
        revision_version=version,
        expected_version=expected,
        actor=token.name,
        now=clock(),
        max_body_bytes=settings.max_body_bytes,
    )
    response.headers["ETag"] = f'"{article.version}"'
    return presenters.article_out(session, article)
