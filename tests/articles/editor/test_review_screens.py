"""The medical review in the editor: the reviewers' queue, approving and asking for changes
through the screens (the state the API then reports), the writer's submit button, the rule's
refusals as pages (own article, no note, stale version, wrong role, odd input), escaping,
and the review-due list (most overdue first, then the most read)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.articles import people_repository as people_repo
from services.articles.editor import users
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests.articles.editor.conftest import (
    PASSWORD,
    Clock,
    add_user,
    client_at,
    csrf_from,
    page_token,
    sign_in,
)
from tests.articles.editor.conftest import both_backends as backend  # noqa: F401 - both databases
from tests.helpers import auth, create_article, make_token

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
_REVIEW_LINKS = re.compile(r'<a href="/editor/review/(\d+)">([^<]*)</a>')


def add_reviewer(
    settings: ArticlesSettings, email: str = "bo@example.org", person: str | None = "dr-bo-chan"
) -> None:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        users.create_user(
            session, email=email, name="Dr Bo Chan", role="reviewer", password=PASSWORD,
            now=datetime.now(UTC), person=person,
        )  # fmt: skip
    db.dispose()


@dataclass
class Desk:
    """A writer (Ann, editor) and a reviewer (Bo, linked to the person Dr Bo Chan), each in a
    browser of their own, and API tokens to set things up and to read what the API reports."""

    api: TestClient
    writer: TestClient
    reviewer: TestClient
    admin: str
    editor: str

    def article(self, **fields: Any) -> dict[str, Any]:
        return create_article(self.api, self.editor, **fields)

    def get(self, article_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self.api.get(
            f"/api/v1/articles/{article_id}", headers=auth(self.admin)
        ).json()
        return found

    def reviews(self, article_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api.get(
            f"/api/v1/articles/{article_id}/reviews", headers=auth(self.admin)
        ).json()
        return found

    def submit(self, article_id: int, version: int) -> Any:
        token = page_token(self.writer, f"/editor/articles/{article_id}")
        return self.writer.post(
            f"/editor/articles/{article_id}/submit",
            data={"csrf_token": token, "version": str(version)},
        )

    def decide(
        self, article_id: int, outcome: str, note: str = "", version: int | None = None,
        browser: TestClient | None = None,
    ) -> Any:  # fmt: skip
        browser = browser or self.reviewer
        screen = browser.get(f"/editor/review/{article_id}")
        assert screen.status_code == 200, screen.text
        form = {
            "csrf_token": csrf_from(screen.text),
            "outcome": outcome,
            "note": note,
            "version": str(version if version is not None else self.get(article_id)["version"]),
        }
        return browser.post(f"/editor/review/{article_id}", data=form)


@pytest.fixture
def desk(settings: ArticlesSettings, client: TestClient) -> Desk:
    admin = make_token(settings, "admin", "admin")
    made = client.post("/api/v1/people", json={"name": "Dr Bo Chan"}, headers=auth(admin))
    assert made.status_code == 201, made.text
    add_user(settings)  # Ann, editor
    add_reviewer(settings)
    writer, reviewer = client_at(client, "10.0.0.1"), client_at(client, "10.0.0.2")
    assert sign_in(writer).status_code == 303
    assert sign_in(reviewer, "bo@example.org").status_code == 303
    return Desk(client, writer, reviewer, admin, make_token(settings, "editor", "newsroom"))


def test_the_queue_lists_only_articles_submitted_for_review(desk: Desk) -> None:
    waiting = desk.article(title="Waiting for a reviewer")
    desk.article(title="Still a draft")
    approved = desk.article(title="Already approved")
    for article in (waiting, approved):
        assert desk.submit(article["id"], 1).status_code == 303
    assert desk.decide(approved["id"], "approved").status_code == 303
    again = desk.decide(approved["id"], "approved")  # approved is not in review any more
    assert again.status_code == 409
    assert "Not possible now" in again.text and "cannot be reviewed" in again.text
    queue = desk.reviewer.get("/editor/review")
    assert queue.status_code == 200
    assert _REVIEW_LINKS.findall(queue.text) == [(str(waiting["id"]), "Waiting for a reviewer")]
    assert "1 waiting" in queue.text
    # The navigation offers the queue to reviewers, not to writers.
    assert 'href="/editor/review"' in queue.text
    assert 'href="/editor/review"' not in desk.writer.get("/editor/").text


def test_approving_through_the_screens_changes_the_state_as_the_api_does(desk: Desk) -> None:
    article = desk.article(title="Kidney stones")
    page = desk.writer.get(f"/editor/articles/{article['id']}")
    assert "Submit version 1 for review" in page.text
    submitted = desk.submit(article["id"], 1)
    assert submitted.status_code == 303
    assert submitted.headers["location"] == f"/editor/articles/{article['id']}"
    assert desk.get(article["id"])["status"] == "in_review"
    assert desk.get(article["id"])["version"] == 2
    waiting = desk.writer.get(f"/editor/articles/{article['id']}").text
    assert "Submit version" not in waiting and "Waiting for a medical reviewer" in waiting
    for_reviewer = desk.reviewer.get(f"/editor/articles/{article['id']}").text
    assert f'<a href="/editor/review/{article["id"]}">Review this article</a>' in for_reviewer

    approved = desk.decide(article["id"], "approved", version=2)
    assert approved.status_code == 303
    assert approved.headers["location"] == "/editor/review"
    found = desk.get(article["id"])
    assert (found["status"], found["version"]) == ("approved", 3)
    [record] = desk.reviews(article["id"])
    assert record["outcome"] == "approved"
    assert record["reviewer"] == "dr-bo-chan"
    assert record["article_version"] == 2
    assert "bo@example.org" in record["actor"]
    assert _REVIEW_LINKS.findall(desk.reviewer.get("/editor/review").text) == []


def test_asking_for_changes_needs_a_note_and_sends_the_article_back(desk: Desk) -> None:
    article = desk.article(title="Sleep and mood")
    desk.submit(article["id"], 1)
    for blank in ("", "   "):
        refused = desk.decide(article["id"], "changes_requested", note=blank)
        assert refused.status_code == 422
        assert "A note is needed" in refused.text
        assert 'role="alert"' in refused.text
    assert desk.get(article["id"])["status"] == "in_review"
    assert desk.reviews(article["id"]) == []

    asked = desk.decide(article["id"], "changes_requested", note="Cite the 2024 guideline.")
    assert asked.status_code == 303
    found = desk.get(article["id"])
    assert (found["status"], found["version"]) == ("draft", 3)
    [record] = desk.reviews(article["id"])
    assert (record["outcome"], record["note"]) == ("changes_requested", "Cite the 2024 guideline.")
    # The writer reads the note, and submits again.
    record_page = desk.writer.get(f"/editor/review/{article['id']}")
    assert record_page.status_code == 200
    assert "Cite the 2024 guideline." in record_page.text
    assert "Request changes" not in record_page.text  # no verdict forms for a writer
    assert desk.submit(article["id"], 3).status_code == 303
    assert desk.get(article["id"])["status"] == "in_review"


def test_a_reviewer_cannot_approve_their_own_article(desk: Desk) -> None:
    article = desk.article(title="By Dr Chan", author_slugs=["dr-bo-chan"])
    desk.submit(article["id"], 1)
    for outcome in ("approved", "changes_requested"):
        refused = desk.decide(article["id"], outcome, note="Fine.")
        assert refused.status_code == 409
        assert "You cannot review your own article" in refused.text
        assert "Dr Bo Chan is an author of this article and cannot review it" in refused.text
    assert desk.get(article["id"])["status"] == "in_review"
    assert desk.reviews(article["id"]) == []


def test_a_plain_editor_cannot_review_and_a_reviewer_cannot_submit(desk: Desk) -> None:
    article = desk.article()
    desk.submit(article["id"], 1)
    token = page_token(desk.writer)
    refused = desk.writer.post(
        f"/editor/review/{article['id']}",
        data={"csrf_token": token, "outcome": "approved", "version": "2"},
    )
    assert refused.status_code == 403
    assert "needs the reviewer role" in refused.text
    assert desk.writer.get("/editor/review").status_code == 403
    assert desk.get(article["id"])["status"] == "in_review"

    draft = desk.article(slug="another")
    reviewer_token = page_token(desk.reviewer)
    not_yours = desk.reviewer.post(
        f"/editor/articles/{draft['id']}/submit",
        data={"csrf_token": reviewer_token, "version": "1"},
    )
    assert not_yours.status_code == 403
    assert desk.get(draft["id"])["status"] == "draft"
    # No CSRF token: refused before anything is read.
    forged = desk.reviewer.post(
        f"/editor/review/{article['id']}", data={"outcome": "approved", "version": "2"}
    )
    assert forged.status_code == 403
    assert desk.get(article["id"])["status"] == "in_review"


def test_a_reviewer_not_linked_to_a_person_is_told_so(
    settings: ArticlesSettings, desk: Desk
) -> None:
    add_reviewer(settings, "cy@example.org", person=None)
    cy = client_at(desk.api, "10.0.0.3")
    sign_in(cy, "cy@example.org")
    article = desk.article()
    desk.submit(article["id"], 1)
    refused = desk.decide(article["id"], "approved", browser=cy)
    assert refused.status_code == 403
    assert "not linked to a person" in refused.text
    assert desk.get(article["id"])["status"] == "in_review"


def test_odd_input_gets_a_clear_4xx_page(desk: Desk) -> None:
    article = desk.article()
    desk.submit(article["id"], 1)
    token = page_token(desk.reviewer)
    path = f"/editor/review/{article['id']}"
    cases: list[tuple[str, dict[str, str], int, str]] = [
        (path, {"outcome": "approved", "version": "1"}, 409, "You edited version 1"),
        (path, {"outcome": "approved", "version": "x"}, 422, "which version you reviewed"),
        (path, {"outcome": "approved", "version": "9" * 5000}, 422, "which version"),
        (path, {"outcome": "approved"}, 422, "which version"),
        (path, {"outcome": "bogus", "version": "2"}, 422, "not filled in"),
        (path, {"version": "2"}, 422, "not filled in"),
        (
            path,
            {"outcome": "changes_requested", "note": "x" * 4001, "version": "2"},
            422,
            "at most 4,000 characters",
        ),
        (
            path,
            {"outcome": "changes_requested", "note": "a\x00b", "version": "2"},
            422,
            "no control characters",
        ),
        ("/editor/review/abc", {"outcome": "approved", "version": "2"}, 404, "No such article"),
        ("/editor/review/0", {"outcome": "approved", "version": "2"}, 404, "No such article"),
        ("/editor/review/" + "9" * 5000, {"outcome": "approved"}, 404, "No such article"),
        ("/editor/review/99999999", {"outcome": "approved", "version": "2"}, 404, "No such"),
    ]
    for url, form, status, text in cases:
        answer = desk.reviewer.post(url, data={"csrf_token": token, **form})
        assert answer.status_code == status, (url, form, answer.text)
        assert answer.headers["content-type"].startswith("text/html")
        assert text in answer.text
    assert desk.get(article["id"])["status"] == "in_review"
    assert desk.reviews(article["id"]) == []
    for url in ("/editor/review/abc", "/editor/review/-1", "/editor/review/" + "9" * 5000):
        assert desk.reviewer.get(url).status_code == 404
    # Submitting twice: the second is refused by the rule (in review already).
    twice = desk.submit(article["id"], 2)
    assert twice.status_code == 409
    assert "cannot be submitted for review" in twice.text
    writer_token = page_token(desk.writer)
    for form in ({"version": "abc"}, {}):
        bad = desk.writer.post(
            f"/editor/articles/{article['id']}/submit", data={"csrf_token": writer_token, **form}
        )
        assert bad.status_code == 422
    gone = desk.writer.post(
        "/editor/articles/12345678/submit", data={"csrf_token": writer_token, "version": "1"}
    )
    assert gone.status_code == 404


def test_titles_bodies_and_notes_are_escaped(desk: Desk) -> None:
    article = desk.article(title="Tricky " + XSS[:40], summary=XSS, body=XSS)
    desk.submit(article["id"], 1)
    for page in (
        desk.reviewer.get("/editor/review"),
        desk.reviewer.get(f"/editor/review/{article['id']}"),
    ):
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "<img src=x" not in page.text
    asked = desk.decide(article["id"], "changes_requested", note=XSS)
    assert asked.status_code == 303
    record_page = desk.writer.get(f"/editor/review/{article['id']}")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in record_page.text
    assert "<script>alert" not in record_page.text


# --- review-due -----------------------------------------------------------------------------


def _publish(desk: Desk, clock: Clock, *, days_ago: int, title: str) -> int:
    """Published ``days_ago`` with an admin's override: never reviewed, due since then."""
    now = clock.now
    clock.now = now - timedelta(days=days_ago)
    try:
        article = desk.article(title=title, category="conditions", slug=None)
        published = desk.api.post(
            f"/api/v1/articles/{article['id']}/publish",
            json={"override_reason": "Urgent public-health notice."},
            headers=auth(desk.admin),
        )
        assert published.status_code == 200, published.text
    finally:
        clock.now = now
    return int(article["id"])


