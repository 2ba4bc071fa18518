"""Before `make test` runs the suite: install the system packages it uses when it can, then
print what the tests run against and what they will skip, with the reason.

The packages are Debian's nginx (gateway tests), chromium (browser tests) and
docker-compose (compose file validation). They are installed with apt-get when this runs as
root on a machine that has it (a fresh CI machine, a container); otherwise the table says
why those tests are skipped, and the tests' own skip messages say the same.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

from tests.resources import (
    POSTGRES_ADMIN_URL,
    TEST_REDIS_URL,
    postgres_answers,
    redis_answers,
    shown,
)
from tests.resources import redis_binary as embedded_redis_binary

CHROMIUM = os.environ.get("HEALTHHUB_CHROMIUM", "/usr/bin/chromium")


@dataclass(frozen=True)
class Tool:
    label: str
    binary: str
    package: str
    version_args: tuple[str, ...]
    tests: str


TOOLS = (
    Tool("nginx", "nginx", "nginx", ("-v",), "gateway tests"),
    Tool("Chromium", CHROMIUM, "chromium", ("--version",), "browser tests"),
    Tool("docker-compose", "docker-compose", "docker-compose", ("--version",), "compose checks"),
)


@dataclass(frozen=True)
class Row:
    part: str
    against: str
    status: str


def find(binary: str) -> str | None:
    """A binary on PATH, by absolute path, or in /usr/sbin (nginx, for users without it on
    their PATH)."""
    if os.path.isabs(binary):
        return binary if Path(binary).exists() else None
    sbin = Path("/usr/sbin") / binary
    return shutil.which(binary) or (str(sbin) if sbin.exists() else None)


def version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"version unknown ({exc})"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "version unknown"


def install(packages: list[str]) -> str | None:
    """Install Debian packages; None on success, else why they are not installed."""
    if os.geteuid() != 0:
        return "not root, so apt-get cannot install it"
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    print(f"Installing {', '.join(packages)} (apt-get) for the tests that use them ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "-y", "-qq"]
    subprocess.run([*apt, "update"], env=env, capture_output=True, check=False)
    done = subprocess.run(
        [*apt, "install", "--no-install-recommends", *packages],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        return f"apt-get install failed: {' '.join(tail)}"
    return None


def redis_row() -> Row:
    if TEST_REDIS_URL and redis_answers(TEST_REDIS_URL):
        return Row("Redis", f"{shown(TEST_REDIS_URL)} (HEALTHHUB_TEST_REDIS_URL)", "runs")
    about = version([embedded_redis_binary(), "--version"])
    found = re.search(r"v=(\S+)", about)
    server = f"Redis {found.group(1)}" if found else about
    return Row("Redis", f"{server}, a server of the tests' own on a free port", "runs")


def postgres_row() -> Row:
    reason = postgres_answers()
    if reason is not None:
        return Row("PostgreSQL", shown(POSTGRES_ADMIN_URL), f"SKIPPED: {reason}; SQLite only")
    with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=2) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    server = row[0] if row else "unknown"
    return Row(
        "PostgreSQL", f"{shown(POSTGRES_ADMIN_URL)} (server {server})", "runs, besides SQLite"
    )


def tool_rows(may_install: bool) -> list[Row]:
    missing = [t for t in TOOLS if find(t.binary) is None]
    why_not = "--no-install given"
    if missing and may_install:
        why_not = (
            install([t.package for t in missing]) or "apt-get installed it, yet it is not found"
        )
    rows = []
    for tool in TOOLS:
        path = find(tool.binary)
        if path is None:
            reason = f"SKIPPED: {tool.tests}; Debian's {tool.package} is missing ({why_not})"
            rows.append(Row(tool.label, "-", reason))
        else:
            about = version([path, *tool.version_args])
            rows.append(Row(tool.label, f"{path} ({about})", f"runs: {tool.tests}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--no-install", action="store_true", help="never run apt-get")
    args = parser.parse_args()
    rows = [redis_row(), postgres_row(), *tool_rows(may_install=not args.no_install)]
    table = Table("part", "tests run against", "status", title="Test environment")
    for row in rows:
        table.add_row(row.part, row.against, row.status)
    Console(width=160, highlight=False).print(table)


if __name__ == "__main__":
    main()
