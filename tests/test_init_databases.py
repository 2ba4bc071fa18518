"""deploy/postgres/init-databases.sh, run for real against the local PostgreSQL under
throwaway names: it makes one role per service database, and each role reaches its own
database only (not another service's, not the set-up database), as no superuser."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.resources import POSTGRES_ADMIN_URL, postgres_answers

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "postgres" / "init-databases.sh"
SERVICES = ("articles", "views", "render")

pytestmark = pytest.mark.postgres


@pytest.fixture
def prefix() -> Iterator[str]:
    reason = postgres_answers()
    if reason is not None:
        pytest.skip(reason)
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed (Debian package postgresql-client)")
    prefix = f"hh_init_{uuid.uuid4().hex[:8]}_"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{prefix}setup"')
    yield prefix
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        for name in [f"{prefix}{s}" for s in SERVICES] + [f"{prefix}setup"]:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for service in SERVICES:
            conn.execute(f'DROP ROLE IF EXISTS "{prefix}{service}"')


def run_script(prefix: str, **passwords: str) -> subprocess.CompletedProcess[str]:
    admin = urlsplit(POSTGRES_ADMIN_URL)
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": admin.hostname or "127.0.0.1",
        "PGPORT": str(admin.port or 5432),
        "POSTGRES_USER": admin.username or "postgres",
        "POSTGRES_DB": f"{prefix}setup",
        "DB_NAME_PREFIX": prefix,
        **passwords,
    }
    return subprocess.run(
        ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def connect_as(role: str, database: str) -> psycopg.Connection[tuple[object, ...]]:
    admin = urlsplit(POSTGRES_ADMIN_URL)
    return psycopg.connect(
        host=admin.hostname, port=admin.port or 5432, user=role, dbname=database,
        password="Zq3x9Ab7Lm2Np8Rs", connect_timeout=5, autocommit=True,
    )  # fmt: skip


PASSWORDS = {f"{s.upper()}_DB_PASSWORD": "Zq3x9Ab7Lm2Np8Rs" for s in SERVICES}


def test_each_service_role_reaches_only_its_own_database(prefix: str) -> None:
    done = run_script(prefix, **PASSWORDS)
    assert done.returncode == 0, done.stderr
    again = run_script(prefix, **PASSWORDS)  # idempotent: a second run changes nothing
    assert again.returncode == 0, again.stderr
    for service in SERVICES:
        role = f"{prefix}{service}"
        with connect_as(role, role) as conn:
            # Its own database: it owns it, and can make its tables (the migrations do).
            conn.execute("CREATE TABLE reach_check (id int)")
            conn.execute("INSERT INTO reach_check VALUES (1)")
            row = conn.execute(
                "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
                "WHERE rolname = current_user"
            ).fetchone()
            assert row == (False, False, False), row
        for other in [f"{prefix}{s}" for s in SERVICES if s != service] + [f"{prefix}setup"]:
            with pytest.raises(psycopg.OperationalError, match="permission denied"):
                connect_as(role, other).close()


def test_a_missing_password_stops_the_script(prefix: str) -> None:
    done = run_script(prefix, ARTICLES_DB_PASSWORD="Zq3x9Ab7Lm2Np8Rs")
    assert done.returncode != 0
    assert "VIEWS_DB_PASSWORD is not set" in done.stderr
