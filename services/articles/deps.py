"""Request-scoped dependencies: a session that commits, then sends what the change queued."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.articles import outbox, tokens
from services.articles.models import ApiToken
from services.articles.settings import ArticlesSettings
from shared.db import Database
from shared.problems import Problem

log = logging.getLogger("healthhub.articles")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def get_settings_dep(request: Request) -> ArticlesSettings:
    settings: ArticlesSettings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request. Commit happens before the answer is sent (scope=function);
    events recorded in the outbox are dispatched only after that commit succeeded."""
    db: Database = request.app.state.db
    session = db.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        outbox.take_pending(session)
        raise
    finally:
        session.close()
    pending = outbox.take_pending(session)
    if pending:
        dispatcher: outbox.Dispatcher = request.app.state.dispatcher
        dispatcher.send_after_commit(pending, now=request.app.state.clock())


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[ArticlesSettings, Depends(get_settings_dep)]
ClockDep = Annotated[Clock, Depends(get_clock)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Problem(
            401,
            "Send an API token as `Authorization: Bearer <token>`.",
            headers={"WWW-Authenticate": 'Bearer realm="healthhub"'},
        )
    return secret.strip()


def require(role: tokens.Needed) -> Callable[..., ApiToken]:
    def dependency(request: Request, session: SessionDep) -> ApiToken:
        token = tokens.authenticate(session, _bearer(request))
        if token is None:
            raise Problem(
                401,
                "The token is unknown or has been revoked.",
                headers={"WWW-Authenticate": 'Bearer realm="healthhub", error="invalid_token"'},
            )
        if not tokens.has_role(token, role):
            raise Problem(403, f"This needs the {role} role; your token has {token.role}.")
        return token

    return dependency


Staff = Annotated[ApiToken, Depends(require("staff"))]
Editor = Annotated[ApiToken, Depends(require("editor"))]
Reviewer = Annotated[ApiToken, Depends(require("reviewer"))]
Admin = Annotated[ApiToken, Depends(require("admin"))]
