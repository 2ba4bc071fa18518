"""The editor's article actions: each confirmation page says what readers will see, the POST
does what the API's service does (same rules, same roles), and odd input is a 4xx page."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.articles.categories import create_category
from services.articles.settings import ArticlesSettings
from shared.contracts import ArticleEvent
from shared.db import Database
from tests.articles.editor.conftest import add_user, page_token, sign_in
from tests.conftest import RedisDbs
from tests.helpers import auth, create_article, make_token, queued_events


@pytest.fixture
def token(settings: ArticlesSettings) -> str:
    return make_token(settings, "admin")


def api_article(client: TestClient, token: str, article_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/articles/{article_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def confirm(client: TestClient, path: str, **fields: str) -> Any:
    """Open a confirmation page and send its form (CSRF token and version included)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    form = {"csrf_token": page_token(client, path), **hidden_fields(page.text), **fields}
    return client.post(path.split("?")[0], data=form)


def hidden_fields(html: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html)
    return {k: v for k, v in found if k != "csrf_token"}


def sent_events(redis_dbs: RedisDbs) -> list[ArticleEvent]:
    """The render queue's events, once the dispatcher's background send has run."""
    deadline = time.monotonic() + 5
    while not (events := queued_events(redis_dbs, "render-pages")) and time.monotonic() < deadline:
        time.sleep(0.02)
    return events


def signed_in_as(settings: ArticlesSettings, client: TestClient, role: str = "editor") -> None:
    add_user(settings, f"{role}@example.org", role=role, name=role.title())
    assert sign_in(client, f"{role}@example.org").status_code == 303


def test_publish_says_the_page_goes_live_and_publishes_like_the_api(
    settings: ArticlesSettings, client: TestClient, token: str, redis_dbs: RedisDbs
) -> None:
    article = create_article(client, token, title="Bone density", category="bones-and-joints")
    signed_in_as(settings, client)
    path = f"/editor/articles/{article['id']}/publish"
    page = client.get(path)
    assert f"The page /bones-and-joints/{article['slug']} will go live now." in page.text
    assert "joins the home page, its category and tag pages, the feed" in page.text
    assert 'name="version" value="1"' in page.text
    done = confirm(client, path)
    assert done.status_code == 303
    assert done.headers["location"] == f"/editor/articles/{article['id']}"
    stored = api_article(client, token, article["id"])
    assert (stored["status"], stored["version"]) == ("published", 2)
    [event] = sent_events(redis_dbs)  # the API's event, sent after commit
    assert (event.kind, event.snapshot.version) == ("published", 2)
    revisions = client.get(f"/api/v1/articles/{article['id']}/revisions", headers=auth(token))
    assert revisions.json()[0]["created_by"] == "editor@example.org"


