"""Admin screens of access: editor users (create, change role, disable) and API tokens
(create, shown once; revoke after a confirmation). Included by admin_routes.admin_router.

Users go through editor/users.py, the functions `healthhub user` calls; tokens through
tokens.py, as /api/v1/tokens does. A token's secret is in the answer to its creation and
nowhere else (only its hash is stored); editor pages are never cached (EditorHeaders).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from services.articles import people_repository as people_repo
from services.articles import presenters, repository, tokens
from services.articles.deps import ClockDep, SessionDep
from services.articles.editor import admin_forms as forms
from services.articles.editor import ids, pages, passwords, users
from services.articles.editor.deps import Admin
from services.articles.editor.sessions import SignedIn
from services.articles.errors import PersonNotFound, TokenNotFound

access_router = APIRouter()
USERS = "/editor/admin/users"
TOKENS = "/editor/admin/tokens"
ROLES = list(tokens.ROLE_GRANTS)
USER_ERRORS = {
    users.EmailTaken: "email",
    users.InvalidUser: "",  # it names its own field
    passwords.PasswordRejected: "password",
    PersonNotFound: "person",
}
# A refused role change, as a page status: unknown user 404, unknown role 422, own role 409.
ROLE_STATUS = {users.UserNotFound: 404, users.InvalidUser: 422}


def common(signed: SignedIn) -> dict[str, Any]:
    """What every editor page needs: who is signed in, and the CSRF token for its forms."""
    return {"user": signed.user, "csrf_token": signed.csrf_token}


def _people(session: Session, none: str) -> list[tuple[str, str]]:
    return [("", none), *((p.slug, p.name) for p in people_repo.list_people(session))]


# Users ----------------------------------------------------------------------------------


@access_router.get("/users")
def users_screen(signed: Admin, session: SessionDep) -> Response:
    return _users_page(signed, session)


@access_router.post("/users")
def create_user(
    signed: Admin, session: SessionDep, clock: ClockDep, form: forms.FormFields
) -> Response:
    """A user as `healthhub user create` makes one: the same checks, in users.create_user."""
    try:
        with forms.as_form_errors(USER_ERRORS, conflicts=(users.EmailTaken,)):
            users.create_user(
                session, email=form.get("email", ""), name=form.get("name", ""),
                role=form.get("role", ""), password=form.get("password", ""), now=clock(),
                person=forms.optional(form.get("person", "")),
            )  # fmt: skip
    except forms.FormInvalid as exc:
        forms.abandon(session)
        return _users_page(signed, session, exc.status, form=form, errors=exc.errors)
    return RedirectResponse(USERS, status_code=303)


@access_router.post("/users/disable")
def disable_user(
    signed: Admin, session: SessionDep, clock: ClockDep,
    email: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Disable a user (their sessions end at once); an admin cannot lock themself out."""
    try:
        users.disable_user(session, email=email, now=clock(), actor=signed.user)
    except users.UserError as exc:
        forms.abandon(session)
        return _users_page(signed, session, 400, error=str(exc))
    return RedirectResponse(USERS, status_code=303)


@access_router.post("/users/role")
def change_role(
    signed: Admin, session: SessionDep,
    email: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """A new role for another user; it applies from their next request."""
    try:
        users.change_role(session, email=email, role=role, actor=signed.user)
    except users.UserError as exc:
        forms.abandon(session)
        status = next((s for k, s in ROLE_STATUS.items() if isinstance(exc, k)), 409)
        return _users_page(signed, session, status, error=str(exc))
    return RedirectResponse(USERS, status_code=303)


def _users_page(
    signed: SignedIn,
    session: Session,
    status: int = 200,
    *,
    error: str = "",
    form: forms.Form | None = None,
    errors: forms.Errors | None = None,
) -> Response:
    return pages.render(
        "users.html", status, **common(signed), users=users.list_users(session), error=error,
        roles=ROLES, role_options=[(r, r) for r in ROLES], people=_people(session, "None"),
        form=form or {}, errors=errors or {},
    )  # fmt: skip


# API tokens -----------------------------------------------------------------------------


@access_router.get("/tokens")
def tokens_screen(signed: Admin, session: SessionDep) -> Response:
    return _tokens_page(signed, session)


@access_router.post("/tokens")
def create_token(
    signed: Admin, session: SessionDep, clock: ClockDep, form: forms.FormFields
) -> Response:
    """The answer is the only place the secret ever appears (not a redirect to a page that
    would have to hold it); the list shows its first characters only."""
    try:
        with forms.as_form_errors({PersonNotFound: "person"}):
            row, secret = tokens.create_from(session, data=forms.token(form), now=clock())
    except forms.FormInvalid as exc:
        forms.abandon(session)
        return _tokens_page(signed, session, exc.status, form=form, errors=exc.errors)
    shown = presenters.token_out(row, session)
    return pages.render("token_created.html", 201, **common(signed), token=shown, secret=secret)


@access_router.get("/tokens/{token_id}/revoke")
def confirm_revoke(signed: Admin, session: SessionDep, token_id: str) -> Response:
    """A page that asks first: revoking cannot be undone."""
    number = ids.parse_id(token_id)
    try:
        row = tokens.get(session, token_id=number) if number is not None else None
    except TokenNotFound:
        row = None
    if row is None:
        return _no_token(signed)
    shown = presenters.token_out(row, session)
    return pages.render("token_revoke.html", **common(signed), token=shown)


@access_router.post("/tokens/{token_id}/revoke")
def revoke_token(
    signed: Admin, session: SessionDep, clock: ClockDep, _: forms.FormFields, token_id: str
) -> Response:
    """Only the CSRF token is posted; reading the form through FormFields closes any file."""
    number = ids.parse_id(token_id)
    if number is None or not tokens.revoke(session, token_id=number, now=clock()):
        return _no_token(signed)
    return RedirectResponse(TOKENS, status_code=303)


def _no_token(signed: SignedIn) -> Response:
    return pages.error_page(404, "No such token", "There is no API token here.", **common(signed))


def _tokens_page(
    signed: SignedIn,
    session: Session,
    status: int = 200,
    *,
    form: forms.Form | None = None,
    errors: forms.Errors | None = None,
) -> Response:
    return pages.render(
        "tokens.html", status, **common(signed), form=form or {}, errors=errors or {},
        tokens=[presenters.token_out(t, session) for t in repository.list_tokens(session)],
        roles=[(r, r) for r in ROLES], people=_people(session, "Nobody"),
    )  # fmt: skip