def test_review_due_lists_the_most_overdue_first_with_dates_and_views(
    settings: ArticlesSettings, desk: Desk, clock: Clock
) -> None:
    made = desk.api.post(
        "/api/v1/categories",
        json={"slug": "conditions", "name": "Conditions", "requires_review": True,
              "review_interval_months": 12},
        headers=auth(desk.admin),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    oldest = _publish(desk, clock, days_ago=400, title="Oldest " + XSS)
    read_less = _publish(desk, clock, days_ago=10, title="Ten days, read less")
    read_more = _publish(desk, clock, days_ago=10, title="Ten days, read more")
    reviewed = desk.article(title="Reviewed last month", category="conditions")
    desk.submit(reviewed["id"], 1)
    clock.now -= timedelta(days=30)
    assert desk.decide(reviewed["id"], "approved").status_code == 303
    clock.now += timedelta(days=30)
    published = desk.api.post(
        f"/api/v1/articles/{reviewed['id']}/publish", json={}, headers=auth(desk.admin)
    )
    assert published.status_code == 200, published.text
    db = Database(settings.articles_database_url)
    with db.transaction() as session:  # as the views service's ViewCounts would
        people_repo.upsert_views(session, read_less, 5_000, 40, clock.now)
        people_repo.upsert_views(session, read_more, 1_000, 900, clock.now)
        people_repo.upsert_views(session, oldest, 12, 1, clock.now)
    db.dispose()

    page = desk.writer.get("/editor/review-due")
    assert page.status_code == 200
    rows = re.findall(r'<a href="/editor/articles/(\d+)">', page.text.split("<tbody>")[1])
    # Most overdue first; of two equally late, the more read in the last 7 days.
    assert rows == [str(oldest), str(read_more), str(read_less)]
    assert "Overdue by 400 days" in page.text
    assert "Overdue by 10 days" in page.text
    due = (clock.now - timedelta(days=400)).date().isoformat()
    assert f'<time datetime="{due}">' in page.text
    assert "<td>900</td>" in page.text and "<td>1,000</td>" in page.text
    assert "<script>alert" not in page.text
    # Within a year, the article reviewed a month ago is due too, last.
    later = desk.writer.get("/editor/review-due?within_days=400")
    rows = re.findall(r'<a href="/editor/articles/(\d+)">', later.text.split("<tbody>")[1])
    assert rows[-1] == str(reviewed["id"]) and len(rows) == 4
    assert "Due in 335 days" in later.text
    for fine in ("", "0", "00", "3650"):
        assert desk.writer.get(f"/editor/review-due?within_days={fine}").status_code == 200
    for odd in ("abc", "-1", "3651", "9" * 5000, "1.5", "١٢"):
        answer = desk.writer.get(f"/editor/review-due?within_days={odd}")
        assert answer.status_code == 422, odd
        assert "whole number of days" in answer.text


def test_users_with_the_longest_names_and_emails_submit_and_review(
    settings: ArticlesSettings, client: TestClient
) -> None:
    """A revision and a review record name the user in at most 120 characters; PostgreSQL
    refuses a longer value (SQLite would store it), so this runs on both."""
    admin = make_token(settings, "admin", "admin")
    assert client.post("/api/v1/people", json={"name": "Dr Bo Chan"}, headers=auth(admin))
    long_local = "w" * 64
    writer_email = f"{long_local}@{'d' * 60}.{'e' * 60}.{'f' * 60}.example.org"[:254]
    reviewer_email = f"{'r' * 64}@{'g' * 60}.{'h' * 60}.{'i' * 60}.example.org"[:254]
    add_user(settings, writer_email, name="N" * 200)
    add_reviewer(settings, reviewer_email)
    writer, reviewer = client_at(client, "10.0.0.1"), client_at(client, "10.0.0.2")
    assert sign_in(writer, writer_email).status_code == 303
    assert sign_in(reviewer, reviewer_email).status_code == 303
    desk = Desk(client, writer, reviewer, admin, make_token(settings, "editor", "newsroom"))
    article = desk.article(title="Kidney stones")
    assert desk.submit(article["id"], 1).status_code == 303
    assert desk.decide(article["id"], "approved", version=2).status_code == 303
    [record] = desk.reviews(article["id"])
    assert record["actor"] == reviewer_email[:120]
    assert desk.get(article["id"])["status"] == "approved"
