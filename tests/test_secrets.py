"""Production settings refuse placeholder and short secrets, in any case or spelling."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.articles.settings import ArticlesSettings
from services.render.settings import RenderSettings
from services.views.settings import ViewsSettings

GOOD_SECRET = "f3b0c4429a1c48b0b1f5e0d9a7c6b5a4f3e2d1c0"
PG = "postgresql://healthhub:{}@postgres:5432/{}"


@pytest.mark.parametrize(
    "secret",
    ["CHANGE-ME-long-random-string", "change-me", "Change-Me-" + "x" * 40, "ChangeMe" + "x" * 40,
     "x", "development-only-salt", "short-but-not-a-placeholder"],
)  # fmt: skip
def test_the_salt_secret_must_be_real_in_production(secret: str) -> None:
    with pytest.raises(ValidationError, match="HEALTHHUB_SALT_SECRET"):
        ViewsSettings(environment="production", salt_secret=secret)
    ViewsSettings(environment="development", salt_secret=secret)  # fine on a workstation


@pytest.mark.parametrize(
    "password", ["CHANGE-ME-postgres-password", "change_me_please_now", "healthhub", "x"]
)
def test_the_database_password_must_be_real_in_production(password: str) -> None:
    for make in (
        lambda: ArticlesSettings(environment="production", articles_database_url=PG.format(password, "articles")),
        lambda: ViewsSettings(environment="production", salt_secret=GOOD_SECRET, views_database_url=PG.format(password, "views")),
        lambda: RenderSettings(environment="production", render_database_url=PG.format(password, "render")),
    ):  # fmt: skip
        with pytest.raises(ValidationError, match="POSTGRES_PASSWORD"):
            make()


def test_real_secrets_pass() -> None:
    strong = "Zq3x9Ab7Lm2Np8Rs"
    ArticlesSettings(environment="production", articles_database_url=PG.format(strong, "a"))
    ViewsSettings(
        environment="production", salt_secret=GOOD_SECRET, views_database_url=PG.format(strong, "v")
    )
    RenderSettings(environment="production", render_database_url=PG.format(strong, "r"))
