"""CLI commands of the render service."""

from __future__ import annotations

from pathlib import Path

from services.render.settings import get_settings
from shared.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def run_migrations() -> None:
    migrate(get_settings().render_database_url, MIGRATIONS)
