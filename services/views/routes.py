"""The thin HTTP layer of the views service."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from services.views import beacon, service
from services.views.auth import is_editor
from services.views.pixel import PIXEL
from services.views.schemas import (
    BeaconOut,
    CountsOut,
    DailyOut,
    DayCount,
    TopArticle,
    TopOut,
)
from shared.contracts import SLUG_PATTERN
from shared.problems import Problem

log = logging.getLogger("healthhub.views.routes")
router = APIRouter(prefix="/api/v1/views", tags=["views"])


class _ArticleSegment(StringConvertor):
    """An article id segment that is never the word ``top``: /views/top is the most-viewed
    list, so a POST there must meet that resource (405, Allow: GET), not the beacon route
    with the id "top" (422). Any other malformed id still reaches the route and its 422."""

    regex = "(?!top$)[^/]+"


register_url_convertor("article_segment", _ArticleSegment())
ONE_ARTICLE = "/{article_id:article_segment}"

ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The article's numeric id.")]
NO_STORE = {"Cache-Control": "no-store"}


async def _record(request: Request, article_id: int) -> service.Outcome:
    # The pure-ASGI fast path (fastpath.py) answers these requests first; these routes serve
    # the OpenAPI document and any app mounted without it, with the same function.
    return await beacon.record_view(
        request.app.state.beacon,
        article_id=article_id,
        peer=request.client.host if request.client else None,
        raw_headers=request.scope["headers"],
        query=request.scope.get("query_string", b""),
    )


@router.get("/top", response_model=TopOut, summary="Most viewed live articles")
async def read_top(
    request: Request,
    response: Response,
    window: Annotated[
        Literal["1d", "7d", "30d", "all"], Query(description="Days back from today, or all time.")
    ] = "7d",
    category: Annotated[
        str | None, Query(pattern=SLUG_PATTERN, max_length=120, description="A category slug.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> TopOut:
    state = request.app.state
    today = state.clock().date()

    def query() -> list[service.TopEntry]:
        with state.db.transaction() as session:
            return service.top(session, window=window, category=category, limit=limit, today=today)

    entries = await run_in_threadpool(query)
    response.headers["Cache-Control"] = "public, max-age=30"
    return TopOut(
        window=window,
        category=category,
        articles=[TopArticle(**e.__dict__) for e in entries],
    )


@router.post(
    ONE_ARTICLE,
    status_code=202,
    response_model=BeaconOut,
    summary="Count a page view (the article page's beacon)",
    responses={
        204: {
            "description": "A bot, a prefetch, or sent from another site: answered, not counted."
        },
        404: {"description": "No published article with this id."},
        429: {"description": "Too many beacons from this client."},
    },
)
async def post_beacon(article_id: ArticleId, request: Request) -> Response | BeaconOut:
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
    try:
        await _record(request, article_id)
    except Exception:  # Redis down, or a bug: logged, and the image all the same
        log.exception("pixel failed for article %s", article_id)
    # Always the image: a broken-image icon on the page would help nobody.
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


def _cache(response: Response, editor: bool, public: str) -> None:
    # An editor's answer may hold a withdrawn article's counts: never in a shared cache.
    response.headers["Cache-Control"] = "private, no-store" if editor else public
    response.headers["Vary"] = "Authorization"


@router.get(
    ONE_ARTICLE,
    response_model=CountsOut,
    summary="View counts of one article",
    responses={404: {"description": "Unknown, or withdrawn and no editor token."}},
)
async def read_counts(article_id: ArticleId, request: Request, response: Response) -> CountsOut:
    state = request.app.state
    today = state.clock().date()
    editor = is_editor(request)

    def query() -> service.Counts:
        with state.db.transaction() as session:
            return service.counts(session, article_id=article_id, today=today, withdrawn=editor)

    counts = await run_in_threadpool(query)
    _cache(response, editor, "public, max-age=5")
    return CountsOut(**counts.__dict__)


@router.get(
    "/{article_id}/daily",
    response_model=DailyOut,
    summary="Views per day of one article",
    responses={404: {"description": "Unknown, or withdrawn and no editor token."}},
)
async def read_daily(
    article_id: ArticleId,
    request: Request,
    response: Response,
    days: Annotated[int, Query(ge=1, le=366, description="How many days, today included.")] = 30,
) -> DailyOut:
    state = request.app.state
    today = state.clock().date()
    editor = is_editor(request)

    def query() -> list[tuple[date, int]]:
        with state.db.transaction() as session:
            return service.daily(
                session, article_id=article_id, today=today, days=days, withdrawn=editor
            )

    rows = await run_in_threadpool(query)
    _cache(response, editor, "public, max-age=30")
    return DailyOut(article_id=article_id, days=[DayCount(day=d, views=n) for d, n in rows])
