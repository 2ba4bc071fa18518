"""The editor's screens: the articles list, an article (its facts, with links to edit it
and act on it), static files. The admin screens are in admin_routes.py."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from services.articles import listing, repository, service
from services.articles.deps import SessionDep
from services.articles.editor import ids, lists, pages
from services.articles.editor.deps import Staff
from services.articles.errors import ArticleNotFound, PageTooDeep
from services.articles.snapshots import article_path

screens_router = APIRouter(prefix="/editor", include_in_schema=False)
YEAR = "public, max-age=31536000, immutable"


@screens_router.get("")
def editor_root() -> Response:
    return RedirectResponse("/editor/", status_code=308)


@screens_router.get("/")
def articles(
    signed: Staff, session: SessionDep, status: str = "", q: str = "", page: str = "1"
) -> Response:
    """Every article but deleted ones, filtered and searched by the API's own listing."""
    common: dict[str, Any] = {
        "user": signed.user,
        "csrf_token": signed.csrf_token,
        "statuses": listing.EDITOR_STATUSES,
    }
    form: dict[str, Any] = {"status_filter": status, "q": q}
    try:
        query = lists.parse_query(status=status, q=q, page=page)
        rows, total = listing.find_articles(session, query=query, public=False)
    except ValueError:
        return pages.render(
            "articles.html", 422, **common, **form, rows=[], total=0, pages=[],
            error="Those filters are not valid: pick a status from the list, keep the "
            "search under 200 characters, and use a page number.",
        )  # fmt: skip
    except PageTooDeep:
        return pages.error_page(404, "No such page", "This list has no page that far.", **common)
    categories = repository.categories_by_id(session)
    paging = lists.paging(total=total, page=query.page, status=status, q=q)
    return pages.render(
        "articles.html", **common, **form, total=total, error="",
        rows=[(a, categories[a.category_id].name) for a in rows],
        page=paging.page, last=paging.last,
        prev_link=paging.prev_link, next_link=paging.next_link,
    )  # fmt: skip


@screens_router.get("/articles/{article_id}")
def article(signed: Staff, session: SessionDep, article_id: str) -> Response:
    """The article's facts, with its actions. Any id that names no article, ``abc`` included, is
    the same 404 page (a browser gets a page, not the API's problem+json)."""
    common: dict[str, Any] = {"user": signed.user, "csrf_token": signed.csrf_token}
    found = None
    number = ids.parse_id(article_id)
    if number is not None:
        with suppress(ArticleNotFound):
            found = service.get(session, article_id=number)
    if found is None:
        return pages.error_page(
            404, "No such article", "There is no article with this id.", **common
        )
    category = repository.get_category(session, found.category_id)
    assert category is not None  # a foreign key: every article has its category
    url = article_path(category.slug, found.slug) if found.status == "published" else ""
    return pages.render("article.html", **common, article=found, category=category, url=url)


@screens_router.get("/static/{name}")
def static(name: str) -> Response:
    found = pages.static_files()[1].get(name)
    if found is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(found.content, media_type=found.media_type, headers={"Cache-Control": YEAR})


@screens_router.get("/{anything:path}")
def not_found(anything: str) -> Response:
    """Any other address under /editor: a page a browser can show, not problem+json."""
    return pages.error_page(404, "Page not found", "There is no editor page at this address.")
