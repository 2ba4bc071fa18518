"""Lists: filters, full-text search, pagination with totals, sorting; the public list and
its HTTP caching."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from services.articles.app import create_app
from services.articles.settings import ArticlesSettings
from tests.helpers import assert_problem, auth, create_article, make_token


class Clock:
    """A clock the test moves, so updated_at values are known."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: ArticlesSettings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as c:
        yield c


def publish(client: TestClient, token: str, article_id: int) -> None:
    response = client.post(f"/api/v1/articles/{article_id}/publish", headers=auth(token))
    assert response.status_code == 200, response.text


@pytest.fixture
def library(client: TestClient, settings: ArticlesSettings) -> dict[str, int]:
    """Five articles across categories, tags, authors and statuses."""
    token = make_token(settings)
    specs = [
        ("Vitamin D and bone health", "bones-and-joints", ["vitamin-d", "bones"], ["Ann Lee"],
         "Sunlight helps the skin make vitamin D, which bones need.", True),
        ("Why fibre matters", "nutrition", ["fibre"], ["Bo Chan"],
         "Fibre feeds gut bacteria and keeps digestion regular.", True),
        ("Hydration myths", "nutrition", ["water"], ["Ann Lee", "Bo Chan"],
         "Eight glasses a day is a rule of thumb, not a law.", True),
        ("Osteoporosis in men", "health", ["bones"], ["Cy Diaz"],
         "Men lose bone density too, only later.", True),
        ("Draft about sleeping", "health", ["sleep"], ["Ann Lee"],
         "Sleeping well matters for mood.", False),
    ]  # fmt: skip
    ids = {}
    for title, category, tags, authors, body, live in specs:
        a = create_article(
            client,
            token,
            title=title,
            category=category,
            tags=tags,
            authors=authors,
            body=body,
            summary=f"About {title.lower()}.",
        )
        if live:
            publish(client, token, a["id"])
        ids[title] = a["id"]
    return ids


def titles(response: object) -> list[str]:
    data = response.json()  # type: ignore[attr-defined]
    return [item["title"] for item in data["items"]]


def test_editors_filter_by_status_category_tag_and_author(
    client: TestClient, settings: ArticlesSettings, library: dict[str, int]
) -> None:
    token = make_token(settings)

    def find(**params: str) -> list[str]:
        response = client.get("/api/v1/articles", params=params, headers=auth(token))
        assert response.status_code == 200, response.text
        return sorted(titles(response))

    assert len(find()) == 5
    assert find(status="draft") == ["Draft about sleeping"]
    assert find(category="nutrition") == ["Hydration myths", "Why fibre matters"]
    # A category includes its sub-categories (bones-and-joints is under health).
    assert find(category="health") == [
        "Draft about sleeping",
        "Osteoporosis in men",
        "Vitamin D and bone health",
    ]
    assert find(tag="bones") == ["Osteoporosis in men", "Vitamin D and bone health"]
    assert find(author="Bo Chan") == ["Hydration myths", "Why fibre matters"]
    assert find(author="Ann Lee", status="published") == [
        "Hydration myths",
        "Vitamin D and bone health",
    ]
    assert find(category="no-such-category") == []


def test_full_text_search_matches_words_in_title_summary_and_body(
    client: TestClient, settings: ArticlesSettings, library: dict[str, int]
) -> None:
    token = make_token(settings)

    def search(q: str, path: str = "/api/v1/articles") -> list[str]:
        response = client.get(path, params={"q": q}, headers=auth(token))
        assert response.status_code == 200, response.text
        return sorted(titles(response))

    assert search("sunlight") == ["Vitamin D and bone health"]
    assert search("bacteria digestion") == ["Why fibre matters"]
    assert search("bone") == ["Osteoporosis in men", "Vitamin D and bone health"]
    assert search("vitamins") == ["Vitamin D and bone health"]  # stemmed on both engines
    assert search("sleeping") == ["Draft about sleeping"]
    assert search("sleeping", "/api/v1/content/articles") == []  # drafts are not public
    assert search("nothing-like-this-anywhere") == []
    # Search syntax of either engine is just text here: never an error.
    for hostile in ['"', "bone AND", "NEAR(", "*", "'; DROP TABLE articles; --", "^&|!:()"]:
        assert (
            client.get("/api/v1/articles", params={"q": hostile}, headers=auth(token)).status_code
            == 200
        )


