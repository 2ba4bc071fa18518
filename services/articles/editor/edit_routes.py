"""The create/edit screen: the form, saving it, a live preview, and merging after a conflict.

Thin: the form is parsed by forms.py, saved and previewed by editing.py through the API's
own service functions. Writing needs the editor role, as the API's create and update do.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from services.articles import people_repository, preview, repository, service
from services.articles.deps import ClockDep, SessionDep, SettingsDep
from services.articles.editor import editing, forms, ids, pages, sessions
from services.articles.editor.deps import Writer
from services.articles.editor.editing import Conflict
from services.articles.editor.forms import Draft, FormErrors
from services.articles.errors import ArticleNotFound, StaleVersion
from services.articles.media import service as media
from services.articles.schemas import ArticleOut

edit_router = APIRouter(prefix="/editor", include_in_schema=False)
# The hero image picker lists the newest images of the library.
MEDIA_CHOICES = 200
NOT_FOUND = ("No such article", "There is no article with this id.")
DAY = "public, max-age=86400, immutable"


async def _posted(request: Request) -> FormData:
    """The posted form (already read, and cached, by the CSRF check)."""
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]


def _choices(session: Session) -> dict[str, Any]:
    return {
        "categories": repository.list_categories(session),
        "people": people_repository.list_people(session),
        "images": media.list_page(session, page=1, per_page=MEDIA_CHOICES)[0],
    }


def _form_page(
    session: Session,
    signed: sessions.SignedIn,
    *,
    article: ArticleOut | None,
    draft: Draft,
    version: int,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    typo_only: bool = False,
    conflict: Conflict | None = None,
    saved: str = "",
) -> Response:
    # Kept per user: two editors sharing a browser never see each other's unsaved text.
    owner = f"{signed.user.id}:{article.id if article else 'new'}"
    base = f"/editor/articles/{article.id}" if article else "/editor/articles/new"
    return pages.render(
        "edit.html", status, user=signed.user, csrf_token=signed.csrf_token,
        article=article, draft=draft, version=version, errors=errors or {},
        typo_only=typo_only, conflict=conflict, labels=forms.LABELS,
        saved=saved if saved in ("1", "new") else "", autosave_owner=owner,
        autosave_key=f"{owner}:{version}",
        action=f"{base}/edit" if article else base, preview_url=f"{base}/preview",
        **_choices(session),
    )  # fmt: skip


def _not_found(signed: sessions.SignedIn) -> Response:
    return pages.error_page(404, *NOT_FOUND, user=signed.user, csrf_token=signed.csrf_token)


@edit_router.get("/articles/new")
def new_article(signed: Writer, session: SessionDep) -> Response:
    return _form_page(session, signed, article=None, draft=Draft(), version=0)


@edit_router.post("/articles/new")
def create_article(
    signed: Writer, session: SessionDep, settings: SettingsDep, clock: ClockDep, form: Posted
) -> Response:
    draft = forms.read_form(form)
    try:
        article = editing.create(
            session, draft=draft, user=signed.user, now=clock(),
            max_body_bytes=settings.max_body_bytes,
        )  # fmt: skip
    except FormErrors as exc:
        return _form_page(
            session, signed, article=None, draft=draft, version=0, status=422, errors=exc.errors
        )
    return RedirectResponse(f"/editor/articles/{article.id}/edit?saved=new", status_code=303)


@edit_router.get("/articles/{article_id}/edit")
def edit_article(signed: Writer, session: SessionDep, article_id: str, saved: str = "") -> Response:
    number = ids.parse_id(article_id)
    try:
        found = service.get(session, article_id=number) if number else None
    except ArticleNotFound:
        found = None
    if found is None:
        return _not_found(signed)
    article, draft = editing.saved_form(session, found)
    return _form_page(
        session, signed, article=article, draft=draft, version=article.version, saved=saved
    )


@edit_router.post("/articles/{article_id}/edit")
def save_article(
    signed: Writer, session: SessionDep, settings: SettingsDep, clock: ClockDep,
    form: Posted, article_id: str,
) -> Response:  # fmt: skip
    """Save over the version the form was loaded at; a newer one shows the merge (409)."""
    number = ids.parse_id(article_id)
    try:
        current = service.get(session, article_id=number) if number else None
    except ArticleNotFound:
        current = None
    if number is None or current is None:
        return _not_found(signed)
    draft = forms.read_form(form)
    version = ids.parse_id(str(form.get("version", "")))
    typo_only = form.get("typo_only") == "on"
    theirs = [name for name in forms.LABELS if form.get(f"take_{name}") == "theirs"]
    try:
        if version is None:
            raise FormErrors({"form": ["The form lost its version: reload the page."]})
        editing.update(
            session, article_id=number, draft=draft, version=version, typo_only=typo_only,
            theirs=theirs, user=signed.user, now=clock(), max_body_bytes=settings.max_body_bytes,
        )  # fmt: skip
    except ArticleNotFound:  # deleted by someone else since the check above
        return _not_found(signed)
    except StaleVersion:
        assert version is not None
        try:
            merge = editing.conflict(session, article_id=number, draft=draft, base_version=version)
        except ArticleNotFound:
            return _not_found(signed)
        return _form_page(
            session, signed, article=merge.article, draft=draft, version=merge.article.version,
            status=409, typo_only=typo_only, conflict=merge,
        )  # fmt: skip
    except FormErrors as exc:
        article, _ = editing.saved_form(session, current)
        return _form_page(
            session, signed, article=article, draft=draft, version=version or article.version,
            status=422, errors=exc.errors, typo_only=typo_only,
        )  # fmt: skip
    return RedirectResponse(f"/editor/articles/{number}/edit?saved=1", status_code=303)


def _preview(
    signed: sessions.SignedIn, session: Session, request: Request, article_id: int | None,
    draft: Draft, clock: ClockDep, settings: SettingsDep,
) -> Response:  # fmt: skip
    """The form rendered by a render worker, for the iframe; always a fragment htmx swaps
    in (a form that cannot be saved yet, or no worker, is said in words)."""
    html, problem = "", ""
    try:
        snapshot = editing.preview_snapshot(
            session, article_id=article_id, draft=draft, user=signed.user, now=clock(),
            max_body_bytes=settings.max_body_bytes,
        )  # fmt: skip
        html = editing.render(settings, request.app.state.celery, snapshot)
    except ArticleNotFound:
        return _not_found(signed)
    except FormErrors as exc:
        problem = "The preview shows once the form can be saved: " + str(exc)
    except preview.PreviewUnavailable:
        problem = "Preview unavailable: no render worker answered. Your text is safe; "
        problem += "the preview comes back when the render workers run."
    return pages.render("edit_preview.html", html=html, problem=problem)


@edit_router.post("/articles/new/preview")
def preview_new(
    signed: Writer, session: SessionDep, request: Request, clock: ClockDep,
    settings: SettingsDep, form: Posted,
) -> Response:  # fmt: skip
    return _preview(signed, session, request, None, forms.read_form(form), clock, settings)


@edit_router.post("/articles/{article_id}/preview")
def preview_article(
    signed: Writer, session: SessionDep, request: Request, clock: ClockDep,
    settings: SettingsDep, form: Posted, article_id: str,
) -> Response:  # fmt: skip
    number = ids.parse_id(article_id)
    if number is None:
        return _not_found(signed)
    return _preview(signed, session, request, number, forms.read_form(form), clock, settings)


@edit_router.get("/preview-styles/{name}")
def preview_stylesheet(settings: SettingsDep, name: str) -> Response:
    """The preview's CSS (see preview_styles.py); no session: the sandboxed frame has none."""
    css = editing.preview_stylesheet(settings, name)
    if css is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(css, media_type="text/css; charset=utf-8", headers={"Cache-Control": DAY})
