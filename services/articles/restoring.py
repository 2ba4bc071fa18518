"""What restoring a revision sends to ``update``: its content, under today's names.

A revision stores slugs (``category``, ``author_slugs``) and, since these were added, ids
(``category_id``, ``author_ids``). Slugs change: restoring by slug alone failed after a
re-slug (422 "No category ..."/PersonNotFound) or, when a new category took the old slug,
silently moved the article there. So the ids decide when present and still name a row.
An older revision has slugs only: a former category slug goes through category_redirects
to the category that had it, but when a new category holds the slug now, the redirect wins
only if its category is the article's own (the best evidence we have that the article was
filed there). Old author slugs count only if each still names the person of the stored
name; otherwise the stored names decide (the string API's rule, as migration 0003 made
people from names).

A revision the current schema refuses (a rule tightened since it was saved) is a 409
problem naming the fields, never a 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.articles import people_repository as people_repo
from services.articles import repository
from services.articles.errors import RevisionNotRestorable
from services.articles.models import Article, Revision
from services.articles.schemas import ArticleUpdate

# Stored beside the content to find rows again; not fields of an update.
ID_KEYS = ("category_id", "author_ids")


def revision_ids(category_id: int, author_ids: list[int]) -> dict[str, Any]:
    """The ids a revision stores from now on (see the module docstring)."""
    return {"category_id": category_id, "author_ids": author_ids}


def restorable_update(
    session: Session, article: Article, revision: Revision, *, review_records: bool
) -> ArticleUpdate:
    """The update that brings back ``revision``'s content. Not the status (publishing stays
    an explicit act), nor an external hero URL: those are retired (the schema takes only
    null), and the article keeps the one it has; nor, where review records decide it
    (``review_records``), the review line."""
    data, version = revision.data, revision.version
    skip = {"status", "hero_image_url", *ID_KEYS}
    if review_records:
        skip |= {"reviewed_by", "last_reviewed"}
    content = {k: v for k, v in data.items() if k not in skip}
    if "category" in content:
        content["category"] = _category_slug(session, article, data, revision.created_at)
    content.update(_authors(session, data))
    try:
        return ArticleUpdate.model_validate(content)
    except ValidationError as exc:
        raise RevisionNotRestorable(article.id, version, _fields(exc)) from exc


def _category_slug(
    session: Session, article: Article, data: dict[str, Any], written: datetime
) -> Any:
    category_id = data.get("category_id")
    if isinstance(category_id, int):
        category = repository.get_category(session, category_id)
        if category is not None:
            return category.slug
    slug = data.get("category")
    if not isinstance(slug, str):
        return slug  # validation answers
    holder = repository.get_category_by_slug(session, slug)
    redirect = repository.get_category_redirect(session, slug)
    if redirect is not None and (holder is None or redirect.category_id == article.category_id):
        target = repository.get_category(session, redirect.category_id)
        return target.slug if target is not None else slug
    if holder is not None and holder.created_at > written:
        # The slug belongs to a category made after this revision was written (it took a
        # renamed category's old slug over): not the one the revision meant.
        current = repository.get_category(session, article.category_id)
        return current.slug if current is not None else slug
    return slug


def _authors(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """``author_slugs`` (today's slugs) when the stored ids or slugs still name the people,
    else only the stored names (``author_slugs`` None, so ``authors`` decides)."""
    ids = data.get("author_ids")
    if isinstance(ids, list) and all(isinstance(i, int) for i in ids):
        found = [people_repo.get_person(session, i) for i in ids]
        if all(p is not None for p in found):
            return {"author_slugs": [p.slug for p in found if p is not None]}
    slugs = data.get("author_slugs")
    names = data.get("authors")
    if isinstance(slugs, list) and all(isinstance(s, str) for s in slugs):
        by_slug = people_repo.people_by_slug(session, slugs)
        if [by_slug[s].name if s in by_slug else None for s in slugs] == names:
            return {"author_slugs": slugs}
    if "author_slugs" not in data and "authors" not in data:
        return {}
    return {"author_slugs": None}


def _fields(exc: ValidationError) -> list[str]:
    return sorted({".".join(str(p) for p in err["loc"]) or "(revision)" for err in exc.errors()})
