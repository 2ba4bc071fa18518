"""`healthhub user create/list/disable/set-password` against a real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from services import cli
from services.articles import settings as settings_module
from services.articles.settings import ArticlesSettings
from tests.articles.editor.conftest import PASSWORD, sign_in


@pytest.fixture
def cli_env(settings: ArticlesSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEALTHHUB_ARTICLES_DATABASE_URL", settings.articles_database_url)
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["user", *args], input=stdin)
    return result.exit_code, result.output


@pytest.mark.usefixtures("cli_env")
def test_create_list_and_disable_a_user_from_the_command_line(client: TestClient) -> None:
    code, out = run(
        "create", "--email", "Ann@Example.org", "--name", "Ann Lee", "--role", "reviewer",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0, out
    code, out = run("list")
    assert code == 0
    assert "ann@example.org" in out and "reviewer" in out
    assert "argon2" not in out
    assert sign_in(client, "ANN@example.org").status_code == 303  # email without case
    assert client.get("/editor/").status_code == 200

    code, out = run("disable", "--email", "ann@example.org")
    assert code == 0, out
    assert client.get("/editor/").status_code == 303  # the open session stopped working
    assert sign_in(client).status_code == 400


@pytest.mark.usefixtures("cli_env")
def test_the_password_prompt_is_typed_twice_and_set_password_replaces_it(
    client: TestClient,
) -> None:
    args = ("create", "--email", "bo@example.org", "--name", "Bo", "--role", "editor")
    code, out = run(*args, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, out
    assert PASSWORD not in out  # hidden input
    new = "an entirely new passphrase"
    code, out = run("set-password", "--email", "bo@example.org", "--password-stdin", stdin=new)
    assert code == 0, out
    assert sign_in(client, "bo@example.org", PASSWORD).status_code == 400
    assert sign_in(client, "bo@example.org", new).status_code == 303


@pytest.mark.usefixtures("cli_env")
def test_user_commands_fail_with_a_message_and_a_non_zero_exit() -> None:
    base = ("create", "--email", "cy@example.org", "--name", "Cy", "--role", "admin")
    code, out = run(*base, "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 12" in out
    assert run(*base, "--password-stdin", stdin=PASSWORD)[0] == 0
    code, out = run(*base, "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "already a user" in out
    code, out = run(*base[:-1], "root", "--password-stdin", stdin=PASSWORD)
    assert code != 0
    code, out = run(
        "create", "--email", "not-an-email", "--name", "D", "--role", "editor",
        "--password-stdin", stdin=PASSWORD,
    )  # fmt: skip
    assert code == 1 and "not an email" in out
    code, out = run(
        "create", "--email", "d@example.org", "--name", "D", "--role", "reviewer",
        "--person", "nobody", "--password-stdin", stdin=PASSWORD,
    )  # fmt: skip
    assert code == 1 and "nobody" in out
    code, out = run("disable", "--email", "ghost@example.org")
    assert code == 1 and "No user" in out
