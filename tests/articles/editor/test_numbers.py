"""The editor's numbers: the read model's totals, the 30-day chart and the breakdown read from
a REAL views API over HTTP (the views app served by uvicorn on a free port, real Redis), the
"numbers unavailable" box when that API is down, slow, refusing or not configured, and the
dashboard of the week's most read articles."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.articles import people_repository as people_repo
from services.articles.app import create_app
from services.articles.editor import charts
from services.articles.settings import ArticlesSettings
from services.views.app import create_app as create_views_app
from services.views.auth import token_digest
from services.views.settings import ViewsSettings
from shared.db import Database
from tests.articles.editor.conftest import Clock, add_user, sign_in
from tests.articles.editor.conftest import both_backends as backend  # noqa: F401 - both databases
from tests.helpers import auth, create_article, make_token
from tests.resources import free_port
from tests.serving import serve
from tests.views.builders import BROWSER, flush, learn, snapshot
from tests.views.builders import Clock as ViewsClock
from tests.views.ua_corpus import READERS

TOKEN = "hh_views-editor-token-of-the-tests"
PHONE = next(ua for ua, kind in READERS if kind == "phone")
XSS = '<script>alert("x")</script>'


@dataclass
class ViewsApi:
    url: str
    settings: ViewsSettings
    clock: ViewsClock

    def view(self, article_id: int, reader: int, *, ref: str = "", ua: str = BROWSER) -> None:
        """The ``reader``-th reader (an address of its own) views the article."""
        answer = httpx.post(
            f"{self.url}/api/v1/views/{article_id}" + (f"?ref={ref}" if ref else ""),
            headers={"User-Agent": ua, "X-Forwarded-For": f"203.0.113.{reader}"},
            timeout=5,
        )
        assert answer.json() == {"status": "counted"}, answer.text


@pytest.fixture
def views_api(views_settings: ViewsSettings) -> Iterator[ViewsApi]:
    settings = views_settings.model_copy(update={"editor_token_hashes": [token_digest(TOKEN)]})
    clock = ViewsClock(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    with serve(create_views_app(settings, clock)) as url:
        yield ViewsApi(url, settings, clock)


@contextmanager
def editor(settings: ArticlesSettings, **update: Any) -> Iterator[TestClient]:
    """Ann, signed in to an articles app whose settings carry ``update``."""
    app = create_app(settings.model_copy(update=update), clock=Clock())
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        assert sign_in(client).status_code == 303
        yield client


@pytest.fixture
def article_id(settings: ArticlesSettings, client: TestClient) -> int:
    add_user(settings)
    token = make_token(settings, "admin")
    article = create_article(client, token, title="Kidney stones " + XSS)
    published = client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
    assert published.status_code == 200, published.text
    return int(article["id"])


def store_views(settings: ArticlesSettings, article_id: int, total: int, recent: int) -> None:
    """What the views service's ViewCounts messages leave in the articles database."""
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        people_repo.upsert_views(session, article_id, total, recent, datetime.now(UTC))
    db.dispose()


def numbers(client: TestClient, article_id: int) -> str:
    page = client.get(f"/editor/articles/{article_id}/numbers")
    assert page.status_code == 200, page.text
    text: str = page.text
    return text


def day_rows(html: str) -> dict[str, int]:
    found = re.findall(
        r'<th scope="row"><time datetime="([\d-]+)">[\d-]+</time></th><td>(\d+)</td>', html
    )
    return {day: int(views) for day, views in found}


def test_the_numbers_come_from_the_read_model_and_the_views_api(
    settings: ArticlesSettings, article_id: int, views_api: ViewsApi
) -> None:
    store_views(settings, article_id, 4617, 80)
    learn(views_api.settings, snapshot(article_id))
    two_days_ago = views_api.clock.now - timedelta(days=2)
    today = views_api.clock.now
    views_api.clock.now = two_days_ago
    views_api.view(article_id, 1, ref="www.google.com")
    views_api.view(article_id, 2)
    flush(views_api.settings, views_api.clock.now)
    views_api.clock.now = today
    views_api.view(article_id, 3, ref="l.facebook.com", ua=PHONE)
    views_api.view(article_id, 4, ref="duckduckgo.com")
    views_api.view(article_id, 5)
    flush(views_api.settings, today)

    with editor(settings, views_api_url=views_api.url, views_api_token=TOKEN) as client:
        html = numbers(client, article_id)
        article_page = client.get(f"/editor/articles/{article_id}").text
    # The read model's totals, as the views service last reported them.
    assert re.search(r"<dt>Views, last 7 days</dt><dd>80</dd>", html)
    assert re.search(r"<dt>Views, total</dt><dd>4,617</dd>", html)
    # The 30 days from the views API: a bar and a table row for each, oldest first.
    rows = day_rows(html)
    assert len(rows) == 30
    assert list(rows)[-1] == today.date().isoformat()
    assert rows[today.date().isoformat()] == 3
    assert rows[two_days_ago.date().isoformat()] == 2
    assert sum(rows.values()) == 5
    assert html.count('<rect class="bar"') == 30
    assert 'role="img"' in html and "5 in all, most on" in html
    tallest = re.findall(
        r'<rect class="bar" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)">', html
    )
    assert max(float(h) for _, h in tallest) == charts.HEIGHT  # today's 3 fill the height
    # Where the readers came from and on what devices (the editor token's breakdown).
    assert '<th scope="row">search</th><td>2</td>' in html
    assert '<th scope="row">social</th><td>1</td>' in html
    assert '<th scope="row">direct</th><td>2</td>' in html
    assert '<th scope="row">phone</th><td>1</td>' in html
    assert '<th scope="row">desktop</th><td>4</td>' in html
    assert "Numbers unavailable" not in html
    assert "<script>alert" not in html and "Kidney stones &lt;script&gt;" in html
    # The article page loads the box into itself, with a link for a browser without script.
    assert f'hx-get="/editor/articles/{article_id}/numbers"' in article_page
    assert f'<a href="/editor/articles/{article_id}/numbers">' in article_page


