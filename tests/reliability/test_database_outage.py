"""The articles database becomes unavailable: the API answers 503 (problem+json, with
Retry-After), writes nothing half-way, and recovers without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import CHECKOUT_TAG
from tests.e2e.stack import Stack, start_stack, wait_for
from tests.resources import (
    POSTGRES_ADMIN_URL,
    drop_postgres_database,
    postgres_answers,
    recreate_postgres_database,
)

DB_NAME = f"hh_rel_{CHECKOUT_TAG}_articles"


def set_connections(allowed: bool) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            f'ALTER DATABASE "{DB_NAME}" WITH ALLOW_CONNECTIONS {"true" if allowed else "false"}'
        )
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (DB_NAME,),
            )


def count_articles() -> int:
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM articles").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def pg_stack(tmp_path: Path) -> Iterator[Stack]:
    reason = postgres_answers()
    if reason is not None:
        pytest.skip(reason)
    url = recreate_postgres_database(DB_NAME)
    stack = start_stack(tmp_path, HEALTHHUB_ARTICLES_DATABASE_URL=url)
    try:
        yield stack
    finally:
        stack.stop()
        set_connections(True)
        drop_postgres_database(DB_NAME)


def test_articles_api_answers_503_while_its_database_is_away_and_recovers(pg_stack: Stack) -> None:
    stack = pg_stack
    stack.cli("seed")
    token = stack.token()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "Written during an outage", "category": "health", "body": "## A\n\nB\n"}
    before = count_articles()
    set_connections(False)
    try:
        for _ in range(3):
            r = httpx.post(
                f"{stack.articles}/api/v1/articles", json=body, headers=headers, timeout=10
            )
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.headers["retry-after"] == "2"
        public = httpx.get(
            f"{stack.articles}/api/v1/content/articles/is-osteoporosis-an-autoimmune-disease",
            timeout=10,
        )
        assert public.status_code == 503
        assert httpx.get(f"{stack.articles}/readyz", timeout=10).status_code == 503
        assert httpx.get(f"{stack.articles}/healthz", timeout=10).status_code == 200
    finally:
        set_connections(True)
    # Back without restarting anything: the pool reconnects (pre-ping), nothing was half-written.
    created = wait_for(
        "the API to write again",
        lambda: (
            (
                r := httpx.post(
                    f"{stack.articles}/api/v1/articles", json=body, headers=headers, timeout=10
                )
            ).status_code
            == 201
            and r
        ),
    )
    assert created.json()["slug"] == "written-during-an-outage"
    assert count_articles() == before + 1
    published = httpx.post(
        f"{stack.articles}/api/v1/articles/{created.json()['id']}/publish",
        headers=headers,
        timeout=10,
    )
    assert published.status_code == 200
    wait_for(
        "its page",
        lambda: (
            httpx.get(f"{stack.pages}/health/written-during-an-outage", timeout=5).status_code
            == 200
        ),
    )
