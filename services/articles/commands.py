"""CLI commands of the articles service: migrations and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.articles import people, repository, tokens
from services.articles.errors import PersonNotFound
from services.articles.settings import get_settings
from shared.db import Database, migrate

MIGRATIONS = Path(__file__).parent / "migrations"
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


class RoleChoice(StrEnum):
    """The roles a token can have, as a choice `--help` lists (tokens.Role's values)."""

    editor = "editor"
    reviewer = "reviewer"
    admin = "admin"


def run_migrations() -> None:
    migrate(get_settings().articles_database_url, MIGRATIONS)


def create_token(name: str, role: tokens.Role, person: str | None = None) -> str:
    db = Database(get_settings().articles_database_url)
    try:
        with db.transaction() as session:
            person_id = people.resolve(session, [person])[0].id if person else None
            _, secret = tokens.create_token(
                session, name=name, role=role, now=datetime.now(UTC), person_id=person_id
            )
    finally:
        db.dispose()
    return secret


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who or what uses the token.")],
    role: Annotated[
        RoleChoice,
        typer.Option(help="What the token may do: editors write, reviewers review, admins do all."),
    ] = RoleChoice.editor,
    person: Annotated[
        str | None, typer.Option(help="The person (people slug) a reviewer token acts as.")
    ] = None,
) -> None:
    """Create a token and print it (only the token, so scripts can capture it)."""
    if not name.strip():
        typer.echo("healthhub: a token needs a name (--name): who or what uses it.", err=True)
        raise typer.Exit(1)
    try:
        secret = create_token(name.strip(), role.value, person)
    except PersonNotFound as exc:  # a mistyped --person: the operator's to fix, not a bug
        typer.echo(f"healthhub: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(secret)


@token_app.command("list")
def token_list() -> None:
    """List tokens (never the secrets: only their first characters)."""
    db = Database(get_settings().articles_database_url)
    table = Table("id", "name", "role", "starts with", "created", "revoked")
    with db.transaction() as session:
        for t in repository.list_tokens(session):
            table.add_row(
                str(t.id),
                t.name,
                t.role,
                t.prefix + "…",
                t.created_at.isoformat(timespec="seconds"),
                t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "",
            )
    db.dispose()
    Console().print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The id shown by `token list`.")],
) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    db = Database(get_settings().articles_database_url)
    with db.transaction() as session:
        found = tokens.revoke(session, token_id=token_id, now=datetime.now(UTC))
    db.dispose()
    if not found:
        typer.echo(f"No token {token_id}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked token {token_id}.")
