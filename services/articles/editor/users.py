"""People's accounts in the editor: create, list, disable, set a password, authenticate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from services.articles import people, tokens
from services.articles.editor import passwords
from services.articles.editor import repository as repo
from services.articles.models import User


class UserError(Exception):
    """A request about users that cannot be done; the message says why."""


class EmailTaken(UserError):
    def __init__(self, email: str) -> None:
        super().__init__(f"There is already a user with email {email}.")


class UserNotFound(UserError):
    def __init__(self, email: str) -> None:
        super().__init__(f"No user with email {email}.")


class InvalidUser(UserError):
    """An email, name or role that is not acceptable; ``field`` names which (for a form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """Emails compare without case (the local part is case-sensitive in theory, never in
    practice): stored and looked up lower-cased, so one unique constraint covers it."""
    return email.strip().lower()


def _check(email: str, name: str, role: str) -> None:
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 254 or " " in email:
        raise InvalidUser(f"{email!r} is not an email address.", "email")
    if not name.strip() or len(name) > 200:
        raise InvalidUser("A display name is needed (at most 200 characters).", "name")
    _check_role(role)


def _check_role(role: str) -> None:
    if role not in tokens.ROLE_GRANTS:
        raise InvalidUser(f"Unknown role {role!r}; one of {', '.join(tokens.ROLE_GRANTS)}.", "role")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    now: datetime,
    person: str | None = None,
) -> User:
    email = normalise_email(email)
    _check(email, name, role)
    if repo.get_user_by_email(session, email) is not None:
        raise EmailTaken(email)
    person_id = people.resolve(session, [person])[0].id if person else None
    user = User(
        email=email,
        display_name=name.strip(),
        role=role,
        person_id=person_id,
        password_hash=passwords.hash_password(password),
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


ACTOR_LENGTH = 120  # revisions.created_by, reviews' reviewer_name


def actor_of(user: User) -> str:
    """How a signed-in user is named as the one who did something, in revisions and review
    records (a token is named by its name): their email, unique and lower-cased."""
    return user.email[:ACTOR_LENGTH]


def list_users(session: Session) -> Sequence[User]:
    return repo.list_users(session)


def _find(session: Session, email: str) -> User:
    user = repo.get_user_by_email(session, normalise_email(email))
    if user is None:
        raise UserNotFound(email)
    return user


class CannotDisableSelf(UserError):
    def __init__(self) -> None:
        super().__init__("You cannot disable your own account.")


def disable_user(session: Session, *, email: str, now: datetime, actor: User | None = None) -> User:
    """Disable a user and end their sessions at once (a session also checks the user).
    ``actor``, the signed-in admin asking (None: an operator's command): nobody disables
    themself, or the last admin could lock everyone out of the users screen."""
    user = _find(session, email)
    if actor is not None and user.id == actor.id:
        raise CannotDisableSelf()
    if user.disabled_at is None:
        user.disabled_at = now
    repo.delete_user_sessions(session, user.id)
    return user


class CannotChangeOwnRole(UserError):
    def __init__(self) -> None:
        super().__init__("You cannot change your own role; ask another admin.")


def change_role(session: Session, *, email: str, role: str, actor: User | None = None) -> User:
    """Give a user another role; it applies to their next request (a session reads the user
    every time). As with disabling, an admin cannot change their own role: the last admin
    could otherwise demote themself and leave nobody to manage users."""
    _check_role(role)
    user = _find(session, email)
    if actor is not None and user.id == actor.id:
        raise CannotChangeOwnRole()
    user.role = role
    return user


def set_password(session: Session, *, email: str, password: str) -> User:
    """A new password ends every session of the user (a stolen cookie dies with it)."""
    user = _find(session, email)
    user.password_hash = passwords.hash_password(password)
    repo.delete_user_sessions(session, user.id)
    return user


@dataclass(frozen=True)
class Credentials:
    """What a sign-in checks a password against, read before the check (see signin.py)."""

    user_id: int
    password_hash: str


def credentials(session: Session, *, email: str) -> Credentials | None:
    """The stored hash of an enabled user with this email; None when there is none (the
    caller does the same password work either way)."""
    user = repo.get_user_by_email(session, normalise_email(email))
    if user is None or user.disabled_at is not None:
        return None
    return Credentials(user.id, user.password_hash)


def confirm(session: Session, found: Credentials, new_hash: str | None) -> User | None:
    """The user, once more, after the password matched ``found``: None if they were disabled
    or their password changed meanwhile. ``new_hash``: a rehash to store (newer parameters)."""
    user = session.get(User, found.user_id)
    if user is None or user.disabled_at is not None or user.password_hash != found.password_hash:
        return None
    if new_hash is not None:
        user.password_hash = new_hash
    return user
