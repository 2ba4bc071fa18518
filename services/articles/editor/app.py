"""install(): the editor inside the articles app: routes, headers, error pages, throttle."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from services.articles.editor import pages
from services.articles.editor.admin_routes import admin_router
from services.articles.editor.auth_routes import auth_router
from services.articles.editor.deps import CsrfRejected, Forbidden, SignInRequired
from services.articles.editor.edit_routes import edit_router
from services.articles.editor.error_pages import HtmlErrors
from services.articles.editor.history_routes import history_router
from services.articles.editor.lifecycle import FormRefused
from services.articles.editor.lifecycle_routes import lifecycle_router
from services.articles.editor.numbers_routes import numbers_screens
from services.articles.editor.review_routes import review_screens
from services.articles.editor.routes import screens_router
from services.articles.editor.security import EditorHeaders
from services.articles.editor.signin import SignInGuard
from services.articles.editor.throttle import SignInThrottle
from services.articles.settings import ArticlesSettings
from shared.clients import ClientAddress


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    query = urlencode({"next": exc.next_path}) if exc.next_path != "/editor/" else ""
    return RedirectResponse("/editor/sign-in" + (f"?{query}" if query else ""), status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    return pages.error_page(403, "Not allowed", str(exc))


async def _csrf(request: Request, exc: Exception) -> Response:
    return pages.error_page(
        403, "Request refused", f"{exc} Go back, reload the page and try again."
    )


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FormRefused)
    return pages.error_page(exc.status, exc.title, str(exc))


def install(app: FastAPI, settings: ArticlesSettings) -> None:
    # Built once: every sign-in of this process shares the counts and the verify slots.
    app.state.editor_sign_in = SignInGuard(
        throttle=SignInThrottle(
            limit=settings.editor_sign_in_failures,
            email_limit=settings.editor_sign_in_email_failures,
            window=timedelta(minutes=settings.editor_sign_in_window_minutes),
        ),
        client_address=ClientAddress(settings.trusted_proxies),
    )
    # Added last, so outermost: EditorHeaders puts the policy on the error pages too.
    app.add_middleware(HtmlErrors)
    app.add_middleware(EditorHeaders)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(CsrfRejected, _csrf)
    app.add_exception_handler(FormRefused, _refused)
    app.include_router(auth_router)
    app.include_router(review_screens)
    app.include_router(numbers_screens)
    app.include_router(lifecycle_router)
    app.include_router(history_router)
    app.include_router(admin_router)
    app.include_router(edit_router)
    app.include_router(screens_router)
