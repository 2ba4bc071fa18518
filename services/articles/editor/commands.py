"""`healthhub user ...`: editor accounts, managed on the server (there is no sign-up page)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from services.articles.commands import RoleChoice
from services.articles.editor import passwords, users
from services.articles.errors import PersonNotFound
from services.articles.settings import get_settings
from shared.db import Database

user_app = typer.Typer(
    help="Create, list and disable editor users; set their passwords.", no_args_is_help=True
)
Email = Annotated[str, typer.Option(help="The user's email (what they sign in with).")]
PasswordStdin = Annotated[
    bool, typer.Option(help="Read the password from the first line of stdin (for scripts).")
]


def fail(message: str) -> typer.Exit:
    typer.echo(f"healthhub: {message}", err=True)
    return typer.Exit(1)


@contextmanager
def _transaction() -> Iterator[Session]:
    db = Database(get_settings().articles_database_url)
    try:
        with db.transaction() as session:
            yield session
    finally:
        db.dispose()


def _password(from_stdin: bool) -> str:
    """From stdin (one line, its newline dropped), or a hidden prompt typed twice."""
    if from_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        passwords.check_new(password)
    except passwords.PasswordRejected as exc:
        raise fail(str(exc)) from None
    return password


@user_app.command("create")
def user_create(
    email: Email,
    name: Annotated[str, typer.Option(help="The name shown in the editor.")],
    role: Annotated[RoleChoice, typer.Option(help="editor, reviewer or admin (as tokens).")],
    person: Annotated[
        str | None, typer.Option(help="The person (people slug) this user is.")
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user who can sign in to the editor at /editor."""
    password = _password(password_stdin)
    try:
        with _transaction() as session:
            user = users.create_user(
                session, email=email, name=name, role=role.value, password=password,
                now=datetime.now(UTC), person=person,
            )  # fmt: skip
            created = user.email
    except (users.UserError, passwords.PasswordRejected, PersonNotFound) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Created user {created}.")


@user_app.command("list")
def user_list() -> None:
    """List users (never their password hashes)."""
    table = Table("id", "email", "name", "role", "created", "last sign-in", "disabled")
    with _transaction() as session:
        for u in users.list_users(session):
            table.add_row(
                str(u.id), u.email, u.display_name, u.role,
                u.created_at.isoformat(timespec="seconds"),
                u.last_sign_in_at.isoformat(timespec="seconds") if u.last_sign_in_at else "",
                u.disabled_at.isoformat(timespec="seconds") if u.disabled_at else "",
            )  # fmt: skip
    Console(width=200).print(table)


@user_app.command("disable")
def user_disable(email: Email) -> None:
    """Disable a user: they cannot sign in, and their open sessions stop working at once."""
    try:
        with _transaction() as session:
            users.disable_user(session, email=email, now=datetime.now(UTC))
    except users.UserError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Disabled {users.normalise_email(email)}.")


@user_app.command("set-password")
def user_set_password(email: Email, password_stdin: PasswordStdin = False) -> None:
    """Set a new password; every session of the user ends."""
    password = _password(password_stdin)
    try:
        with _transaction() as session:
            users.set_password(session, email=email, password=password)
    except (users.UserError, passwords.PasswordRejected) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Set a new password for {users.normalise_email(email)}.")


FIRST_ADMIN_EMAIL = "admin@healthhub.localhost"


def ensure_first_admin(secret_file: Path) -> tuple[str, str | None]:
    """On a site with no editor user yet (a first `make up`), create an admin with a random
    password and keep that password in ``secret_file`` (owner-only). Returns the admin's
    email and the password in that file (None when the site had users of its own already);
    a password changed since is not known here, the file says it was the first one."""
    with _transaction() as session:
        if users.list_users(session):
            email = FIRST_ADMIN_EMAIL
            kept = secret_file.read_text().strip() if secret_file.is_file() else None
            return email, kept
        password = secrets.token_urlsafe(15)
        users.create_user(
            session, email=FIRST_ADMIN_EMAIL, name="First admin", role="admin",
            password=password, now=datetime.now(UTC),
        )  # fmt: skip
    fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(fd, 0o600)
        f.write(password + "\n")
    return FIRST_ADMIN_EMAIL, password
