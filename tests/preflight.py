"""Says, before the suite runs, what it will use and what it cannot run on this machine."""

from __future__ import annotations

import shutil

from tests.resources import TEST_REDIS_URL, postgres_answers, redis_answers


def main() -> None:
    lines = []
    if TEST_REDIS_URL and redis_answers(TEST_REDIS_URL):
        lines.append(
            f"Redis:      {TEST_REDIS_URL} (HEALTHHUB_TEST_REDIS_URL; only empty or test-owned databases are flushed)"
        )
    else:
        lines.append(
            "Redis:      the tests' own embedded Redis (set HEALTHHUB_TEST_REDIS_URL to use another)"
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
