"""The thin HTTP layer of the views service."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool

from services.views import readers, service
from services.views.schemas import BeaconOut, CountsOut
from shared.problems import Problem

router = APIRouter(prefix="/api/v1/views", tags=["views"])

ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The article's numeric id.")]
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store"}


async def _record(request: Request, article_id: int) -> service.Outcome:
    state = request.app.state
    headers = request.headers
    user_agent = headers.get("user-agent", "")
    if readers.is_bot(user_agent) or readers.is_prefetch(headers):
        return service.Outcome.IGNORED
    now: datetime = state.clock()
    peer = request.client.host if request.client else None
    address = state.client_address.resolve(peer, headers.get("x-forwarded-for"))
    salt = await state.salt.get(state.redis, now.date())
    reader = readers.reader_hash(salt, state.settings.salt_secret, address, user_agent)
    outcome: service.Outcome = await state.recorder.record(
        article_id=article_id, reader=reader, now=now
    )
    return outcome


@router.post(
    "/{article_id}",
    status_code=202,
    response_model=BeaconOut,
    summary="Count a page view (the article page's beacon)",
    responses={
        204: {"description": "A bot or a prefetch: answered, not counted."},
        404: {"description": "No published article with this id."},
        429: {"description": "Too many beacons from this client."},
    },
)
async def beacon(article_id: ArticleId, request: Request) -> Response | BeaconOut:
    outcome = await _record(request, article_id)
    if outcome is service.Outcome.UNKNOWN:
        raise Problem(404, f"No published article {article_id}.")
    if outcome is service.Outcome.RATE_LIMITED:
        raise Problem(
            429, "Too many views from this client; slow down.", headers={"Retry-After": "60"}
        )
    if outcome is service.Outcome.IGNORED:
        return Response(status_code=204, headers=NO_STORE)
    return BeaconOut(status=outcome.value)


@router.get(
    "/{article_id}/pixel.gif",
    summary="Count a page view from a reader without JavaScript (1x1 GIF)",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}}},
)
async def pixel(article_id: ArticleId, request: Request) -> Response:
    await _record(request, article_id)
    # Always the image: a broken-image icon on the page would help nobody.
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/{article_id}", response_model=CountsOut, summary="View counts of one article")
async def read_counts(article_id: ArticleId, request: Request, response: Response) -> CountsOut:
    state = request.app.state

    def query() -> service.Counts:
        with state.db.transaction() as session:
            return service.counts(session, article_id=article_id, today=datetime.now(UTC).date())

    counts = await run_in_threadpool(query)
    response.headers["Cache-Control"] = "public, max-age=5"
    return CountsOut(**counts.__dict__)
