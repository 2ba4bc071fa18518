"""The counts API: per-article totals and windows, daily series, "most viewed" lists."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.views import repository
from services.views.settings import ViewsSettings
from shared.db import Database
from tests.helpers import assert_problem
from tests.views.builders import T0, Clock, learn, snapshot, views_client

TODAY = T0.date()  # 2026-03-10


def history(settings: ViewsSettings, rows: dict[int, dict[int, int]]) -> None:
    """rows: {article id: {days ago: views}}, stored as the flusher stores them."""
    db = Database(settings.views_database_url)
    with db.transaction() as session:
        for article_id, per_day in rows.items():
            for ago, n in per_day.items():
                repository.add_to_day(session, article_id, TODAY - timedelta(days=ago), n)
                repository.add_to_total(session, article_id, n, T0)
    db.dispose()


@pytest.fixture
def settings(views_settings: ViewsSettings) -> ViewsSettings:
    learn(
        views_settings,
        snapshot(1, category="health"),
        snapshot(2, category="nutrition"),
        snapshot(3, category="health"),
        snapshot(4, category="health", status="unpublished"),
        snapshot(5, category="health"),
    )
    history(
        views_settings,
        {
            1: {0: 5, 1: 3, 6: 2, 7: 100, 29: 1, 30: 1000},
            2: {0: 50},
            3: {2: 20, 10: 30},
            4: {0: 999},  # unpublished: never in "most viewed"
        },
    )
    return views_settings


def test_counts_give_total_today_and_the_last_7_and_30_days(settings: ViewsSettings) -> None:
    with views_client(settings) as client:
        response = client.get("/api/v1/views/1")
        assert response.status_code == 200
        assert response.json() == {
            "article_id": 1,
            "total": 1111,
            "today": 5,
            "last_7_days": 10,  # today and the six days before
            "last_30_days": 111,
        }
        # A known article without views yet: zeros, not an error.
        assert client.get("/api/v1/views/5").json()["total"] == 0
        assert_problem(client.get("/api/v1/views/77"), 404)
        assert_problem(client.get("/api/v1/views/nope"), 422)


def test_daily_gives_one_entry_per_day_oldest_first_with_zeros(settings: ViewsSettings) -> None:
    with views_client(settings) as client:
        response = client.get("/api/v1/views/1/daily", params={"days": 8})
        assert response.status_code == 200
        days = response.json()["days"]
    assert [d["day"] for d in days] == [
        (TODAY - timedelta(days=ago)).isoformat() for ago in range(7, -1, -1)
    ]
    assert [d["views"] for d in days] == [100, 2, 0, 0, 0, 0, 3, 5]


def test_daily_follows_the_clock_into_a_new_day(settings: ViewsSettings) -> None:
    clock = Clock()
    clock.advance(days=1)
    with views_client(settings, clock) as client:
        days = client.get("/api/v1/views/2/daily", params={"days": 2}).json()["days"]
    assert days == [{"day": "2026-03-10", "views": 50}, {"day": "2026-03-11", "views": 0}]


@pytest.mark.parametrize("days", ["0", "367", "-3", "many"])
def test_daily_refuses_a_bad_number_of_days(settings: ViewsSettings, days: str) -> None:
    with views_client(settings) as client:
        assert_problem(client.get("/api/v1/views/1/daily", params={"days": days}), 422)
        assert_problem(client.get("/api/v1/views/77/daily"), 404)


def test_top_lists_the_most_viewed_live_articles_of_a_window(settings: ViewsSettings) -> None:
    with views_client(settings) as client:
        week = client.get("/api/v1/views/top", params={"window": "7d"}).json()
        assert week["window"] == "7d"
        assert [(a["article_id"], a["views"]) for a in week["articles"]] == [
            (2, 50),
            (3, 20),
            (1, 10),
        ]
        assert week["articles"][0] == {
            "article_id": 2,
            "slug": "article-2",
            "category": "nutrition",
            "views": 50,
        }
        day = client.get("/api/v1/views/top", params={"window": "1d"}).json()
        assert [(a["article_id"], a["views"]) for a in day["articles"]] == [(2, 50), (1, 5)]
        month = client.get("/api/v1/views/top", params={"window": "30d"}).json()
        assert [(a["article_id"], a["views"]) for a in month["articles"]] == [
            (1, 111),
            (2, 50),
            (3, 50),  # a tie: the lower id first
        ]
        ever = client.get("/api/v1/views/top", params={"window": "all", "limit": 2}).json()
        assert [(a["article_id"], a["views"]) for a in ever["articles"]] == [(1, 1111), (2, 50)]


def test_top_can_be_limited_to_a_category(settings: ViewsSettings) -> None:
    with views_client(settings) as client:
        health = client.get("/api/v1/views/top", params={"category": "health"}).json()
        assert health["category"] == "health"
        assert [a["article_id"] for a in health["articles"]] == [3, 1]
        none = client.get("/api/v1/views/top", params={"category": "sleep"}).json()
        assert none["articles"] == []


@pytest.mark.parametrize(
    "params",
    [{"window": "2w"}, {"limit": "0"}, {"limit": "101"}, {"category": "Not A Slug!"}],
)
def test_top_refuses_bad_parameters(settings: ViewsSettings, params: dict[str, str]) -> None:
    with views_client(settings) as client:
        assert_problem(client.get("/api/v1/views/top", params=params), 422)


def test_the_openapi_document_lists_every_views_route(settings: ViewsSettings) -> None:
    with views_client(settings) as client:
        paths = set(client.get("/openapi.json").json()["paths"])
    assert {
        "/api/v1/views/top",
        "/api/v1/views/{article_id}",
        "/api/v1/views/{article_id}/daily",
        "/api/v1/views/{article_id}/pixel.gif",
    } <= paths


def test_an_unknown_day_has_no_views(settings: ViewsSettings) -> None:
    db = Database(settings.views_database_url)
    with db.transaction() as session:
        assert repository.daily(session, 1, date(2027, 1, 1)) == {}
    db.dispose()
