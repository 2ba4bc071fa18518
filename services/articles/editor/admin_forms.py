"""Forms of the admin screens: browser form fields in, the API's own request models out.

A form is validated by the same pydantic model the API uses (PersonCreate, CategoryUpdate,
TokenCreate...), so a rule lives in one place; this module only turns form strings into
the JSON types those models expect (a checkbox into a bool, digits into an int, an empty
optional field into null) and turns what refuses them, a ValidationError or a domain error,
into messages beside the fields. Nothing here decides what is valid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from services.articles import outbox
from services.articles.category_schemas import CategoryCreate, CategoryUpdate
from services.articles.people_schemas import PersonCreate, PersonUpdate
from services.articles.token_schemas import TokenCreate
from shared.contracts import SLUG_PATTERN

M = TypeVar("M", bound=BaseModel)
Form = dict[str, str]
# Field name → message; the key "" is a message about the whole form.
Errors = dict[str, str]
_SLUG_HELP = "Use lower-case letters, digits and single hyphens, e.g. bones-and-joints."
_MAX_SLUG = 120


class FormInvalid(Exception):
    """The form cannot be saved: ``errors`` say why, ``status`` is the page's (422, or 409
    when the input is fine but conflicts with what is stored, e.g. a slug in use)."""

    def __init__(self, errors: Errors, status: int = 422) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.status = status


async def form_fields(request: Request) -> Form:
    """The posted fields as strings (a repeated name: the last one; a file: ignored, and
    closed, since no route of ours declares the form for FastAPI to close). Starlette
    caches the parsed form, so the CSRF check and this parse it once."""
    fields: Form = {}
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        for name, value in (await request.form()).multi_items():
            if isinstance(value, str):
                fields[name] = value
            else:
                await value.close()
    return fields


FormFields = Annotated[Form, Depends(form_fields)]


def _message(error: Mapping[str, object]) -> str:
    kind = error.get("type")
    if kind == "string_pattern_mismatch":
        return _SLUG_HELP
    if kind in ("string_too_short", "missing"):
        return "This field is needed."
    message = str(error.get("msg", "Not valid."))
    return message.removeprefix("Value error, ")


def validate(model: type[M], data: Mapping[str, object], found: Errors | None = None) -> M:
    """``model`` from ``data``, or FormInvalid with one message per field refused, together
    with the messages ``found`` while reading the form (those come first)."""
    errors: Errors = dict(found or {})
    try:
        valid = model.model_validate(dict(data))
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            errors.setdefault(field, _message(error))
        raise FormInvalid(errors) from None
    if errors:
        raise FormInvalid(errors)
    return valid


def optional(value: str) -> str | None:
    """An optional text field left empty means "none" (null in the API)."""
    return value.strip() or None


def whole_number(form: Form, name: str, errors: Errors) -> int | None:
    """A number field as an int for the model to bound-check; empty is None. Anything but
    digits is a message here (the model would only say "must be a JSON integer")."""
    value = form.get(name, "").strip()
    if not value:
        return None
    if len(value) <= 10 and value.isascii() and value.isdigit():
        return int(value)
    errors[name] = "Enter a whole number."
    return None


def checkbox(form: Form, name: str) -> bool:
    """A ticked checkbox sends its field; an unticked one sends nothing."""
    return name in form


def is_slug(text: str) -> bool:
    """Whether a URL's slug could name a row (anything else is a 404 without a query)."""
    return len(text) <= _MAX_SLUG and re.fullmatch(SLUG_PATTERN, text) is not None


@contextmanager
def as_form_errors(
    fields: Mapping[type[Exception], str], conflicts: tuple[type[Exception], ...] = ()
) -> Iterator[None]:
    """Domain errors of a save, as FormInvalid: ``fields`` says beside which field each
    kind's message goes; the kinds in ``conflicts`` make a 409 page, the others a 422."""
    try:
        yield
    except tuple(fields) as exc:
        # An error that names its own field (users.InvalidUser) goes beside that one.
        mapped = next(f for kind, f in fields.items() if isinstance(exc, kind))
        field = str(getattr(exc, "field", "") or mapped)
        status = 409 if isinstance(exc, conflicts) else 422
        raise FormInvalid({field: str(exc)}, status) from exc


def abandon(session: Session) -> None:
    """Undo what a refused save wrote so far, as a failed API request would be undone: the
    request's session commits when the route returns, and a service may have changed some
    fields before it found the problem (a category renamed, then its new slug taken). Events
    it queued for the outbox are forgotten with it."""
    session.rollback()
    outbox.take_pending(session)


def _person(form: Form, *, editing: bool) -> tuple[dict[str, object], Errors]:
    found: Errors = {}
    data: dict[str, object] = {
        "name": form.get("name", ""),
        "slug": form.get("slug", "").strip() if editing else optional(form.get("slug", "")),
        "credentials": form.get("credentials", ""),
        "bio": form.get("bio", ""),
        "photo_media_id": whole_number(form, "photo_media_id", found),
    }
    return data, found


def new_person(form: Form) -> PersonCreate:
    """A new person; an empty slug is made from the name, as in the API."""
    return validate(PersonCreate, *_person(form, editing=False))


def person_changes(form: Form) -> PersonUpdate:
    """Every field is sent, so an emptied photo removes the photo (null, as in the API) and
    an emptied slug is refused rather than ignored."""
    return validate(PersonUpdate, *_person(form, editing=True))


def _category(form: Form) -> tuple[dict[str, object], Errors]:
    found: Errors = {}
    months = whole_number(form, "review_interval_months", found)
    if months is None and "review_interval_months" not in found:
        found["review_interval_months"] = "This field is needed."
    data: dict[str, object] = {
        "name": form.get("name", ""),
        "slug": form.get("slug", "").strip(),
        "description": form.get("description", ""),
        "parent": optional(form.get("parent", "")),
        "requires_review": checkbox(form, "requires_review"),
        "review_interval_months": months if months is not None else 12,
    }
    return data, found


def new_category(form: Form) -> CategoryCreate:
    return validate(CategoryCreate, *_category(form))


def category_changes(form: Form) -> CategoryUpdate:
    """Every field is sent: the parent "" makes the category top-level, an unticked review
    box turns the rule off (the form shows the current state, so this is what was meant)."""
    return validate(CategoryUpdate, *_category(form))


def token(form: Form) -> TokenCreate:
    data = {
        "name": form.get("name", ""),
        "role": form.get("role", ""),
        "person": optional(form.get("person", "")),
    }
    return validate(TokenCreate, data)
