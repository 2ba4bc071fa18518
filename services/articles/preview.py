"""Draft previews: the page exactly as it will look, rendered by the render service.

The articles API holds the draft; only the render service holds the site's templates and its
read model (navigation, related articles). So the API sends the draft's snapshot to a render
worker as a ``PreviewRequest`` task and waits on a reply list in the broker's Redis database.
No HTTP endpoint of the render service is involved, so the public gateway exposes nothing
new, and nothing is written to the page store.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

import redis
from celery import Celery
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from services.articles import service
from services.articles.deps import Editor, SessionDep
from services.articles.openapi import EDITOR, problems
from services.articles.snapshots import build_snapshot
from shared.contracts import (
    PREVIEW_REPLY_KEY,
    RENDER_PAGES_QUEUE,
    RENDER_PREVIEW_TASK,
    ArticleSnapshot,
    PreviewReply,
    PreviewRequest,
)
from shared.problems import Problem

log = logging.getLogger("healthhub.articles.preview")
# A render worker answers in milliseconds; more than this means none is running.
PREVIEW_TIMEOUT_SECONDS = 10

preview_router = APIRouter(prefix="/api/v1", tags=["editor"])
ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The article's numeric id.")]


class PreviewUnavailable(Exception):
    """No render worker answered (or the broker is down)."""


def request_preview(
    celery_app: Celery, client: redis.Redis, snapshot: ArticleSnapshot, *, timeout: float
) -> str:
    request_id = uuid.uuid4().hex
    payload = PreviewRequest(request_id=request_id, snapshot=snapshot).model_dump(mode="json")
    try:
        celery_app.send_task(
            RENDER_PREVIEW_TASK,
            args=[payload],
            queue=RENDER_PAGES_QUEUE,
            expires=timeout,
            retry=False,
        )
    except Exception as exc:  # kombu raises its own OperationalError when Redis is down
        raise PreviewUnavailable(f"could not reach the render workers: {exc}") from exc
    key = PREVIEW_REPLY_KEY.format(request_id=request_id)
    answer = client.blpop([key], timeout=timeout)
    if answer is None:
        raise PreviewUnavailable(f"no render worker answered within {timeout:.0f} s")
    return PreviewReply.model_validate_json(answer[1]).html


@preview_router.get(
    "/articles/{article_id}/preview",
    response_class=HTMLResponse,
    summary="Preview an article as its public page",
    responses={
        200: {
            "description": "The page as it will look, rendered with the site's real templates.",
            "content": {
                "text/html": {
                    "example": '<!doctype html><html lang="en">…<h1>Is osteoporosis an autoimmune disease?</h1>…</html>'
                }
            },
        },
        **problems(*EDITOR, 404, 503),
    },
)
def preview_article(
    article_id: ArticleId, request: Request, session: SessionDep, _: Editor
) -> HTMLResponse:
    """The article's current text (draft or published) rendered as its public page."""
    snapshot = build_snapshot(session, service.get(session, article_id=article_id))
    settings = request.app.state.settings
    try:
        with redis.Redis.from_url(
            settings.broker_url, socket_timeout=PREVIEW_TIMEOUT_SECONDS + 5
        ) as client:
            html = request_preview(
                request.app.state.celery, client, snapshot, timeout=PREVIEW_TIMEOUT_SECONDS
            )
    except (PreviewUnavailable, redis.RedisError) as exc:
        log.warning("preview of article %s failed: %s", article_id, exc)
        raise Problem(
            503, "The preview could not be rendered right now; try again shortly."
        ) from exc
    # A preview is private and changes with every edit.
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})
