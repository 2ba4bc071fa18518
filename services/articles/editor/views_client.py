"""The views API, read over HTTP: an article's daily views and its breakdown for the editor.

The articles service never imports the views service nor reads its database; the numbers
the views service alone keeps (views per day, referrer and device classes) are asked of its
API, at HEALTHHUB_VIEWS_API_URL, with the editor token HEALTHHUB_VIEWS_API_TOKEN (its digest
listed in the views service's HEALTHHUB_EDITOR_TOKEN_HASHES; without it, an unpublished
article's days and any breakdown are refused there).

Every failure (not configured, refused connection, timeout, an error status, an answer of
another shape) is ``ViewsUnavailable`` with a sentence for the page: the editor shows a
"numbers unavailable" box, never an error page. The timeout is short
(HEALTHHUB_VIEWS_API_TIMEOUT_SECONDS) because a person is waiting for the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import httpx
from pydantic import BaseModel, Field, ValidationError

from services.articles.settings import ArticlesSettings

log = logging.getLogger("healthhub.articles.editor.views")
DAYS = 30


class ViewsUnavailable(Exception):
    """The views API could not give the numbers; the message says why, for the page."""


class _Day(BaseModel):
    day: date
    views: int = Field(ge=0)


class _Daily(BaseModel):
    days: list[_Day]


class _Breakdown(BaseModel):
    first: date = Field(alias="from")
    last: date = Field(alias="to")
    views: int = Field(ge=0)
    referrers: dict[str, int]
    devices: dict[str, int]


@dataclass(frozen=True)
class Breakdown:
    first: date
    last: date
    views: int
    referrers: list[tuple[str, int]]  # most views first
    devices: list[tuple[str, int]]


@dataclass(frozen=True)
class Numbers:
    days: list[tuple[date, int]]  # oldest first, today last; empty: nothing counted yet
    breakdown: Breakdown | None  # None: no token configured, the days alone
    note: str  # why something is missing, or ""


def _ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _get(client: httpx.Client, path: str) -> httpx.Response | None:
    """The answer, None for 404 (the views service has not heard of the article: never
    published, or no view yet); ViewsUnavailable for anything else that is not a 200."""
    try:
        response = client.get(path)
    except httpx.HTTPError as exc:
        log.warning("editor: views API unreachable at %s: %s", client.base_url, exc)
        raise ViewsUnavailable("The views service did not answer in time.") from None
    if response.status_code == 404:
        return None
    if response.status_code == 401:
        log.warning("editor: the views API refused HEALTHHUB_VIEWS_API_TOKEN")
        raise ViewsUnavailable("The views service refused the editor's token (an operator "
                               "should check HEALTHHUB_VIEWS_API_TOKEN).")  # fmt: skip
    if response.status_code != 200:
        log.warning("editor: the views API answered %s for %s", response.status_code, path)
        raise ViewsUnavailable(f"The views service answered {response.status_code}.")
    return response


def fetch(settings: ArticlesSettings, article_id: int) -> Numbers:
    """The last 30 days of ``article_id`` and, with a token, where its readers came from."""
    if not settings.views_api_url:
        raise ViewsUnavailable("The views service is not configured (HEALTHHUB_VIEWS_API_URL).")
    token = settings.views_api_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(
            base_url=settings.views_api_url,
            headers=headers,
            timeout=settings.views_api_timeout_seconds,
            follow_redirects=False,
        ) as client:
            daily = _get(client, f"/api/v1/views/{article_id}/daily?days={DAYS}")
            if daily is None:
                return Numbers([], None, "No views have been counted for this article yet.")
            days = [(d.day, d.views) for d in _Daily.model_validate_json(daily.content).days]
            if not token:
                return Numbers(days, None, "Where readers came from needs the editor's token "
                               "for the views service (HEALTHHUB_VIEWS_API_TOKEN).")  # fmt: skip
            found = _get(client, f"/api/v1/views/{article_id}/breakdown")
            if found is None:
                return Numbers(days, None, "No breakdown yet.")
            data = _Breakdown.model_validate_json(found.content)
    except httpx.InvalidURL:
        raise ViewsUnavailable("HEALTHHUB_VIEWS_API_URL is not a URL.") from None
    except ValidationError as exc:
        log.warning("editor: the views API answered in an unexpected shape: %s", exc)
        raise ViewsUnavailable("The views service answered in an unexpected shape.") from None
    breakdown = Breakdown(
        data.first, data.last, data.views, _ranked(data.referrers), _ranked(data.devices)
    )
    return Numbers(days, breakdown, "")
