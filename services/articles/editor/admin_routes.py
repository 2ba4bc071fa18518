"""The admin screens: people and categories here, users and API tokens in
admin_access_routes.py (included in ``admin_router``, so the app adds one router).

Every screen is a client of the functions the API calls (people.create, categories.
update_category...) through the API's own request models (admin_forms.py); a refused save
undoes what it wrote and shows the form again with the messages beside the fields. Every
screen needs the admin role, as the API's writes do: an editor gets a 403 page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from services.articles import categories, people, presenters, repository
from services.articles import people_repository as people_repo
from services.articles.deps import ClockDep, SessionDep
from services.articles.editor import admin_forms as forms
from services.articles.editor import ids, pages, users
from services.articles.editor.admin_access_routes import access_router, common
from services.articles.editor.deps import Admin
from services.articles.editor.sessions import SignedIn
from services.articles.errors import (
    CategoryCycle,
    CategoryNotFound,
    CategorySlugTaken,
    PersonSlugTaken,
)
from services.articles.media import repository as media_repo
from services.articles.media import service as media_service
from services.articles.media.errors import UnknownMedia
from services.articles.models import Category, Person

admin_router = APIRouter(prefix="/editor/admin", include_in_schema=False)
admin_router.include_router(access_router)

PEOPLE = "/editor/admin/people"
CATEGORIES = "/editor/admin/categories"
# The photo list offers the newest images of the library (and the current photo).
PHOTO_CHOICES = 100
PERSON_ERRORS = {PersonSlugTaken: "slug", UnknownMedia: "photo_media_id"}
CATEGORY_ERRORS = {CategorySlugTaken: "slug", CategoryNotFound: "parent", CategoryCycle: "parent"}


# People ---------------------------------------------------------------------------------


@admin_router.get("/people")
def people_screen(signed: Admin, session: SessionDep) -> Response:
    rows = [presenters.person_out(p) for p in people_repo.list_people(session)]
    return pages.render("people.html", **common(signed), people=rows)


@admin_router.get("/people/new")
def new_person(signed: Admin, session: SessionDep) -> Response:
    return _person_form(signed, session, None, {}, {})


@admin_router.post("/people/new")
def create_person(
    signed: Admin, session: SessionDep, clock: ClockDep, form: forms.FormFields
) -> Response:
    try:
        with forms.as_form_errors(PERSON_ERRORS, conflicts=(PersonSlugTaken,)):
            people.create(session, data=forms.new_person(form), now=clock())
    except forms.FormInvalid as exc:
        forms.abandon(session)
        return _person_form(signed, session, None, form, exc.errors, exc.status)
    return RedirectResponse(PEOPLE, status_code=303)


@admin_router.get("/people/{slug}/edit")
def edit_person(signed: Admin, session: SessionDep, slug: str) -> Response:
    person = _find_person(session, slug)
    if person is None:
        return _no_person(signed)
    form = {
        "name": person.name,
        "slug": person.slug,
        "credentials": person.credentials,
        "bio": person.bio,
        "photo_media_id": str(person.photo_media_id or ""),
    }
    return _person_form(signed, session, person.slug, form, {})


@admin_router.post("/people/{slug}/edit")
def update_person(
    signed: Admin, session: SessionDep, clock: ClockDep, form: forms.FormFields, slug: str
) -> Response:
    if _find_person(session, slug) is None:
        return _no_person(signed)
    try:
        with forms.as_form_errors(PERSON_ERRORS, conflicts=(PersonSlugTaken,)):
            people.update(session, slug=slug, data=forms.person_changes(form), now=clock())
    except forms.FormInvalid as exc:
        forms.abandon(session)
        return _person_form(signed, session, slug, form, exc.errors, exc.status)
    return RedirectResponse(PEOPLE, status_code=303)


def _find_person(session: Session, slug: str) -> Person | None:
    return people_repo.get_person_by_slug(session, slug) if forms.is_slug(slug) else None


def _no_person(signed: SignedIn) -> Response:
    return pages.error_page(404, "No such person", "There is no person here.", **common(signed))


def _photos(session: Session, current: int | None) -> list[tuple[str, str]]:
    images, _ = media_service.list_page(session, page=1, per_page=PHOTO_CHOICES)
    if current is not None and all(m.id != current for m in images):
        found = media_repo.get(session, current)
        images = [found, *images] if found is not None else images
    options = [("", "No photo")]
    options += [(str(m.id), f"#{m.id}: {m.alt[:80]} ({m.width} by {m.height} px)") for m in images]
    return options


def _person_form(
    signed: SignedIn,
    session: Session,
    slug: str | None,
    form: forms.Form,
    errors: forms.Errors,
    status: int = 200,
) -> Response:
    """The form to create (``slug`` None) or edit the person at ``slug``."""
    editing = slug is not None
    return pages.render(
        "person_form.html", status, **common(signed), form=form, errors=errors, editing=editing,
        heading="Edit person" if editing else "New person",
        submit="Save" if editing else "Create person",
        action=f"{PEOPLE}/{slug}/edit" if editing else f"{PEOPLE}/new",
        photos=_photos(session, ids.parse_id(form.get("photo_media_id", ""))),
    )  # fmt: skip


# Categories -----------------------------------------------------------------------------


@admin_router.get("/categories")
def categories_screen(signed: Admin, session: SessionDep) -> Response:
    rows = [presenters.category_out(session, c) for c in repository.list_categories(session)]
    return pages.render("categories.html", **common(signed), categories=rows)


@admin_router.get("/categories/new")
def new_category(signed: Admin, session: SessionDep) -> Response:
    return _category_form(signed, session, None, {"review_interval_months": "12"}, {})


@admin_router.post("/categories/new")
def create_category(
    signed: Admin, session: SessionDep, clock: ClockDep, form: forms.FormFields
) -> Response:
    try:
        with forms.as_form_errors(CATEGORY_ERRORS, conflicts=(CategorySlugTaken,)):
            data = forms.new_category(form)
            categories.create_category(
                session, slug=data.slug, name=data.name, description=data.description,
                parent=data.parent, now=clock(), requires_review=data.requires_review,
                review_interval_months=data.review_interval_months,
            )  # fmt: skip
    except forms.FormInvalid as exc:
        forms.abandon(session)
        return _category_form(signed, session, None, form, exc.errors, exc.status)
    return RedirectResponse(CATEGORIES, status_code=303)


@admin_router.get("/categories/{slug}/edit")
def edit_category(signed: Admin, session: SessionDep, slug: str) -> Response:
    category = _find_category(session, slug)
    if category is None:
        return _no_category(signed)
    shown = presenters.category_out(session, category)
    form = {
        "name": shown.name,
        "slug": shown.slug,
        "description": shown.description,
        "parent": shown.parent or "",
        "review_interval_months": str(shown.review_interval_months),
    }
    if shown.requires_review:
        form["requires_review"] = "on"
    return _category_form(signed, session, category.slug, form, {})


@admin_router.post("/categories/{slug}/edit")
def update_category(
    signed: Admin, session: SessionDep, clock: ClockDep, form: forms.FormFields, slug: str
) -> Response:
    if _find_category(session, slug) is None:
        return _no_category(signed)
    try:
        with forms.as_form_errors(CATEGORY_ERRORS, conflicts=(CategorySlugTaken,)):
            categories.update_category(
                session, slug=slug, data=forms.category_changes(form),
                actor=users.actor_of(signed.user), now=clock(),
            )  # fmt: skip
    except forms.FormInvalid as exc:
        forms.abandon(session)
        return _category_form(signed, session, slug, form, exc.errors, exc.status)
    return RedirectResponse(CATEGORIES, status_code=303)


def _find_category(session: Session, slug: str) -> Category | None:
    return repository.get_category_by_slug(session, slug) if forms.is_slug(slug) else None


def _no_category(signed: SignedIn) -> Response:
    return pages.error_page(404, "No such category", "There is no category here.", **common(signed))


def _category_form(
    signed: SignedIn,
    session: Session,
    slug: str | None,
    form: forms.Form,
    errors: forms.Errors,
    status: int = 200,
) -> Response:
    """The form to create (``slug`` None) or edit the category at ``slug``."""
    editing = slug is not None
    parents: list[tuple[str, str]] = [("", "None: a top-level category")]
    parents += [(c.slug, c.name) for c in repository.list_categories(session) if c.slug != slug]
    context: dict[str, Any] = {
        "heading": "Edit category" if editing else "New category",
        "submit": "Save" if editing else "Create category",
        "action": f"{CATEGORIES}/{slug}/edit" if editing else f"{CATEGORIES}/new",
    }
    return pages.render(
        "category_form.html", status, **common(signed), **context,
        form=form, errors=errors, editing=editing, parents=parents,
    )  # fmt: skip
