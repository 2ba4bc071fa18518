"""The editor's numbers: an article's views (the read model, and the views API's 30 days and
breakdown over HTTP), and the dashboard of the week's most read articles.

The dashboard needs no HTTP: the articles database holds each article's 7-day count (the
ViewCounts messages feed it; see tasks.view_counts), so it shows even when the views
service is down, and it lists unpublished articles too (the views API's /top lists only
live ones).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from services.articles import people_repository as people_repo
from services.articles.deps import SessionDep, SettingsDep
from services.articles.editor import charts, pages, reviewing, views_client
from services.articles.editor.deps import Staff

numbers_screens = APIRouter(prefix="/editor", include_in_schema=False)
MOST_READ = 20


@numbers_screens.get("/articles/{article_id}/numbers")
def article_numbers(
    signed: Staff, session: SessionDep, settings: SettingsDep, article_id: str
) -> Response:
    """A page of its own (h1), whose #numbers section the article page loads into itself."""
    common: dict[str, Any] = {"user": signed.user, "csrf_token": signed.csrf_token}
    article = reviewing.find_article(session, article_id)
    if article is None:
        return pages.error_page(
            404, "No such article", "There is no article with this id.", **common
        )
    stored = people_repo.views_of(session, article.id)
    # Read what the page needs before the HTTP call, then end the read transaction: no
    # database snapshot is held open while the views service takes its time.
    context: dict[str, Any] = {
        "article_id": article.id,
        "title": article.title,
        "total": stored.total if stored else None,
        "recent": stored.recent if stored else None,
        "as_of": stored.updated_at if stored else None,
    }
    session.commit()
    try:
        numbers: views_client.Numbers | None = views_client.fetch(settings, article.id)
        unavailable = ""
    except views_client.ViewsUnavailable as exc:
        numbers, unavailable = None, str(exc)
    chart = charts.bar_chart(numbers.days) if numbers and numbers.days else None
    return pages.render(
        "numbers.html", **common, **context, numbers=numbers, chart=chart,
        unavailable=unavailable,
    )  # fmt: skip


@numbers_screens.get("/dashboard")
def dashboard(signed: Staff, session: SessionDep) -> Response:
    return pages.render(
        "dashboard.html", user=signed.user, csrf_token=signed.csrf_token,
        rows=people_repo.most_read(session, limit=MOST_READ),
    )  # fmt: skip
