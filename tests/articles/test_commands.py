"""`healthhub token create/list/revoke` against a real database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

import pytest
from typer.testing import CliRunner

from services.articles import settings as settings_module
from services.articles import tokens
from services.articles.commands import RoleChoice, token_app
from services.articles.settings import ArticlesSettings
from tests.helpers import articles_client, assert_problem, auth


@pytest.fixture
def cli_env(settings: ArticlesSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEALTHHUB_ARTICLES_DATABASE_URL", settings.articles_database_url)
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_create_list_and_revoke_a_token_from_the_command_line(settings: ArticlesSettings) -> None:
    runner = CliRunner()
    created = runner.invoke(token_app, ["create", "--name", "newsroom", "--role", "admin"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip()
    assert secret.startswith("hh_")
    listed = runner.invoke(token_app, ["list"])
    assert listed.exit_code == 0
    assert "newsroom" in listed.output
    assert secret not in listed.output  # only its first characters
    with articles_client(settings) as client:
        assert client.get("/api/v1/tokens", headers=auth(secret)).status_code == 200
        revoked = runner.invoke(token_app, ["revoke", "1"])
        assert revoked.exit_code == 0, revoked.output
        assert_problem(client.get("/api/v1/tokens", headers=auth(secret)), 401)
    assert runner.invoke(token_app, ["revoke", "99"]).exit_code == 1
    bad_role = runner.invoke(token_app, ["create", "--name", "x", "--role", "root"])
    assert bad_role.exit_code != 0


def test_the_cli_role_choices_are_the_roles_a_token_can_have() -> None:
    # RoleChoice exists so `--help` lists the roles; it must say exactly what tokens.Role does.
    assert [c.value for c in RoleChoice] == list(get_args(tokens.Role))