def test_without_a_token_the_days_show_and_the_breakdown_is_explained(
    settings: ArticlesSettings, article_id: int, views_api: ViewsApi
) -> None:
    learn(views_api.settings, snapshot(article_id))
    views_api.view(article_id, 1)
    flush(views_api.settings, views_api.clock.now)
    with editor(settings, views_api_url=views_api.url, views_api_token="") as client:
        html = numbers(client, article_id)
    assert sum(day_rows(html).values()) == 1
    assert "needs the editor&#39;s token" in html
    assert "Where readers came from," not in html
    with editor(settings, views_api_url=views_api.url, views_api_token="hh_wrong") as client:
        refused = numbers(client, article_id)
    assert "Numbers unavailable" in refused and "refused the editor&#39;s token" in refused


def test_an_article_the_views_service_never_heard_of_has_no_days_yet(
    settings: ArticlesSettings, article_id: int, views_api: ViewsApi
) -> None:
    with editor(settings, views_api_url=views_api.url, views_api_token=TOKEN) as client:
        html = numbers(client, article_id)
    assert "No views have been counted for this article yet." in html
    assert "No views have been reported for this article yet." in html  # nor the read model
    assert "Numbers unavailable" not in html and "<svg" not in html


def test_when_the_views_api_is_down_or_silent_the_page_says_numbers_unavailable(
    settings: ArticlesSettings, article_id: int
) -> None:
    store_views(settings, article_id, 1234, 56)
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with editor(settings, views_api_url=down, views_api_token=TOKEN) as client:
        html = numbers(client, article_id)
    assert "Numbers unavailable" in html and "did not answer in time" in html
    assert "<dd>1,234</dd>" in html and "<dd>56</dd>" in html  # the read model still shows
    with editor(settings, views_api_url="") as client:
        assert "not configured" in numbers(client, article_id)
    # A service that takes the connection and never answers: the page waits the timeout only.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with editor(settings, views_api_url=url, views_api_timeout_seconds=0.3) as client:
            started = time.monotonic()
            html = numbers(client, article_id)
            waited = time.monotonic() - started
    assert "Numbers unavailable" in html
    assert waited < 3, waited


def test_the_numbers_page_refuses_odd_ids_with_a_404_page(
    settings: ArticlesSettings, article_id: int
) -> None:
    with editor(settings, views_api_url="") as client:
        for odd in ("abc", "0", "-1", "9" * 5000, "99999999"):
            answer = client.get(f"/editor/articles/{odd}/numbers")
            assert answer.status_code == 404, odd
            assert "No such article" in answer.text


def test_the_dashboard_ranks_the_weeks_most_read(
    settings: ArticlesSettings, client: TestClient, article_id: int
) -> None:
    token = make_token(settings, "admin", "second")
    quiet = create_article(client, token, title="Read long ago", slug="quiet")
    popular = create_article(client, token, title="Popular this week", slug="popular")
    gone = create_article(client, token, title="Deleted since", slug="gone")
    store_views(settings, article_id, 100, 30)
    store_views(settings, quiet["id"], 9_999, 0)
    store_views(settings, popular["id"], 2_000, 1_500)
    store_views(settings, gone["id"], 500, 400)
    deleted = client.delete(f"/api/v1/articles/{gone['id']}", headers=auth(token))
    assert deleted.status_code in (200, 204), deleted.text
    sign_in(client)
    page = client.get("/editor/dashboard")
    assert page.status_code == 200
    assert 'href="/editor/dashboard"' in page.text  # in the navigation
    ranked = re.findall(r'<a href="/editor/articles/(\d+)">', page.text.split("<tbody>")[1])
    assert ranked == [str(popular["id"]), str(article_id)]
    assert "<td>1,500</td>" in page.text and "<td>2,000</td>" in page.text
    assert "<script>alert" not in page.text and "Kidney stones &lt;script&gt;" in page.text


def test_the_chart_scales_to_the_highest_day_and_stays_flat_at_zero() -> None:
    days = [(date(2026, 11, 25), 2), (date(2026, 11, 26), 0), (date(2026, 11, 27), 4)]
    chart = charts.bar_chart(days)
    assert [b.height for b in chart.bars] == [charts.HEIGHT / 2, 0, charts.HEIGHT]
    assert [b.y + b.height for b in chart.bars] == [charts.HEIGHT] * 3  # all on the axis
    assert chart.bars[0].x < chart.bars[1].x < chart.bars[2].x
    assert chart.summary == (
        "Views per day from 2026-11-25 to 2026-11-27: 6 in all, most on 2026-11-27 (4)."
    )
    flat = charts.bar_chart([(date(2026, 11, 27), 0)])
    assert flat.bars[0].height == 0 and flat.most == 0
    assert charts.bar_chart([]).summary == "No days to show."
