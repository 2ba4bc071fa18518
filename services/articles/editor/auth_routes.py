"""Signing in and out: thin routes over signin.py and sessions.py."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.articles.deps import ClockDep, SessionDep, SettingsDep
from services.articles.editor import pages, security, sessions, signin
from services.articles.editor.deps import (
    CsrfRejected,
    SignedInDep,
    check_origin,
    log,
    policy,
    secure_cookies,
)

auth_router = APIRouter(prefix="/editor", include_in_schema=False)
FormText = Annotated[str, Form()]
SIGN_IN_TOKEN_SECONDS = 3600
GENERIC_FAILURE = "That email and password do not match an account that can sign in."


def _form(token: str, *, status: int, next_path: str, email: str = "", error: str = "") -> Response:
    return pages.render(
        "sign_in.html", status, csrf_token=token, next_path=next_path, email=email, error=error
    )


def _sign_in_token(request: Request) -> str:
    current = request.cookies.get(security.SIGN_IN_COOKIE, "")
    return current if 20 <= len(current) <= 100 else secrets.token_urlsafe(32)


@auth_router.get("/sign-in")
def sign_in_form(request: Request, settings: SettingsDep, next: str = "") -> Response:
    token = _sign_in_token(request)
    response = _form(token, status=200, next_path=security.safe_next(next))
    response.set_cookie(
        security.SIGN_IN_COOKIE,
        token,
        max_age=SIGN_IN_TOKEN_SECONDS,
        path="/editor/sign-in",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(settings),
    )
    return response


@auth_router.post("/sign-in")
def sign_in(
    request: Request,
    settings: SettingsDep,
    clock: ClockDep,
    email: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
    next: FormText = "",
) -> Response:
    check_origin(request)
    if not security.tokens_match(request.cookies.get(security.SIGN_IN_COOKIE, ""), csrf_token):
        log.warning("editor: refused a sign-in without the form's token")
        raise CsrfRejected("The sign-in form was out of date; open it again.")
    next_path = security.safe_next(next)
    if not email.strip() or not password:
        return _form(
            csrf_token, status=422, next_path=next_path, email=email,
            error="Enter your email and your password.",
        )  # fmt: skip
    guard: signin.SignInGuard = request.app.state.editor_sign_in
    peer = request.client.host if request.client else None
    outcome = signin.attempt(
        request.app.state.db, guard=guard,
        address=guard.client_address.resolve(peer, request.headers.get("x-forwarded-for")),
        email=email, password=password, old_secret=request.cookies.get(sessions.COOKIE, ""),
        now=clock(), policy=policy(settings),
    )  # fmt: skip
    if outcome.kind in ("throttled", "busy"):
        wait = outcome.retry_after
        error = (
            f"Too many failed sign-ins. Try again in {(wait + 59) // 60} minutes."
            if outcome.kind == "throttled"
            else "The server is busy; try again in a few seconds."
        )
        return pages.render(
            "sign_in.html", 429, {"Retry-After": str(wait)}, csrf_token=csrf_token,
            next_path=next_path, email=email, error=error,
        )  # fmt: skip
    if outcome.kind == "refused":
        return _form(
            csrf_token, status=400, next_path=next_path, email=email, error=GENERIC_FAILURE
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        outcome.secret,
        path="/editor",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )
    response.delete_cookie(security.SIGN_IN_COOKIE, path="/editor/sign-in")
    return response


@auth_router.post("/sign-out")
def sign_out(signed: SignedInDep, session: SessionDep) -> Response:
    sessions.end(session, secret=signed.secret)
    response = RedirectResponse("/editor/sign-in", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/editor", httponly=True, samesite="lax")
    return response