def test_pages_carry_totals_and_follow_the_sort(
    client: TestClient, settings: ArticlesSettings, library: dict[str, int]
) -> None:
    token = make_token(settings)
    first = client.get(
        "/api/v1/articles", params={"per_page": 2, "sort": "title"}, headers=auth(token)
    ).json()
    assert (first["total"], first["pages"], first["page"], first["per_page"]) == (5, 3, 1, 2)
    assert [i["title"] for i in first["items"]] == ["Draft about sleeping", "Hydration myths"]
    last = client.get(
        "/api/v1/articles", params={"per_page": 2, "page": 3, "sort": "title"}, headers=auth(token)
    ).json()
    assert [i["title"] for i in last["items"]] == ["Why fibre matters"]
    newest = client.get("/api/v1/articles", params={"sort": "-updated_at"}, headers=auth(token))
    assert titles(newest)[:2] == ["Draft about sleeping", "Osteoporosis in men"]  # last saved
    beyond = client.get("/api/v1/articles", params={"page": 9}, headers=auth(token)).json()
    assert (beyond["items"], beyond["total"]) == ([], 5)


def test_updated_since_lists_only_what_changed_after_it(
    client: TestClient, settings: ArticlesSettings, library: dict[str, int], clock: Clock
) -> None:
    token = make_token(settings)
    since = clock.now + timedelta(seconds=1)  # after every article of the library
    client.patch(
        f"/api/v1/articles/{library['Why fibre matters']}",
        json={"summary": "New summary", "version": 2},
        headers=auth(token),
    )
    changed = client.get(
        "/api/v1/articles", params={"updated_since": since.isoformat()}, headers=auth(token)
    )
    assert titles(changed) == ["Why fibre matters"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "gone"},
        {"sort": "password"},
        {"per_page": "1000"},
        {"page": "0"},
        {"category": "../x"},
        {"updated_since": "yesterday"},
        {"updated_since": "2026-01-01T00:00:00"},  # no offset: ambiguous
        {"colour": "red"},  # unknown parameters are refused, not ignored
    ],
)
def test_bad_list_parameters_are_422(
    client: TestClient, settings: ArticlesSettings, params: dict[str, str]
) -> None:
    token = make_token(settings)
    assert_problem(client.get("/api/v1/articles", params=params, headers=auth(token)), 422)
    if "status" not in params:
        assert_problem(client.get("/api/v1/content/articles", params=params), 422)


def test_the_public_list_shows_published_articles_and_revalidates_cheaply(
    client: TestClient, settings: ArticlesSettings, library: dict[str, int]
) -> None:
    token = make_token(settings)
    listed = client.get("/api/v1/content/articles", params={"category": "nutrition"})
    assert listed.status_code == 200
    assert sorted(titles(listed)) == ["Hydration myths", "Why fibre matters"]
    assert "status" not in listed.json()["items"][0]
    assert "body" not in listed.json()["items"][0]
    etag = listed.headers["etag"]
    assert "max-age" in listed.headers["cache-control"]
    same = client.get(
        "/api/v1/content/articles",
        params={"category": "nutrition"},
        headers={"If-None-Match": etag},
    )
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    everything = client.get("/api/v1/content/articles").json()
    assert everything["total"] == 4
    assert "Draft about sleeping" not in [i["title"] for i in everything["items"]]
    # A change readers can see changes the ETag.
    client.patch(
        f"/api/v1/articles/{library['Hydration myths']}",
        json={"title": "Hydration: myths and facts", "version": 2},
        headers=auth(token),
    )
    changed = client.get(
        "/api/v1/content/articles",
        params={"category": "nutrition"},
        headers={"If-None-Match": etag},
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_a_public_article_answers_304_to_its_current_etag(
    client: TestClient, settings: ArticlesSettings, library: dict[str, int]
) -> None:
    article = client.get("/api/v1/content/articles/why-fibre-matters")
    assert article.status_code == 200
    etag = article.headers["etag"]
    assert (
        client.get(
            "/api/v1/content/articles/why-fibre-matters", headers={"If-None-Match": etag}
        ).status_code
        == 304
    )
    assert (
        client.get(
            "/api/v1/content/articles/why-fibre-matters", headers={"If-None-Match": '"999"'}
        ).status_code
        == 200
    )
    categories = client.get("/api/v1/content/categories")
    assert {c["slug"]: c["parent"] for c in categories.json()}["bones-and-joints"] == "health"
    assert (
        client.get(
            "/api/v1/content/categories", headers={"If-None-Match": categories.headers["etag"]}
        ).status_code
        == 304
    )
