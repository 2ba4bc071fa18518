"""Finding articles: the filters of the editor and public lists, search included."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.articles import repository, search
from services.articles.errors import PageTooDeep
from services.articles.models import Article
from services.articles.schemas import MAX_RESULTS, ArticleQuery, PublicArticleQuery
from shared.contracts import ArticleStatus

# What editors see when they ask for no status, and the only statuses the editor app offers:
# every one but deleted (a deleted article is gone; only its slug stays reserved).
EDITOR_STATUSES: tuple[ArticleStatus, ...] = (
    "draft", "in_review", "approved", "scheduled", "published", "unpublished", "archived"
)  # fmt: skip


def find_articles(
    session: Session, *, query: PublicArticleQuery, public: bool
) -> tuple[list[Article], int]:
    """One page of articles matching the query, and the total. Readers see only what is
    published; editors see every status but deleted, unless they ask for a status.

    A page past the window is "not found" rather than invalid, as Django REST framework
    answers a page out of range: each parameter is valid alone (the schema allows it), it
    is their product that reaches past the pages served."""
    if query.page * query.per_page > MAX_RESULTS:
        raise PageTooDeep(MAX_RESULTS)
    filters = repository.ArticleFilter(sort=query.sort, tag=query.tag, author=query.author)
    if public:
        filters.statuses = ["published"]
    elif isinstance(query, ArticleQuery) and query.status is not None:
        filters.statuses = [query.status]
    else:
        # Every status but deleted, said as "not deleted": the same rows, and a condition
        # no index serves, so the database walks the sort's index and stops at the page
        # (an IN over five statuses made it read and sort every article first).
        filters.extra = [*filters.extra, Article.status != "deleted"]
    if query.category is not None:
        category = repository.get_category_by_slug(session, query.category)
        # An unknown category is an empty list, not an error: readers follow old links.
        filters.category_ids = (
            repository.category_subtree_ids(session, category) if category else []
        )
    if query.q:
        filters.search = search.matches(session, query.q)
    filters.updated_since = query.updated_since
    rows, total = repository.list_articles(
        session, filters, limit=query.per_page, offset=(query.page - 1) * query.per_page
    )
    return list(rows), total
