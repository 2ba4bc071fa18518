"""Bad input of any kind is a 4xx problem, on both backends, never a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from services.articles.settings import ArticlesSettings
from tests.helpers import (
    article_body,
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
)


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "a\x00b"},
        {"body": "x\x00y"},
        {"summary": "\x00"},
        {"tags": ["ok", "bad\x00"]},
        {"authors": ["\x00"]},
        {"hero_image_alt": "\x00"},
        {"references": [{"title": "\x00", "url": "https://example.org"}]},
    ],
)
def test_nul_characters_are_refused_on_create_and_edit(
    settings: ArticlesSettings, fields: dict[str, Any]
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        assert_problem(
            client.post("/api/v1/articles", json=article_body(**fields), headers=auth(token)), 422
        )
        article = create_article(client, token)
        edit = client.patch(
            f"/api/v1/articles/{article['id']}", json={**fields, "version": 1}, headers=auth(token)
        )
        assert_problem(edit, 422)
        assert client.get("/api/v1/articles", headers=auth(token)).json()["total"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a\x00b"},
        {"tag": "\x00"},
        {"author": "x\x00"},
        {"updated_since": "0001-01-01T00:00:00+01:00"},  # before year 1 in UTC
        {"updated_since": "9999-12-31T23:59:59-01:00"},  # after year 9999 in UTC
    ],
)
def test_unstorable_query_values_are_422(
    settings: ArticlesSettings, params: dict[str, str]
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        assert_problem(client.get("/api/v1/articles", params=params, headers=auth(token)), 422)
        assert_problem(client.get("/api/v1/content/articles", params=params), 422)


def test_an_oversized_edit_is_413_and_changes_nothing(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token)
        url = f"/api/v1/articles/{article['id']}"
        big = client.patch(url, json={"body": "x" * 1_000_001, "version": 1}, headers=auth(token))
        assert_problem(big, 413)
        assert_problem(
            client.patch(url, json={"version": 1, "colour": "red"}, headers=auth(token)), 422
        )
        assert_problem(
            client.post(f"{url}/publish", json={"when": "now"}, headers=auth(token)), 422
        )
        assert_problem(
            client.post(
                f"{url}/publish", json={"at": "9999-12-31T23:59:59-01:00"}, headers=auth(token)
            ),
            422,
        )
        assert client.get(url, headers=auth(token)).json()["version"] == 1


def test_two_racing_creates_with_one_slug_one_wins_one_gets_409(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        for n in range(5):

            def create(_: int, slug: str = f"racing-{n}") -> int:
                response = client.post(
                    "/api/v1/articles", json=article_body(slug=slug), headers=auth(token)
                )
                return int(response.status_code)

            with ThreadPoolExecutor(2) as pool:
                assert sorted(pool.map(create, range(2))) == [201, 409]
        assert client.get("/api/v1/articles", headers=auth(token)).json()["total"] == 5
