"""Fixtures that give real resources: Redis databases, SQLite/PostgreSQL schemas built by the
real migrations, and settings pointing at them."""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
import redis
from sqlalchemy import text

from services.articles.commands import MIGRATIONS as ARTICLES_MIGRATIONS
from services.articles.settings import ArticlesSettings
from services.render.commands import MIGRATIONS as RENDER_MIGRATIONS
from services.render.settings import RenderSettings
from services.views.commands import MIGRATIONS as VIEWS_MIGRATIONS
from services.views.settings import ViewsSettings
from shared.db import Database, migrate
from tests.e2e.stack import Stack, start_stack
from tests.resources import (
    TEST_REDIS_URL,
    ForeignData,
    RedisServer,
    flush_owned,
    postgres_answers,
    recreate_postgres_database,
    redis_answers,
)

# Two checkouts running their suites at once must not share PostgreSQL databases.
CHECKOUT_TAG = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:6]

MIGRATIONS = {
    "articles": ARTICLES_MIGRATIONS,
    "views": VIEWS_MIGRATIONS,
    "render": RENDER_MIGRATIONS,
}


@pytest.fixture(scope="session")
def worker_index(worker_id: str) -> int:
    return 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The tests' own Redis; one named by HEALTHHUB_TEST_REDIS_URL only when it answers."""
    if TEST_REDIS_URL and redis_answers(TEST_REDIS_URL):
        yield TEST_REDIS_URL
        return
    server = RedisServer.launch()
    yield server.url
    server.close()


@dataclass(frozen=True)
class RedisDbs:
    url: str
    broker_db: int
    views_db: int
    render_db: int

    def client(self, db: int) -> redis.Redis:
        return redis.Redis.from_url(f"{self.url}/{db}")

    def settings_kwargs(self) -> dict[str, object]:
        return {
            "redis_url": self.url,
            "broker_db": self.broker_db,
            "views_redis_db": self.views_db,
        }


@pytest.fixture
def redis_dbs(redis_url: str, worker_index: int) -> Iterator[RedisDbs]:
    """Three Redis databases of this test worker's own (3+3i .. 5+3i), emptied around each test."""
    base = 3 + 3 * worker_index
    if base + 2 > 15:
        pytest.fail("more than 4 xdist workers: not enough Redis databases")
    dbs = RedisDbs(redis_url, base, base + 1, base + 2)
    for db in (base, base + 1, base + 2):
        try:
            flush_owned(dbs.client(db))
        except ForeignData as exc:
            pytest.fail(str(exc), pytrace=False)
    yield dbs
    for db in (base, base + 1, base + 2):
        flush_owned(dbs.client(db))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        reason = postgres_answers()
        if reason is not None:
            pytest.skip(reason)
    return str(request.param)


@pytest.fixture(scope="session")
def _pg_databases() -> dict[str, str]:
    """PostgreSQL databases made (and migrated) by this test worker, by name."""
    return {}


class DatabaseFactory(Protocol):
    def __call__(self, service: str, label: str = "") -> str: ...


@pytest.fixture
def database_url(
    backend: str, tmp_path: Path, worker_index: int, _pg_databases: dict[str, str]
) -> DatabaseFactory:
    """database_url("articles") → the URL of an empty, migrated database for that service;
    database_url("render", "expected") → a second one of its own for the same service."""

    def make(service: str, label: str = "") -> str:
        own = f"{service}_{label}" if label else service
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / own}.db"
            migrate(url, MIGRATIONS[service])
            return url
        name = f"hh_test_{CHECKOUT_TAG}_{worker_index}_{own}"
        if name not in _pg_databases:
            url = recreate_postgres_database(name)
            migrate(url, MIGRATIONS[service])
            _pg_databases[name] = url
        url = _pg_databases[name]
        _truncate(url)
        return url

    return make


def _truncate(url: str) -> None:
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            tables = [
                row[0]
                for row in conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            ]
            if tables:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        db.dispose()


@pytest.fixture
def articles_settings(
    database_url: DatabaseFactory, redis_dbs: RedisDbs, tmp_path: Path
) -> ArticlesSettings:
    return ArticlesSettings(
        articles_database_url=database_url("articles"),
        var_dir=tmp_path,
        environment="test",
        relay_grace_seconds=0,
        **redis_dbs.settings_kwargs(),  # type: ignore[arg-type]
    )


@pytest.fixture
def views_settings(
    database_url: DatabaseFactory, redis_dbs: RedisDbs, tmp_path: Path
) -> ViewsSettings:
    return ViewsSettings(
        views_database_url=database_url("views"),
        var_dir=tmp_path,
        environment="test",
        **redis_dbs.settings_kwargs(),  # type: ignore[arg-type]
    )


@pytest.fixture
def render_settings(
    database_url: DatabaseFactory, redis_dbs: RedisDbs, tmp_path: Path
) -> RenderSettings:
    return RenderSettings(
        render_database_url=database_url("render"),
        var_dir=tmp_path,
        page_store_dir=tmp_path / "pages",
        environment="test",
        render_redis_db=redis_dbs.render_db,
        site_url="https://health.example",
        views_url="",
        # The pages a new article enters are refreshed with the rest of its listing work, so
        # a test sees the whole change at once; the schedule has tests of its own
        # (tests/render/test_related_schedule.py).
        related_refresh_seconds=0,
        **redis_dbs.settings_kwargs(),  # type: ignore[arg-type]
    )


# --- a running platform (real processes and Celery workers), shared by a test module ----


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sample_site(stack: Stack) -> None:
    """The sample site on the module's platform, loaded once: `healthhub seed` is idempotent,
    but each call is a CLI start and a pass over the sample content (about 2 s). (A test that
    checks the idempotence calls it again: tests/e2e/test_loop.py.)"""
    stack.cli("seed")


@pytest.fixture(scope="module")
def editor_token(stack: Stack) -> str:
    """An editor token on the module's platform, made once: each `healthhub token create` is
    a CLI start of a second or more, and a parametrized test would pay it per case."""
    return stack.token()


@pytest.fixture(scope="module")
def admin_token(stack: Stack) -> str:
    """An admin token on the module's platform, made once (see editor_token)."""
    return stack.token("admin")


@pytest.fixture
def show_logs_on_failure(request: pytest.FixtureRequest, stack: Stack) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(stack.log())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report
