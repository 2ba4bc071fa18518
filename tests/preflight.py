"""Says, before the suite runs, what it will use and what it cannot run on this machine."""

from __future__ import annotations

import shutil

from tests.resources import SYSTEM_REDIS_URL, postgres_answers, redis_answers


def main() -> None:
    lines = []
    if redis_answers(SYSTEM_REDIS_URL):
        lines.append(f"Redis:      {SYSTEM_REDIS_URL} (own database numbers per test worker)")
    else:
        lines.append(
            f"Redis:      {SYSTEM_REDIS_URL} does not answer; the embedded Redis will be started"
        )
    reason = postgres_answers()
    lines.append(
        "PostgreSQL: reachable; database tests run on SQLite and PostgreSQL"
        if reason is None
        else f"PostgreSQL: SKIPPED ({reason}); database tests run on SQLite only"
    )
    for tool, what in (
        ("chromium", "browser tests"),
        ("nginx", "gateway tests"),
        ("docker-compose", "compose file validation"),
    ):
        found = shutil.which(tool)
        lines.append(
            f"{tool + ':':<11} {found if found else 'not installed: ' + what + ' will be SKIPPED'}"
        )
    print("\n".join(["Test environment:", *("  " + line for line in lines)]))


if __name__ == "__main__":
    main()
