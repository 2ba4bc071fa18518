"""Production settings refuse placeholder and short secrets, in any case or spelling."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.articles.settings import ArticlesSettings
from services.render.settings import RenderSettings
from services.scheduler import SchedulerSettings
from services.views.settings import ViewsSettings

GOOD_SECRET = "f3b0c4429a1c48b0b1f5e0d9a7c6b5a4f3e2d1c0"
PG = "postgresql://healthhub:{}@postgres:5432/{}"
ROOT = Path(__file__).resolve().parents[1]
REDIS = "redis://:Kq8vW2xR7tYp4Lz9@redis:6379"


@pytest.mark.parametrize(
    "secret",
    ["CHANGE-ME-long-random-string", "change-me", "Change-Me-" + "x" * 40, "ChangeMe" + "x" * 40,
     "x", "development-only-salt", "short-but-not-a-placeholder"],
)  # fmt: skip
def test_the_salt_secret_must_be_real_in_production(secret: str) -> None:
    with pytest.raises(ValidationError, match="HEALTHHUB_SALT_SECRET"):
        ViewsSettings(environment="production", salt_secret=secret, redis_url=REDIS)
    ViewsSettings(environment="development", salt_secret=secret)  # fine on a workstation


@pytest.mark.parametrize(
    "password", ["CHANGE-ME-postgres-password", "change_me_please_now", "healthhub", "x"]
)
def test_the_database_password_must_be_real_in_production(password: str) -> None:
    for variable, make in (
        ("ARTICLES_DB_PASSWORD", lambda: ArticlesSettings(environment="production", redis_url=REDIS, articles_database_url=PG.format(password, "articles"))),
        ("VIEWS_DB_PASSWORD", lambda: ViewsSettings(environment="production", redis_url=REDIS, salt_secret=GOOD_SECRET, views_database_url=PG.format(password, "views"))),
        ("RENDER_DB_PASSWORD", lambda: RenderSettings(environment="production", redis_url=REDIS, render_database_url=PG.format(password, "render"))),
    ):  # fmt: skip
        # The service's own role's password, not the superuser's (no service has that one).
        with pytest.raises(ValidationError, match=variable) as raised:
            make()
        assert "POSTGRES_PASSWORD" not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    ["redis://redis:6379", "redis://:CHANGE-ME-redis-password@redis:6379",
     "redis://:change_me_please_now@redis:6379", "redis://:short@redis:6379",
     "redis://:@redis:6379"],
)  # fmt: skip
def test_a_production_start_refuses_a_missing_or_placeholder_redis_password(url: str) -> None:
    good_dbs = {"articles": PG.format("Zq3x9Ab7Lm2Np8Rs", "a")}
    for make in (
        lambda: ArticlesSettings(environment="production", redis_url=url, articles_database_url=good_dbs["articles"]),
        lambda: ViewsSettings(environment="production", redis_url=url, salt_secret=GOOD_SECRET),
        lambda: RenderSettings(environment="production", redis_url=url),
        lambda: SchedulerSettings(environment="production", redis_url=url),
        # A Redis of views' own is checked the same way.
        lambda: ViewsSettings(environment="production", redis_url=REDIS, views_redis=url, salt_secret=GOOD_SECRET),
    ):  # fmt: skip
        with pytest.raises(ValidationError, match="REDIS"):
            make()
    ArticlesSettings(environment="development", redis_url=url)  # fine on a workstation


def test_the_production_start_refuses_the_example_file_as_it_is() -> None:
    """The whole `.env.example`, unedited, as compose would hand it to the views service."""
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    with pytest.raises(ValidationError) as refused:
        ViewsSettings(
            environment="production",
            redis_url=f"redis://:{example['REDIS_PASSWORD']}@redis:6379",
            views_database_url=PG.format(GOOD_SECRET, "views"),
            salt_secret=GOOD_SECRET,
        )
    assert "REDIS_PASSWORD" in str(refused.value)


def test_real_secrets_pass() -> None:
    strong = "Zq3x9Ab7Lm2Np8Rs"
    ArticlesSettings(
        environment="production", redis_url=REDIS, articles_database_url=PG.format(strong, "a")
    )
    ViewsSettings(
        environment="production",
        redis_url=REDIS,
        views_redis="redis://:Pz7kQ2wE9rT4yU6i@views-redis:6379/0",
        salt_secret=GOOD_SECRET,
        views_database_url=PG.format(strong, "v"),
    )
    RenderSettings(
        environment="production", redis_url=REDIS, render_database_url=PG.format(strong, "r")
    )
    SchedulerSettings(environment="production", redis_url=REDIS)
