"""CLI commands of the views service: migrations and importing historic totals."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from services.views import notify, service
from services.views.settings import get_settings
from services.views.worker import create_celery
from shared.db import Database, migrate

MIGRATIONS = Path(__file__).parent / "migrations"
views_app = typer.Typer(help="View counts.", no_args_is_help=True)


def run_migrations() -> None:
    migrate(get_settings().views_database_url, MIGRATIONS)


class BadImportFile(ValueError):
    pass


def read_totals_csv(path: Path) -> list[tuple[str, int]]:
    """Rows of (slug, total); a header row `slug,total` is allowed."""
    rows: list[tuple[str, int]] = []
    with open(path, newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row or (lineno == 1 and row[0].strip().lower() == "slug"):
                continue
            if len(row) != 2 or not row[1].strip().isdigit():
                raise BadImportFile(f"line {lineno}: expected `slug,total`, got {row!r}")
            rows.append((row[0].strip(), int(row[1].strip())))
    return rows


def import_totals(rows: list[tuple[str, int]]) -> dict[int, int]:
    """Set imported totals and tell the render service, so pages show them."""
    settings = get_settings()
    db = Database(settings.views_database_url)
    now = datetime.now(UTC)
    try:
        with db.transaction() as session:
            totals = service.import_totals(session, rows, now=now)
    finally:
        db.dispose()
    notify.send_totals(create_celery(settings), totals, now=now)
    return totals


@views_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of `slug,total`.")],
) -> None:
    """Load historic view totals for articles (by slug), e.g. when moving to this platform.

    Importing the same file again replaces the earlier import instead of adding to it."""
    try:
        totals = import_totals(read_totals_csv(file))
    except (BadImportFile, service.UnknownArticle) as exc:
        typer.echo(f"Nothing imported: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Imported totals for {len(totals)} article(s).")
