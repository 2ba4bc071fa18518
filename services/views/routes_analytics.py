"""Analytics for editors (token): an article's breakdown over a date range and its daily
series as CSV. Site-wide "most viewed" over 1/7/30 days is the public /top in routes.py."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BeforeValidator

from services.views import analytics
from services.views.auth import Editor
from services.views.routes import ArticleId
from services.views.schemas import BreakdownOut, ValueCount

router = APIRouter(prefix="/api/v1/views", tags=["analytics"])
DEFAULT_DAYS = 30
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _iso_day(value: object) -> object:
    """Only YYYY-MM-DD, as `format: date` says: pydantic would also read `to=0` as a Unix
    time (1970-01-01) and answer for a range nobody asked for."""
    if isinstance(value, str) and _ISO_DAY.fullmatch(value) is None:
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]
RANGE_RULE = (
    f" A range longer than {analytics.MAX_RANGE_DAYS} days is cut to the"
    f" {analytics.MAX_RANGE_DAYS} days ending at `to`; a `from` after `to` covers no day"
    " (an empty answer). The answer names the days it covers."
)
From = Annotated[
    Day | None,
    Query(alias="from", description="First UTC day (default: 29 days before `to`)." + RANGE_RULE),
]
To = Annotated[
    Day | None, Query(alias="to", description="Last UTC day, included (default: today).")
]
EDITOR_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "No editor token."},
    404: {"description": "Unknown article."},
}


def _range(request: Request, first: date | None, last: date | None) -> tuple[date, date]:
    """The days answered for (see RANGE_RULE)."""
    last = last or request.app.state.clock().date()
    if first is None:
        # `to` in the first days of year 1 has fewer days before it than the default range.
        first = last - min(timedelta(days=DEFAULT_DAYS - 1), last - date.min)
    return analytics.effective_range(first, last)


@router.get(
    "/{article_id}/breakdown",
    response_model=BreakdownOut,
    response_model_by_alias=True,
    summary="Where an article's readers came from and on what devices, over a date range",
    responses=EDITOR_ONLY,
)
async def read_breakdown(
    article_id: ArticleId,
    request: Request,
    response: Response,
    _editor: Editor,
    first: From = None,
    last: To = None,
) -> BreakdownOut:
    first_day, last_day = _range(request, first, last)
    db = request.app.state.db

    def query() -> analytics.Breakdown:
        with db.transaction() as session:
            return analytics.breakdown(
                session, article_id=article_id, first=first_day, last=last_day
            )

    found = await run_in_threadpool(query)
    response.headers["Cache-Control"] = "private, no-store"

    def listed(dim: str) -> list[ValueCount]:
        return [ValueCount(value=v, views=n) for v, n in found.listed[dim]]

    return BreakdownOut(
        article_id=article_id,
        first_day=found.first,
        last_day=found.last,
        views=found.views,
        referrers=found.referrers,
        devices=found.devices,
        domains=listed("domain"),
        utm_source=listed("utm_source"),
        utm_medium=listed("utm_medium"),
        utm_campaign=listed("utm_campaign"),
    )


@router.get(
    "/{article_id}/daily.csv",
    summary="An article's daily series as CSV: views, by referrer class and by device",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **EDITOR_ONLY},
)
async def export_daily_csv(
    article_id: ArticleId,
    request: Request,
    _editor: Editor,
    first: From = None,
    last: To = None,
) -> Response:
    first_day, last_day = _range(request, first, last)
    db = request.app.state.db

    def query() -> str:
        with db.transaction() as session:
            return analytics.daily_csv(
                session, article_id=article_id, first=first_day, last=last_day
            )

    body = await run_in_threadpool(query)
    name = f"views-{article_id}-{first_day}-{last_day}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
