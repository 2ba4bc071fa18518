"""The articles list's rules that are not the API's: which filters the editor accepts, and
the pages around the one shown. Plain functions; routes.py only renders their answers."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from services.articles import listing
from services.articles.schemas import ArticleQuery

PER_PAGE = 20


class InvalidFilter(ValueError):
    """A status the editor does not offer (``deleted``: those articles are gone)."""


def parse_query(*, status: str, q: str, page: str) -> ArticleQuery:
    """The list's query, or ValueError (pydantic's ValidationError is one). ``deleted`` is
    a status the API knows but the editor does not list: refused like ``bogus``."""
    if status and status not in listing.EDITOR_STATUSES:
        raise InvalidFilter(status)
    return ArticleQuery.model_validate(
        {"status": status or None, "q": q or None, "page": page, "per_page": PER_PAGE}
    )


def page_link(status: str, q: str, page: int) -> str:
    params = {k: v for k, v in (("status", status), ("q", q)) if v}
    if page > 1:
        params["page"] = str(page)
    return "/editor/" + (f"?{urlencode(params)}" if params else "")


@dataclass(frozen=True)
class Paging:
    page: int
    last: int
    prev_link: str
    next_link: str


def paging(*, total: int, page: int, status: str, q: str) -> Paging:
    """Where this page sits among all of them: the last page (at least 1, an empty list
    has one page) and the links either side ("" at either end)."""
    last = max(1, -(-total // PER_PAGE))
    return Paging(
        page=page,
        last=last,
        prev_link=page_link(status, q, page - 1) if page > 1 else "",
        next_link=page_link(status, q, page + 1) if page < last else "",
    )
