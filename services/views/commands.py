"""CLI commands of the views service: migrations and importing historic totals."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, date, datetime
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


def read_totals_csv(path: Path, *, today: date | None = None) -> list[service.ImportRow]:
    """Rows of (slug, views, day or None): `slug,total` or `slug,total,date` (an ISO date,
    not after today, UTC). A header row starting with `slug` is allowed."""
    today = today or datetime.now(UTC).date()
    rows: list[service.ImportRow] = []
    with open(path, newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row or (lineno == 1 and row[0].strip().lower() == "slug"):
                continue
            if len(row) not in (2, 3) or not row[1].strip().isdigit():
                raise BadImportFile(f"line {lineno}: expected `slug,total[,date]`, got {row!r}")
            day = _day(row[2], lineno, today) if len(row) == 3 and row[2].strip() else None
            rows.append((row[0].strip(), int(row[1].strip()), day))
    return rows


def _day(text: str, lineno: int, today: date) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise BadImportFile(f"line {lineno}: `{text.strip()}` is not a date (YYYY-MM-DD)") from exc
    if day > today:
        raise BadImportFile(f"line {lineno}: {day} is in the future")
    return day


def import_totals(rows: Sequence[service.ImportRow]) -> dict[int, int]:
    """Set imported totals and tell the render service, so pages show them."""
    settings = get_settings()
    db = Database(settings.views_database_url)
    now = datetime.now(UTC)
    try:
        with db.transaction() as session:
            totals = service.import_totals(session, rows, now=now)
            recent = service.recent_views(session, list(totals), today=now.date())
    finally:
        db.dispose()
    notify.send_totals(create_celery(settings), totals, now=now, recent=recent)
    return totals


@views_app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV of `slug,total[,date]`.")
    ],
) -> None:
    """Load historic views for articles (by slug), e.g. when moving to this platform.

    A row with a date (YYYY-MM-DD) also lands on that day's count. Importing the same file
    again replaces the earlier import of those articles instead of adding to it."""
    try:
        totals = import_totals(read_totals_csv(file))
    except (BadImportFile, service.UnknownArticle) as exc:
        typer.echo(f"Nothing imported: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Imported totals for {len(totals)} article(s).")