def test_unpublish_says_the_page_answers_410_and_leaves_the_listings(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Sleep")
    client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
    signed_in_as(settings, client)
    path = f"/editor/articles/{article['id']}/unpublish"
    page = client.get(path).text
    assert f"The page /health/{article['slug']} is taken off the site: it answers 410 Gone" in page
    assert "leaves the home page" in page
    assert confirm(client, path).status_code == 303
    assert api_article(client, token, article["id"])["status"] == "unpublished"


def test_unpublishing_a_scheduled_article_cancels_the_schedule(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Later")
    at = {"at": "2027-01-05T08:00:00Z"}
    client.post(f"/api/v1/articles/{article['id']}/publish", json=at, headers=auth(token))
    signed_in_as(settings, client)
    path = f"/editor/articles/{article['id']}/unpublish"
    assert "The schedule (2027-01-05 08:00 UTC) is cancelled" in client.get(path).text
    assert confirm(client, path).status_code == 303
    stored = api_article(client, token, article["id"])
    assert (stored["status"], stored["scheduled_at"]) == ("draft", None)


def test_archive_of_a_draft_changes_nothing_for_readers(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Old piece")
    signed_in_as(settings, client)
    path = f"/editor/articles/{article['id']}/archive"
    assert "Readers see no change: the article is not on the site." in client.get(path).text
    assert confirm(client, path).status_code == 303
    assert api_article(client, token, article["id"])["status"] == "archived"


def test_delete_is_for_admins_and_reserves_the_slug(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Gone soon")
    client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
    path = f"/editor/articles/{article['id']}/delete"
    signed_in_as(settings, client, "editor")
    assert client.get(path).status_code == 403
    refused = client.post(path, data={"csrf_token": page_token(client), "version": "2"})
    assert refused.status_code == 403 and "needs the admin role" in refused.text
    shown = client.get(f"/editor/articles/{article['id']}").text
    assert f'href="{path}"' not in shown  # an editor is not offered delete
    client.cookies.clear()
    signed_in_as(settings, client, "admin")
    page = client.get(path).text
    assert "answers 410 Gone" in page and f"({article['slug']}) stays reserved" in page
    done = confirm(client, path)
    assert (done.status_code, done.headers["location"]) == (303, "/editor/")
    gone = client.get(f"/api/v1/articles/{article['id']}", headers=auth(token))
    assert gone.status_code == 404
    assert client.get(f"/editor/articles/{article['id']}").status_code == 404


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        ("Europe/Berlin", "2027-03-27T09:00", "2027-03-27T08:00:00Z"),  # CET, UTC+1
        ("Europe/Berlin", "2027-03-28T09:00", "2027-03-28T07:00:00Z"),  # CEST from that night
        ("America/New_York", "2027-03-13T09:00", "2027-03-13T14:00:00Z"),  # EST, UTC-5
        ("America/New_York", "2027-03-14T09:00", "2027-03-14T13:00:00Z"),  # EDT, UTC-4
        ("", "2027-03-14T09:00", "2027-03-14T09:00:00Z"),  # no JavaScript: UTC
    ],
)
def test_a_schedule_is_read_in_the_users_zone_and_stored_in_utc(
    settings: ArticlesSettings, client: TestClient, token: str, zone: str, local: str, utc: str
) -> None:
    article = create_article(client, token, title="Flu season")
    signed_in_as(settings, client)
    form = client.get(f"/editor/articles/{article['id']}/schedule")
    assert 'type="datetime-local"' in form.text and 'name="tz" value="UTC"' in form.text
    assert "/editor/static/timezone." in form.text
    path = f"/editor/articles/{article['id']}/schedule?at={local}&tz={zone}"
    page = client.get(path).text
    shown_utc = f"{utc[:10]} {utc[11:16]} UTC"
    assert f"{local[:10]} {local[11:]} ({zone or 'UTC'}, UTC" in page
    assert shown_utc in page and "Until then readers see nothing" in page
    assert confirm(client, path).status_code == 303
    stored = api_article(client, token, article["id"])
    assert (stored["status"], stored["scheduled_at"]) == ("scheduled", utc)


def test_a_time_the_clocks_skip_is_refused_and_a_repeated_one_is_the_first(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Vaccines")
    signed_in_as(settings, client)
    base = f"/editor/articles/{article['id']}/schedule"
    skipped = client.get(f"{base}?at=2027-03-28T02:30&tz=Europe/Berlin")
    assert skipped.status_code == 422
    assert "does not exist in Europe/Berlin" in skipped.text and 'id="at"' in skipped.text
    repeated = client.get(f"{base}?at=2027-10-31T02:30&tz=Europe/Berlin")
    assert "happens twice in Europe/Berlin" in repeated.text
    assert "2027-10-31 00:30 UTC" in repeated.text  # the first 02:30 is CEST, UTC+2
    confirm(client, f"{base}?at=2027-10-31T02:30&tz=Europe/Berlin")
    assert api_article(client, token, article["id"])["scheduled_at"] == "2027-10-31T00:30:00Z"


@pytest.mark.parametrize(
    ("at", "tz"),
    [
        ("2027-03-01T09:00", "Mars/Olympus_Mons"),
        ("2027-03-01T09:00", "../../etc/passwd"),
        ("2027-03-01T09:00", "right/UTC"),
        ("2027-03-01T09:00", "America"),
        ("2027-03-01T09:00", "Europe/" + "x" * 100),
        ("tomorrow", "UTC"),
        ("2027-02-30T09:00", "UTC"),
        ("2027-03-01", "UTC"),
        ("9999-12-31T23:30", "America/New_York"),  # past the last storable instant
        ("0001-01-01T00:30", "Asia/Tokyo"),
        ("", "UTC"),
    ],
)
def test_an_invalid_zone_or_time_is_a_422_page(
    settings: ArticlesSettings, client: TestClient, token: str, at: str, tz: str
) -> None:
    article = create_article(client, token, title="Allergies")
    signed_in_as(settings, client)
    path = f"/editor/articles/{article['id']}/schedule"
    shown = client.get(path, params={"at": at, "tz": tz})
    assert shown.status_code == 422
    assert shown.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in shown.text
    posted = client.post(
        path, data={"csrf_token": page_token(client), "version": "1", "at": at, "tz": tz}
    )
    assert posted.status_code == 422 and "<h1>" in posted.text
    assert api_article(client, token, article["id"])["status"] == "draft"


def test_a_time_already_past_is_said_to_publish_now(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Colds")
    signed_in_as(settings, client)
    path = f"/editor/articles/{article['id']}/schedule?at=2026-11-27T08:00&tz=UTC"
    assert "has already passed" in client.get(path).text  # the clock says 09:00 UTC
    confirm(client, path)
    assert api_article(client, token, article["id"])["status"] == "published"


def _reviewed_category(settings: ArticlesSettings) -> None:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        create_category(
            session, slug="medicines", name="Medicines", now=datetime.now(UTC),
            requires_review=True,
        )  # fmt: skip
    db.dispose()


def test_publishing_without_the_required_approval_is_refused_with_a_clear_page(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    _reviewed_category(settings)
    article = create_article(client, token, title="Ibuprofen doses", category="medicines")
    signed_in_as(settings, client)
    path = f"/editor/articles/{article['id']}/publish"
    page = client.get(path).text
    assert "Articles in Medicines need a medical reviewer&#39;s approval" in page
    assert 'name="override_reason"' not in page  # only admins may override
    refused = confirm(client, path)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("text/html")
    assert "Medical review required" in refused.text and "approval" in refused.text
    scheduled = confirm(client, f"{path[:-8]}/schedule?at=2027-01-01T09:00&tz=UTC")
    assert scheduled.status_code == 409
    assert api_article(client, token, article["id"])["status"] == "draft"
    # An editor who sends an override anyway is refused by the API's rule.
    forced = confirm(client, path, override_reason="urgent")
    assert forced.status_code == 403 and "Only an admin" in forced.text


def test_an_admin_may_publish_without_approval_giving_a_reason(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    _reviewed_category(settings)
    article = create_article(client, token, title="Paracetamol", category="medicines")
    signed_in_as(settings, client, "admin")
    path = f"/editor/articles/{article['id']}/publish"
    assert 'name="override_reason"' in client.get(path).text
    assert confirm(client, path, override_reason="   ").status_code == 409  # blank: no reason
    assert confirm(client, path, override_reason="Recall notice").status_code == 303
    assert api_article(client, token, article["id"])["status"] == "published"
    reviews = client.get(f"/api/v1/articles/{article['id']}/reviews", headers=auth(token))
    assert [(r["outcome"], r["note"]) for r in reviews.json()] == [("override", "Recall notice")]


def test_wrong_status_and_stale_version_are_409_pages_that_change_nothing(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Migraine")
    signed_in_as(settings, client)
    path = f"/editor/articles/{article['id']}/unpublish"
    assert "nothing to unpublish" in client.get(path).text
    wrong = confirm(client, path)
    assert wrong.status_code == 409 and "cannot be unpublished" in wrong.text
    archive = f"/editor/articles/{article['id']}/archive"
    stale = client.post(archive, data={"csrf_token": page_token(client), "version": "1"})
    assert stale.status_code == 303  # version 1 was current: archived, now version 2
    again = client.post(
        f"/editor/articles/{article['id']}/publish",
        data={"csrf_token": page_token(client), "version": "1"},
    )
    assert again.status_code == 409 and "now at version 2" in again.text
    assert api_article(client, token, article["id"])["status"] == "archived"
    client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
    live = f"/editor/articles/{article['id']}/schedule?at=2027-01-01T09:00&tz=UTC"
    assert "unpublish it first" in client.get(live).text
    refused = confirm(client, live)
    assert refused.status_code == 409 and "cannot be scheduled" in refused.text
    assert api_article(client, token, article["id"])["status"] == "published"


def test_posts_without_csrf_are_refused_and_change_nothing(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Asthma")
    signed_in_as(settings, client, "admin")
    for action in ("publish", "unpublish", "archive", "delete"):
        refused = client.post(f"/editor/articles/{article['id']}/{action}", data={"version": "1"})
        assert refused.status_code == 403, action
        assert "not sent by this site" in refused.text
    bad = client.post(
        f"/editor/articles/{article['id']}/publish", data={"version": "1", "csrf_token": "x"}
    )
    assert bad.status_code == 403
    stored = api_article(client, token, article["id"])
    assert (stored["status"], stored["version"]) == ("draft", 1)


def test_reviewers_may_not_act_on_articles(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Eczema")
    signed_in_as(settings, client, "reviewer")
    assert "Article actions" not in client.get(f"/editor/articles/{article['id']}").text
    csrf = page_token(client)
    for action in ("publish", "schedule", "unpublish", "archive", "delete"):
        path = f"/editor/articles/{article['id']}/{action}"
        assert client.get(path).status_code == 403, action
        assert client.post(path, data={"csrf_token": csrf, "version": "1"}).status_code == 403
    assert api_article(client, token, article["id"])["status"] == "draft"


def test_the_article_page_offers_the_actions_its_status_allows(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Gout")
    client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
    signed_in_as(settings, client)
    page = client.get(f"/editor/articles/{article['id']}").text
    base = f"/editor/articles/{article['id']}"
    for offered in ("unpublish", "archive", "history"):
        assert f'href="{base}/{offered}"' in page, offered
    for hidden in ("publish", "schedule", "delete"):
        assert f'href="{base}/{hidden}"' not in page, hidden


@pytest.mark.parametrize(
    "raw", ["999", "abc", "0", "-1", "99999999999", "1" * 5000, "%C2%B2", "1.0"]
)
def test_odd_ids_and_missing_fields_are_4xx_pages(
    settings: ArticlesSettings, client: TestClient, token: str, raw: str
) -> None:
    article = create_article(client, token, title="Anaemia")
    signed_in_as(settings, client, "admin")
    csrf = page_token(client)
    for action in ("publish", "schedule", "unpublish", "archive", "delete"):
        missing = client.get(f"/editor/articles/{raw}/{action}")
        assert missing.status_code == 404, (raw, action)
        assert missing.headers["content-type"].startswith("text/html")
        posted = client.post(f"/editor/articles/{raw}/{action}", data={"csrf_token": csrf})
        assert posted.status_code == 404, (raw, action)
    for version in ("", "abc", "0", "1" * 5000, "-3"):
        refused = client.post(
            f"/editor/articles/{article['id']}/archive",
            data={"csrf_token": csrf, "version": version},
        )
        assert refused.status_code == 422 and "which version" in refused.text, version
    as_file = client.post(
        f"/editor/articles/{article['id']}/archive",
        data={"csrf_token": csrf}, files={"version": ("v.txt", b"1")},
    )  # fmt: skip
    assert as_file.status_code == 422 and as_file.headers["content-type"].startswith("text/html")
    assert api_article(client, token, article["id"])["status"] == "draft"
