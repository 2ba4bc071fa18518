"""People over HTTP: admins manage authors and reviewers; anyone with a token reads them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.articles import people, presenters
from services.articles import people_repository as repo
from services.articles.deps import Admin, ClockDep, SessionDep, Staff
from services.articles.openapi import EDITOR, problems
from services.articles.people_schemas import PersonCreate, PersonOut, PersonUpdate
from shared.contracts import SLUG_PATTERN

people_router = APIRouter(prefix="/api/v1/people", tags=["people"])

PersonSlug = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=120)]


@people_router.get(
    "", response_model=list[PersonOut], summary="List people", responses=problems(*EDITOR)
)
def list_people(session: SessionDep, _: Staff) -> list[PersonOut]:
    """Every author and reviewer, by name."""
    return [presenters.person_out(p) for p in repo.list_people(session)]


@people_router.get(
    "/{slug}", response_model=PersonOut, summary="Read a person", responses=problems(*EDITOR, 404)
)
def read_person(slug: PersonSlug, session: SessionDep, _: Staff) -> PersonOut:
    """One person, with the path of their public profile page."""
    return presenters.person_out(people.get_by_slug(session, slug))


@people_router.post(
    "",
    status_code=201,
    response_model=PersonOut,
    summary="Create a person (admin)",
    responses=problems(*EDITOR, 409, 422),
)
def create_person(
    data: PersonCreate, response: Response, session: SessionDep, _: Admin, clock: ClockDep
) -> PersonOut:
    """An author or reviewer; the slug (their profile page, /people/{slug}) is made from the
    name unless given."""
    person = people.create(session, data=data, now=clock())
    response.headers["Location"] = f"/api/v1/people/{person.slug}"
    return presenters.person_out(person)


@people_router.patch(
    "/{slug}",
    response_model=PersonOut,
    summary="Edit a person (admin)",
    responses=problems(*EDITOR, 404, 409, 422),
)
def update_person(
    slug: PersonSlug, data: PersonUpdate, session: SessionDep, _: Admin, clock: ClockDep
) -> PersonOut:
    """A new name, credentials, bio or photo re-renders their profile page and every page
    that shows them; a new slug leaves the old profile URL redirecting."""
    return presenters.person_out(people.update(session, slug=slug, data=data, now=clock()))


@people_router.delete(
    "/{slug}",
    status_code=204,
    summary="Delete a person (admin)",
    responses=problems(*EDITOR, 404, 409),
)
def delete_person(slug: PersonSlug, session: SessionDep, _: Admin, clock: ClockDep) -> Response:
    """Only someone no article, review record or token names (409 otherwise)."""
    people.delete(session, slug=slug, now=clock())
    return Response(status_code=204)
