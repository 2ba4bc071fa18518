"""`make test` begins with tests/preflight.py: a table of what the suite runs against and
what it skips, with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.resources import free_port


def preflight(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.preflight", "--no-install"],
        env={**os.environ, **env}, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def row(table: str, part: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"│ {part} "))


def status(table: str, part: str) -> str:
    """The status cell of a part's row, with the lines it wraps onto joined."""
    lines = table.splitlines()
    start = lines.index(row(table, part))
    cells = [lines[start].split("│")[3].strip()]
    for line in lines[start + 1 :]:
        columns = line.split("│")
        if len(columns) < 4 or columns[1].strip():  # the next part, or the table's end
            break
        cells.append(columns[3].strip())
    return " ".join(cell for cell in cells if cell)


def test_the_table_names_what_runs_and_what_is_skipped_with_the_reason(tmp_path: Path) -> None:
    # An environment of the test's own: a PATH with only a stand-in docker-compose, a
    # PostgreSQL URL where nothing listens, a Chromium that does not exist.
    present = tmp_path / "present"
    present.mkdir()
    compose = present / "docker-compose"
    compose.write_text("#!/bin/sh\necho 'Docker Compose version v0.0.0-stand-in'\n")
    compose.chmod(0o755)
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    table = preflight(
        PATH=str(present),
        HEALTHHUB_CHROMIUM="/nonexistent/chromium",
        HEALTHHUB_TEST_POSTGRES_URL=nowhere,
    )
    assert "Test environment" in table
    assert status(table, "Redis") == "runs"
    postgres = status(table, "PostgreSQL")
    assert postgres.startswith(f"SKIPPED: PostgreSQL not reachable at {nowhere}: ")
    assert postgres.endswith("; SQLite only")
    assert status(table, "Chromium") == (
        "SKIPPED: browser tests; Debian's chromium is missing (--no-install given)"
    )
    assert status(table, "docker-compose") == "runs: compose checks"
    assert "v0.0.0-stand-in" in table  # the version of the one on PATH
    # nginx is also looked for in /usr/sbin, outside PATH: the machine decides.
    nginx = (
        "runs: gateway tests"
        if Path("/usr/sbin/nginx").exists()
        else "SKIPPED: gateway tests; Debian's nginx is missing (--no-install given)"
    )
    assert status(table, "nginx") == nginx
    # The same without docker-compose on PATH: skipped, with the reason.
    empty = tmp_path / "empty"
    empty.mkdir()
    table = preflight(PATH=str(empty), HEALTHHUB_TEST_POSTGRES_URL=nowhere)
    assert status(table, "docker-compose") == (
        "SKIPPED: compose checks; Debian's docker-compose is missing (--no-install given)"
    )


def test_the_table_never_shows_a_password_of_the_test_servers(tmp_path: Path) -> None:
    # CI logs keep this table: a password in HEALTHHUB_TEST_*_URL is masked.
    nowhere = f"postgresql://postgres:pg-Secret-1@127.0.0.1:{free_port()}/postgres"
    table = preflight(PATH=str(tmp_path), HEALTHHUB_TEST_POSTGRES_URL=nowhere)
    assert "pg-Secret-1" not in table
    assert status(table, "PostgreSQL").startswith(
        f"SKIPPED: PostgreSQL not reachable at {nowhere.replace('pg-Secret-1', '***')}: "
    )
