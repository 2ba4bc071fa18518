"""`make test` begins with tests/preflight.py: a table of what the suite runs against and
what it skips, with the reason."""

from __future__ import annotations

import os
import subprocess
import sys


def preflight(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.preflight", "--no-install"],
        env={**os.environ, **env}, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def row(table: str, part: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"│ {part} "))


def test_the_table_names_what_runs_and_what_is_skipped_with_the_reason() -> None:
    table = preflight(HEALTHHUB_CHROMIUM="/nonexistent/chromium")
    assert "Test environment" in table
    assert "Redis" in row(table, "Redis") and "runs" in row(table, "Redis")
    chromium = row(table, "Chromium")
    assert "SKIPPED: browser tests" in chromium
    assert "chromium is missing" in chromium
    for part in ("PostgreSQL", "nginx", "docker-compose"):
        assert "runs" in row(table, part) or "SKIPPED" in row(table, part)
