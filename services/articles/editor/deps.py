"""The editor's request dependencies: who is signed in, what their role allows, CSRF.

Failures are exceptions that ``install`` (editor/app.py) turns into pages: a browser gets
a redirect to sign in, or a 403 page. Errors raised by the API's machinery (405, 413, 422)
are problem+json at first; error_pages.HtmlErrors makes them pages under /editor.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from services.articles import tokens
from services.articles.deps import ClockDep, SessionDep, SettingsDep
from services.articles.editor import security, sessions
from services.articles.settings import ArticlesSettings

log = logging.getLogger("healthhub.articles.editor")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__("sign in first")
        self.next_path = next_path


class Forbidden(Exception):
    """Signed in, but the role does not allow this (403 page)."""


class CsrfRejected(Exception):
    """A non-GET request without the session's token, or from another origin (403 page)."""


def policy(settings: ArticlesSettings) -> sessions.Policy:
    return sessions.Policy(
        idle=timedelta(minutes=settings.editor_idle_minutes),
        absolute=timedelta(hours=settings.editor_absolute_hours),
    )


def secure_cookies(settings: ArticlesSettings) -> bool:
    return settings.environment == "production"


async def _supplied_token(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header is not None:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


def check_origin(request: Request) -> None:
    if not security.same_origin(request.headers.get("origin"), request.headers.get("host")):
        log.warning("editor: refused a request from origin %r", request.headers.get("origin"))
        raise CsrfRejected("This request came from another site.")


def _session_user(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> sessions.SignedIn:
    """Sync (FastAPI runs it in a thread): the database is not read on the event loop."""
    signed = sessions.load(
        session,
        secret=request.cookies.get(sessions.COOKIE, ""),
        now=clock(),
        policy=policy(settings),
    )
    if signed is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method in SAFE_METHODS else security.HOME)
    return signed


async def signed_in(
    request: Request, signed: Annotated[sessions.SignedIn, Depends(_session_user)]
) -> sessions.SignedIn:
    """The signed-in user; for anything but a GET, also a valid CSRF token and origin."""
    if request.method not in SAFE_METHODS:
        check_origin(request)
        if not sessions.csrf_matches(signed, await _supplied_token(request)):
            log.warning(
                "editor: refused %s %s without a valid CSRF token (user %s)",
                request.method,
                request.url.path,
                signed.user.id,
            )
            raise CsrfRejected("The form was out of date or not sent by this site.")
    return signed


SignedInDep = Annotated[sessions.SignedIn, Depends(signed_in)]


def require(needed: tokens.Needed) -> Callable[..., Awaitable[sessions.SignedIn]]:
    """A signed-in user whose role grants ``needed``: the API's rule (tokens.ROLE_GRANTS)."""

    async def dependency(signed: SignedInDep) -> sessions.SignedIn:
        if not tokens.role_grants(signed.user.role, needed):
            raise Forbidden(f"This page needs the {needed} role; you are {signed.user.role}.")
        return signed

    return dependency


Staff = Annotated[sessions.SignedIn, Depends(require("staff"))]
Admin = Annotated[sessions.SignedIn, Depends(require("admin"))]
Writer = Annotated[sessions.SignedIn, Depends(require("editor"))]  # writes and publishes
Reviewer = Annotated[sessions.SignedIn, Depends(require("reviewer"))]  # approves
