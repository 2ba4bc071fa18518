"""Categories (admin): create, delete, and edit: rename, describe, move, change its slug.

A category is part of what every page of its articles shows (breadcrumbs, cards, the
category page, the navigation for a top-level one). An edit therefore sends a new version
of every published article filed under the category or below it (their snapshots carry the
category's name, slug, description and ancestors): the render service applies them through
the ordinary flow, and its marks re-render exactly the pages that show the category
(services/render/listings.py). New versions rather than a separate category event: each
article's snapshots stay totally ordered by version, so a late or duplicated delivery can
never bring an old name back. The cost is that an editor holding an older version of such
an article is asked to reload (409), as after any other change to it.

A slug change keeps the old slug as a redirect (category_redirects): snapshots carry it as
the category's former slugs, and the render service leaves 301s for the old category pages
(its article pages already redirect from every former place).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.articles import repository, service, workflow
from services.articles.category_schemas import CategoryUpdate
from services.articles.errors import (
    CategoryCycle,
    CategoryInUse,
    CategoryNotFound,
    CategorySlugTaken,
    CategoryUnknown,
)
from services.articles.models import Category, CategoryRedirect


def update_category(
    session: Session, *, slug: str, data: CategoryUpdate, actor: str, now: datetime
) -> tuple[Category, int]:
    """Apply the edit; returns the category and how many published articles were re-sent."""
    category = repository.get_category_by_slug(session, slug)
    if category is None:
        raise CategoryUnknown(slug)
    changed = False
    if data.name is not None and data.name != category.name:
        category.name = data.name
        changed = True
    if data.description is not None and data.description != category.description:
        category.description = data.description
        changed = True
    if "parent" in data.model_fields_set:
        changed |= _move(session, category, data.parent)
    if data.slug is not None and data.slug != category.slug:
        _change_slug(session, category, data.slug, now)
        changed = True
    # Editorial rules, not shown on any page: nothing to re-send. A category that starts
    # to require review takes its unreviewed scheduled articles off the schedule.
    if data.requires_review is not None:
        newly = data.requires_review and not category.requires_review
        category.requires_review = data.requires_review
        if newly:
            reason = f"its category {category.slug!r} now requires a medical approval."
            for article in repository.scheduled_in_category(session, category.id):
                workflow.unschedule_unreviewed(
                    session, article, reason=reason, actor=actor, now=now
                )
    if data.review_interval_months is not None:
        category.review_interval_months = data.review_interval_months
    session.flush()
    if not changed:
        return category, 0
    subtree = repository.category_subtree_ids(session, category)
    articles = repository.published_in_categories(session, subtree)
    for article in articles:
        service.refresh_published(session, article, actor=actor, now=now)
    return category, len(articles)


def _move(session: Session, category: Category, parent_slug: str | None) -> bool:
    if parent_slug is None:
        moved = category.parent_id is not None
        category.parent_id = None
        return moved
    parent = repository.get_category_by_slug(session, parent_slug)
    if parent is None:
        raise CategoryNotFound(parent_slug)
    if parent.id in repository.category_subtree_ids(session, category):
        raise CategoryCycle(category.slug, parent_slug)
    moved = category.parent_id != parent.id
    category.parent_id = parent.id
    return moved


def _change_slug(session: Session, category: Category, new_slug: str, now: datetime) -> None:
    if repository.get_category_by_slug(session, new_slug) is not None:
        raise CategorySlugTaken(new_slug)
    # A slug that redirected (for this category or another) is a page of this one again.
    repository.drop_category_redirect(session, new_slug)
    session.add(CategoryRedirect(slug=category.slug, category_id=category.id, created_at=now))
    category.slug = new_slug


def create_category(
    session: Session,
    *,
    slug: str,
    name: str,
    description: str = "",
    parent: str | None = None,
    now: datetime,
    requires_review: bool = False,
    review_interval_months: int = 12,
) -> Category:
    if repository.get_category_by_slug(session, slug) is not None:
        raise CategorySlugTaken(slug)  # a 409 like SlugTaken, whose message names articles
    parent_id = None
    if parent:
        parent_row = repository.get_category_by_slug(session, parent)
        if parent_row is None:
            raise CategoryNotFound(parent)
        parent_id = parent_row.id
    # A slug a renamed category left behind is taken over: its redirect goes (the old pages
    # now belong to the new category, which the render service writes over them).
    held = session.get(CategoryRedirect, slug)
    if held is not None:
        session.delete(held)
        session.flush()
    category = Category(
        slug=slug,
        name=name,
        description=description,
        parent_id=parent_id,
        created_at=now,
        requires_review=requires_review,
        review_interval_months=review_interval_months,
    )
    session.add(category)
    session.flush()
    return category


def delete_category(session: Session, *, slug: str) -> None:
    category = repository.get_category_by_slug(session, slug)
    if category is None:
        raise CategoryUnknown(slug)
    if repository.category_in_use(session, category.id):
        raise CategoryInUse(slug)
    session.delete(category)
