"""Categories, tags and authors: what articles are filed under."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.articles import categories, presenters, repository
from services.articles.category_schemas import (
    AuthorCount,
    CategoryCreate,
    CategoryOut,
    CategoryUpdate,
    TagCount,
)
from services.articles.deps import Admin, ClockDep, Editor, SessionDep
from services.articles.openapi import EDITOR, problems
from shared.contracts import SLUG_PATTERN

taxonomy_router = APIRouter(prefix="/api/v1", tags=["categories, tags and authors"])

CategorySlug = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=120)]
# What editors count: everything but deleted articles.
LIVING = ("draft", "scheduled", "published", "unpublished", "archived")


@taxonomy_router.get(
    "/categories",
    response_model=list[CategoryOut],
    summary="List categories",
    responses=problems(*EDITOR),
)
def list_categories_for_editors(session: SessionDep, _: Editor) -> list[CategoryOut]:
    """Every category with its parent slug, by name."""
    return [presenters.category_out(session, c) for c in repository.list_categories(session)]


@taxonomy_router.post(
    "/categories",
    status_code=201,
    response_model=CategoryOut,
    summary="Create a category (admin)",
    responses=problems(*EDITOR, 409),
)
def create_category(
    data: CategoryCreate, response: Response, session: SessionDep, _: Admin, clock: ClockDep
) -> CategoryOut:
    """A category under an optional parent; the parents give an article's breadcrumb."""
    category = categories.create_category(
        session,
        slug=data.slug,
        name=data.name,
        description=data.description,
        parent=data.parent,
        now=clock(),
        requires_review=data.requires_review,
        review_interval_months=data.review_interval_months,
    )
    response.headers["Location"] = f"/api/v1/categories/{category.slug}"
    return presenters.category_out(session, category)


@taxonomy_router.patch(
    "/categories/{slug}",
    response_model=CategoryOut,
    summary="Edit a category (admin)",
    responses=problems(*EDITOR, 404, 409),
)
def update_category(
    slug: CategorySlug,
    data: CategoryUpdate,
    response: Response,
    session: SessionDep,
    token: Admin,
    clock: ClockDep,
) -> CategoryOut:
    """Rename, describe, move or re-slug a category. Every page showing it is re-rendered
    (a new version of each published article under it is sent); a new slug leaves the old
    URLs redirecting (301). Setting `requires_review` sends its scheduled articles without
    an approval in force back to draft. 409: the slug belongs to another category; 422: an
    unknown parent, or a parent inside this category."""
    category, resent = categories.update_category(
        session, slug=slug, data=data, actor=token.name, now=clock()
    )
    response.headers["Location"] = f"/api/v1/categories/{category.slug}"
    response.headers["X-Articles-Updated"] = str(resent)
    return presenters.category_out(session, category)


@taxonomy_router.delete(
    "/categories/{slug}",
    status_code=204,
    summary="Delete an empty category (admin)",
    responses=problems(*EDITOR, 404, 409),
)
def delete_category(slug: CategorySlug, session: SessionDep, _: Admin) -> Response:
    """Only a category with no articles (of any status) and no sub-categories."""
    categories.delete_category(session, slug=slug)
    return Response(status_code=204)


@taxonomy_router.get(
    "/tags", response_model=list[TagCount], summary="List tags", responses=problems(*EDITOR)
)
def list_tags(session: SessionDep, _: Editor) -> list[TagCount]:
    """Every tag in use, with how many (not deleted) articles carry it."""
    return [TagCount(tag=t, articles=n) for t, n in repository.tag_counts(session, LIVING)]


@taxonomy_router.get(
    "/authors",
    response_model=list[AuthorCount],
    summary="List authors",
    responses=problems(*EDITOR),
)
def list_authors(session: SessionDep, _: Editor) -> list[AuthorCount]:
    """Every author named on an article, with how many (not deleted) articles name them."""
    return [AuthorCount(name=a, articles=n) for a, n in repository.author_counts(session, LIVING)]
