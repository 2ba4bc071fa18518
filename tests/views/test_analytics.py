"""Analytics without cookies: referrer class, referring domains, utm_* and device class per
article per UTC day, capped; the editors' breakdown and CSV APIs; withdrawn articles' counts
(real Redis; the views DB on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from services.views import buffer
from services.views.analytics import MAX_RANGE_DAYS
from services.views.auth import token_digest
from services.views.settings import ViewsSettings
from tests.helpers import assert_problem
from tests.views.builders import BROWSER, T0, Clock, flush, learn, snapshot, views_client
from tests.views.builders import views_redis as redis_of
from tests.views.ua_corpus import READERS

TOKEN = "hh_editor-secret-token"
EDITOR = {"Authorization": f"Bearer {TOKEN}"}
PHONE = next(ua for ua, cls in READERS if cls == "phone")
TABLET = next(ua for ua, cls in READERS if cls == "tablet")
DAY = T0.date().isoformat()


@pytest.fixture
def settings(views_settings: ViewsSettings) -> ViewsSettings:
    s = views_settings.model_copy(
        update={
            "editor_token_hashes": [token_digest(TOKEN)],
            "referrer_domains_per_day": 3,
            "utm_values_per_day": 2,
        }
    )
    learn(s, snapshot(1), snapshot(2), snapshot(3, status="unpublished", version=2))
    return s


def view(client: TestClient, article: int, n: int, *, ua: str = BROWSER, query: str = "") -> None:
    """The n-th reader (an address of its own) views the article, as the page script sends."""
    response = client.post(
        f"/api/v1/views/{article}?{query}",
        headers={"User-Agent": ua, "X-Forwarded-For": f"203.0.113.{n}"},
    )
    assert response.json() == {"status": "counted"}, response.text


def test_the_breakdown_gives_sources_devices_and_campaigns(settings: ViewsSettings) -> None:
    clock = Clock()
    with views_client(settings, clock, peer="127.0.0.1") as client:
        view(client, 1, 1, query="ref=www.google.com")
        view(client, 1, 2, query="ref=duckduckgo.com", ua=PHONE)
        view(client, 1, 3, query="ref=l.facebook.com&utm_source=facebook&utm_medium=social")
        view(client, 1, 4, query="ref=127.0.0.1", ua=TABLET)  # from another page of ours
        view(client, 1, 5, query="ref=blog.example.org&utm_campaign=Flu-2026")
        view(client, 1, 6, query="utm_source=newsletter&utm_medium=email&utm_campaign=flu-2026")
        view(client, 1, 7)  # typed in, or a bookmark
        flush(settings, clock.now)
        response = client.get(f"/api/v1/views/1/breakdown?from={DAY}&to={DAY}", headers=EDITOR)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    assert response.json() == {
        "article_id": 1,
        "from": DAY,
        "to": DAY,
        "views": 7,
        "referrers": {"search": 2, "social": 1, "direct": 2, "internal": 1, "other": 1},
        "devices": {"desktop": 5, "phone": 1, "tablet": 1},
        "domains": response.json()["domains"],  # checked below
        "utm_source": [{"value": "facebook", "views": 1}, {"value": "newsletter", "views": 1}],
        "utm_medium": [{"value": "email", "views": 1}, {"value": "social", "views": 1}],
        "utm_campaign": [{"value": "flu-2026", "views": 2}],
    }
    domains = {d["value"]: d["views"] for d in response.json()["domains"]}
    # The first three domains of the day are kept, the fourth is folded into (other).
    assert domains == {"google.com": 1, "duckduckgo.com": 1, "l.facebook.com": 1, "(other)": 1}


def test_open_ended_values_are_capped_so_redis_keys_stay_bounded(settings: ViewsSettings) -> None:
    clock = Clock()
    with views_client(settings, clock, peer="127.0.0.1") as client:
        for n in range(1, 201):
            view(client, 1, n, query=f"ref=site{n}.example&utm_campaign=c{n}&utm_source=s{n}")
    r = redis_of(settings)
    raw: list[bytes] = r.hkeys(buffer.BUFFER_KEY)  # type: ignore[assignment]
    fields = [f.decode() for f in raw]
    admitted = r.hlen(buffer.dims_key(1, T0.date()))
    ttl = r.ttl(buffer.dims_key(1, T0.date()))
    r.close()
    domains = [f for f in fields if ":domain:" in f]
    campaigns = [f for f in fields if ":utm_campaign:" in f]
    assert len(domains) == 3 + 1  # three kept, plus (other)
    assert len(campaigns) == 2 + 1
    assert admitted == (3 + 2 + 2) + 3  # values admitted, plus one counter per dimension
    assert 0 < ttl <= buffer.DIMS_TTL_SECONDS
    flush(settings, clock.now)
    with views_client(settings, clock) as client:
        found = client.get("/api/v1/views/1/breakdown", headers=EDITOR).json()
    assert found["views"] == 200
    assert {d["value"]: d["views"] for d in found["domains"]} == {
        "site1.example": 1,
        "site2.example": 1,
        "site3.example": 1,
        "(other)": 197,
    }


def test_the_daily_csv_has_one_row_per_day(settings: ViewsSettings) -> None:
    clock = Clock()
    with views_client(settings, clock, peer="127.0.0.1") as client:
        view(client, 1, 1, query="ref=google.com")
        clock.advance(days=1)
        view(client, 1, 2, ua=PHONE)
        view(client, 1, 3, query="ref=t.co")
        flush(settings, clock.now)
        first = T0.date() - timedelta(days=1)
        last = clock.now.date()
        response = client.get(f"/api/v1/views/1/daily.csv?from={first}&to={last}", headers=EDITOR)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["day"] for r in rows] == [str(first), DAY, str(last)]
    assert [(r["views"], r["search"], r["social"], r["direct"], r["phone"]) for r in rows] == [
        ("0", "0", "0", "0", "0"),
        ("1", "1", "0", "0", "0"),
        ("2", "0", "1", "1", "1"),
    ]


@pytest.mark.parametrize("path", ["/api/v1/views/1/breakdown", "/api/v1/views/1/daily.csv"])
def test_analytics_need_an_editor_token(settings: ViewsSettings, path: str) -> None:
    with views_client(settings) as client:
        assert_problem(client.get(path), 401)
        assert_problem(client.get(path, headers={"Authorization": "Bearer wrong"}), 401)
        assert_problem(client.get(path, headers={"Authorization": TOKEN}), 401)
        assert client.get(path, headers=EDITOR).status_code == 200
        assert_problem(client.get(path.replace("/1/", "/77/"), headers=EDITOR), 404)


@pytest.mark.parametrize("query", ["from=yesterday", "to=3", "from=2026-3-1", "to=2026-03-32"])
def test_a_date_that_is_not_yyyy_mm_dd_is_a_422(settings: ViewsSettings, query: str) -> None:
    with views_client(settings) as client:
        for path in ("breakdown", "daily.csv"):
            assert_problem(client.get(f"/api/v1/views/1/{path}?{query}", headers=EDITOR), 422)


@pytest.mark.parametrize(
    ("query", "first", "last"),
    [
        # Longer than MAX_RANGE_DAYS: the MAX_RANGE_DAYS days ending at `to`.
        ("from=2020-01-01&to=2026-03-10", date(2026, 3, 10) - timedelta(MAX_RANGE_DAYS - 1), date(2026, 3, 10)),
        # Inverted: no day.
        ("from=2026-03-10&to=2026-03-01", date(2026, 3, 10), date(2026, 3, 1)),
        # Fewer days before `to` than the default range: from the first day there is.
        ("to=0001-01-02", date.min, date(1, 1, 2)),
    ],
)  # fmt: skip
def test_a_long_inverted_or_early_range_answers_for_the_days_it_covers(
    settings: ViewsSettings, query: str, first: date, last: date
) -> None:
    with views_client(settings) as client:
        breakdown = client.get(f"/api/v1/views/1/breakdown?{query}", headers=EDITOR)
        assert breakdown.status_code == 200, breakdown.text
        body = breakdown.json()
        assert (body["from"], body["to"]) == (first.isoformat(), last.isoformat())
        export = client.get(f"/api/v1/views/1/daily.csv?{query}", headers=EDITOR)
        assert export.status_code == 200, export.text
        assert f"-{first}-{last}.csv" in export.headers["content-disposition"]
        days = [row[0] for row in csv.reader(io.StringIO(export.text))][1:]
        covered = max((last - first).days + 1, 0)
        assert days == [(first + timedelta(i)).isoformat() for i in range(covered)]


def test_withdrawn_articles_counts_are_404_for_readers_and_open_to_editors(
    settings: ViewsSettings,
) -> None:
    with views_client(settings) as client:
        for path in ("/api/v1/views/3", "/api/v1/views/3/daily"):
            assert_problem(client.get(path), 404)
            assert_problem(client.get(path, headers={"Authorization": "Bearer nope"}), 404)
            editor = client.get(path, headers=EDITOR)
            assert editor.status_code == 200
            assert editor.headers["cache-control"] == "private, no-store"
        assert client.get("/api/v1/views/3", headers=EDITOR).json()["article_id"] == 3
        # A live article stays public and cacheable.
        live = client.get("/api/v1/views/1")
        assert live.status_code == 200
        assert live.headers["cache-control"] == "public, max-age=5"
        # Published again: public again.
        learn(settings, snapshot(3, version=3))
        assert client.get("/api/v1/views/3").status_code == 200


def test_nothing_that_identifies_a_reader_is_kept_in_the_dimensions(
    settings: ViewsSettings,
) -> None:
    """Only a referring host is kept, never the path or query of the referring page."""
    with views_client(settings, peer="127.0.0.1") as client:
        view(client, 1, 1, query="ref=https://www.google.com/search?q=my+diagnosis")
    r = redis_of(settings)
    raw: list[bytes] = r.hkeys(buffer.BUFFER_KEY)  # type: ignore[assignment]
    fields = b" ".join(raw)
    r.close()
    assert b"google.com" in fields
    assert b"diagnosis" not in fields
    assert b"203.0.113" not in fields
