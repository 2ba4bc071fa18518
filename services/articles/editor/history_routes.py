"""An article's history: its revisions, a diff between any two, and restoring one.

The API's rules: revisions are read and restored with the editor role
(revision_routes.py), and a restore goes through service.restore, which brings the content
back as a new revision and never touches the status. Any id or revision number that names
nothing, ``abc`` and ``99999999999`` included, is a 404 page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response

from services.articles import service
from services.articles.deps import ClockDep, SessionDep, SettingsDep
from services.articles.editor import consequences, history, ids, lifecycle, pages, sessions, users
from services.articles.editor.deps import Writer
from services.articles.editor.lifecycle import FormRefused
from services.articles.editor.lifecycle_routes import load
from services.articles.errors import RevisionNotFound
from services.articles.models import Article, Revision

history_router = APIRouter(prefix="/editor/articles", include_in_schema=False)


def _revision(session: SessionDep, article: Article, raw: str) -> Revision:
    number = ids.parse_id(raw.strip())
    try:
        if number is None:
            raise RevisionNotFound(article.id, 0)
        return service.get_revision(session, article_id=article.id, version=number)
    except RevisionNotFound:
        raise FormRefused(
            404, "No such revision", f"This article has no revision {raw[:20]!r}."
        ) from None


def _common(
    signed: sessions.SignedIn, article: Article, revisions: list[Revision]
) -> dict[str, Any]:
    return {
        "user": signed.user, "csrf_token": signed.csrf_token, "article": article,
        "revisions": revisions,
    }  # fmt: skip


@history_router.get("/{article_id}/history")
def history_page(article_id: str, signed: Writer, session: SessionDep) -> Response:
    """Newest first: one revision per save, publish, unpublish or restore."""
    article, _ = load(session, article_id)
    revisions = service.list_revisions(session, article_id=article.id)
    older = revisions[1].version if len(revisions) > 1 else article.version
    return pages.render(
        "history.html", **_common(signed, article, revisions), chosen=(older, article.version)
    )


@history_router.get("/{article_id}/history/diff")
def diff_page(
    article_id: str, signed: Writer, session: SessionDep,
    old: Annotated[str, Query(alias="from")] = "", new: Annotated[str, Query(alias="to")] = "",
) -> Response:  # fmt: skip
    """The changes from one revision to another, in the order chosen (an older one may be
    compared with a newer one or the other way round)."""
    article, _ = load(session, article_id)
    if not old or not new:
        raise FormRefused(422, "Choose two revisions", "Pick the two revisions to compare.")
    first, second = _revision(session, article, old), _revision(session, article, new)
    revisions = service.list_revisions(session, article_id=article.id)
    return pages.render(
        "diff.html", **_common(signed, article, revisions), first=first, second=second,
        fields=history.compare(first.data, second.data),
        chosen=(first.version, second.version),
        restorable=sorted({first.version, second.version} - {article.version}),
    )  # fmt: skip


@history_router.get("/{article_id}/revisions/{version}/restore")
def confirm_restore(article_id: str, version: str, signed: Writer, session: SessionDep) -> Response:
    article, category = load(session, article_id)
    revision = _revision(session, article, version)
    shown = consequences.restore(
        article, category, revision.version, str(revision.data.get("title", ""))
    )
    return pages.render(
        "confirm.html", user=signed.user, csrf_token=signed.csrf_token, article=article,
        confirmation=shown, override=False, hidden={"version": str(article.version)},
        action=f"/editor/articles/{article.id}/revisions/{revision.version}/restore",
        compare=f"/editor/articles/{article.id}/history/diff"
        f"?from={article.version}&to={revision.version}",
    )  # fmt: skip


@history_router.post("/{article_id}/revisions/{version}/restore")
def restore(
    article_id: str, version: str, signed: Writer, session: SessionDep, clock: ClockDep,
    settings: SettingsDep, expected: Annotated[str, Form(alias="version")] = "",
) -> Response:  # fmt: skip
    article, _ = load(session, article_id)
    revision = _revision(session, article, version)
    service.restore(
        session, article_id=article.id, revision_version=revision.version,
        expected_version=lifecycle.parse_version(expected), actor=users.actor_of(signed.user),
        now=clock(), max_body_bytes=settings.max_body_bytes,
    )  # fmt: skip
    return RedirectResponse(f"/editor/articles/{article.id}/history", status_code=303)
