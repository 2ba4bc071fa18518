"""The medical review workflow over the API (SQLite and PostgreSQL, real broker): roles,
states, the refusal to publish unreviewed clinical content and the admin's override, an
approval withdrawn by an edit, the review record, the review-due list and its gauge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.core import Metric

from services.articles import metrics
from services.articles import people_repository as people_repo
from services.articles.app import create_app
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests.conftest import RedisDbs
from tests.helpers import assert_problem, auth, create_article, make_token, queued_events

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def client_at(settings: ArticlesSettings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        yield client


class Desk:
    """An admin, an editor and a reviewer (linked to Dr Bo Chan) on a clinical category."""

    def __init__(self, client: TestClient, settings: ArticlesSettings) -> None:
        self.client = client
        self.admin = make_token(settings, "admin", "admin")
        self.editor = make_token(settings, "editor", "newsroom")
        made = client.post(
            "/api/v1/people",
            json={"name": "Dr Bo Chan", "credentials": "MD, FRCP"},
            headers=auth(self.admin),
        )
        assert made.status_code == 201, made.text
        token = client.post(
            "/api/v1/tokens",
            json={"name": "bo", "role": "reviewer", "person": "dr-bo-chan"},
            headers=auth(self.admin),
        )
        self.reviewer = token.json()["token"]
        clinical = client.post(
            "/api/v1/categories",
            json={
                "slug": "conditions",
                "name": "Conditions",
                "requires_review": True,
                "review_interval_months": 12,
            },
            headers=auth(self.admin),
        )
        assert clinical.status_code == 201, clinical.text

    def call(self, token: str, method: str, path: str, **body: Any) -> Any:
        return self.client.request(method, "/api/v1" + path, json=body or None, headers=auth(token))

    def ok(self, token: str, method: str, path: str, **body: Any) -> Any:
        response = self.call(token, method, path, **body)
        assert response.status_code in (200, 201), response.text
        return response.json()


def test_draft_review_changes_approve_publish_and_a_later_edit_withdraws_the_approval(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    clock = Clock(T0)
    with client_at(settings, clock) as client:
        desk = Desk(client, settings)
        article = create_article(client, desk.editor, category="conditions")
        path = f"/articles/{article['id']}"
        refused = desk.call(desk.editor, "POST", f"{path}/publish")
        detail = assert_problem(refused, 409)["detail"]
        assert "'conditions' need a medical reviewer's approval" in detail
        assert_problem(
            desk.call(desk.reviewer, "POST", f"{path}/reviews", outcome="approved", version=1), 409
        )

        assert desk.ok(desk.editor, "POST", f"{path}/submit", version=1)["status"] == "in_review"
        # Reviewers review; they never edit or publish; editors never review.
        assert_problem(desk.call(desk.reviewer, "POST", f"{path}/publish"), 403)
        assert_problem(desk.call(desk.reviewer, "PATCH", path, title="X", version=2), 403)
        assert_problem(
            desk.call(desk.editor, "POST", f"{path}/reviews", outcome="approved", version=2), 403
        )
        assert desk.ok(desk.reviewer, "GET", path)["status"] == "in_review"
        no_note = desk.call(
            desk.reviewer, "POST", f"{path}/reviews", outcome="changes_requested", version=2
        )
        # The schema says a request for changes carries a note: the field is named.
        errors = assert_problem(no_note, 422)["errors"]
        assert any(e["loc"][-1] == "note" and e["type"] == "missing" for e in errors), errors
        blank = desk.call(
            desk.reviewer, "POST", f"{path}/reviews", outcome="changes_requested", note="  ",
            version=2,
        )  # fmt: skip
        assert any(e["loc"][-1] == "note" for e in assert_problem(blank, 422)["errors"])
        assert_problem(desk.call(desk.reviewer, "POST", f"{path}/reviews", outcome="approved"), 428)

        clock.now = T0 + timedelta(hours=1)
        asked = desk.ok(
            desk.reviewer, "POST", f"{path}/reviews",
            outcome="changes_requested", note="Name the 2024 guideline.", version=2,
        )  # fmt: skip
        assert (asked["reviewer"], asked["article_version"]) == ("dr-bo-chan", 2)
        assert desk.ok(desk.editor, "GET", path)["status"] == "draft"
        desk.ok(
            desk.editor,
            "PATCH",
            path,
            body="## Treatment\n\nAs the 2024 guideline says.\n",
            version=3,
        )
        desk.ok(desk.editor, "POST", f"{path}/submit", version=4)
        clock.now = T0 + timedelta(days=1)
        desk.ok(desk.reviewer, "POST", f"{path}/reviews", outcome="approved", version=5)
        approved = desk.ok(desk.editor, "GET", path)
        assert (approved["status"], approved["reviewer"], approved["approved_version"]) == (
            "approved", "dr-bo-chan", 5,
        )  # fmt: skip
        published = desk.ok(desk.editor, "POST", f"{path}/publish", version=6)
        assert published["status"] == "published"

        # A typo fix flagged as such keeps the approval (and is on record); a real edit ends it.
        desk.ok(
            desk.editor,
            "PATCH",
            path,
            body="## Treatment\n\nAs the 2024 guideline says!\n",
            typo_only=True,
            version=7,
        )
        assert desk.ok(desk.editor, "GET", path)["reviewer"] == "dr-bo-chan"
        desk.ok(desk.editor, "PATCH", path, body="## Treatment\n\nA new dose.\n", version=8)
        after = desk.ok(desk.editor, "GET", path)
        assert (after["status"], after["reviewer"], after["approved_version"]) == (
            "published",
            None,
            None,
        )
        records = desk.ok(desk.editor, "GET", f"{path}/reviews")
    assert [(r["outcome"], r["article_version"], r["reviewer"], r["actor"]) for r in records] == [
        ("changes_requested", 2, "dr-bo-chan", "bo"),
        ("approved", 5, "dr-bo-chan", "bo"),
        ("typo_only", 8, None, "newsroom"),
        ("withdrawn", 9, None, "newsroom"),
    ]
    assert records[0]["note"] == "Name the 2024 guideline."
    events = [e for e in queued_events(redis_dbs, "render-pages") if e.snapshot.id == article["id"]]
    assert [(e.kind, e.snapshot.version) for e in events] == [
        ("published", 7),
        ("updated", 8),
        ("updated", 9),
    ]
    live = events[0].snapshot
    assert live.reviewer is not None and live.reviewer.slug == "dr-bo-chan"
    assert live.reviewer.credentials == "MD, FRCP"
    assert (live.reviewed_by, live.last_reviewed) == ("Dr Bo Chan", (T0 + timedelta(days=1)).date())
    assert events[1].snapshot.reviewer is not None  # typo-only: still reviewed
    assert (events[2].snapshot.reviewer, events[2].snapshot.last_reviewed) == (None, None)


def test_an_admin_may_override_with_a_reason_that_is_stored(settings: ArticlesSettings) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        article = create_article(client, desk.editor, category="conditions")
        path = f"/articles/{article['id']}"
        by_editor = desk.call(desk.editor, "POST", f"{path}/publish", override_reason="Urgent.")
        assert "Only an admin" in assert_problem(by_editor, 403)["detail"]
        assert_problem(desk.call(desk.admin, "POST", f"{path}/publish", override_reason=""), 422)
        done = desk.ok(desk.admin, "POST", f"{path}/publish", override_reason="Outbreak notice.")
        assert done["status"] == "published"
        records = desk.ok(desk.editor, "GET", f"{path}/reviews")
        assert [(r["outcome"], r["note"], r["actor"]) for r in records] == [
            ("override", "Outbreak notice.", "admin")
        ]
        # Hand-typed review lines do not exist where records decide them.
        typed = desk.call(desk.editor, "PATCH", path, reviewed_by="Dr Who", version=2)
        assert "comes from review records" in assert_problem(typed, 409)["detail"]
        # A category that does not require review publishes as before.
        plain = create_article(client, desk.editor, slug="plain", category="nutrition")
        assert (
            desk.ok(desk.editor, "POST", f"/articles/{plain['id']}/publish")["status"]
            == "published"
        )


def test_a_reviewer_token_without_a_person_cannot_review(settings: ArticlesSettings) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        anonymous = make_token(settings, "reviewer", "anonymous")
        article = create_article(client, desk.editor, category="conditions")
        desk.ok(desk.editor, "POST", f"/articles/{article['id']}/submit")
        refused = desk.call(
            anonymous, "POST", f"/articles/{article['id']}/reviews", outcome="approved", version=2
        )
        assert "not linked to a person" in assert_problem(refused, 403)["detail"]


def _gauge(settings: ArticlesSettings, clock: Clock) -> float:
    db = Database(settings.articles_database_url)
    produce = metrics.producer(lambda: db, settings.broker_url, clock)
    found: list[Metric] = [m for m in produce() if m.name == "healthhub_articles_review_overdue"]
    db.dispose()
    return float(found[0].samples[0].value)


def test_review_due_lists_lapsed_reviews_most_overdue_then_most_read_and_the_gauge_counts_them(
    settings: ArticlesSettings,
) -> None:
    clock = Clock(T0)
    with client_at(settings, clock) as client:
        desk = Desk(client, settings)
        ids = []
        for n in range(3):
            article = create_article(client, desk.editor, slug=f"due-{n}", category="conditions")
            path = f"/articles/{article['id']}"
            desk.ok(desk.editor, "POST", f"{path}/submit")
            desk.ok(desk.reviewer, "POST", f"{path}/reviews", outcome="approved", version=2)
            desk.ok(desk.editor, "POST", f"{path}/publish")
            ids.append(article["id"])
            clock.now += timedelta(days=10)
        assert desk.ok(desk.editor, "GET", "/review-due") == []
        db = Database(settings.articles_database_url)
        with db.transaction() as session:
            people_repo.upsert_views(session, ids[0], 50, 5, T0)
            people_repo.upsert_views(session, ids[1], 900, 400, T0)
        db.dispose()
        # 12 months after the first approval: the first is 1 day overdue; the second is due in 9.
        clock.now = T0 + timedelta(days=366)
        due = desk.ok(desk.reviewer, "GET", "/review-due")
        assert [(d["id"], d["days_overdue"]) for d in due] == [(ids[0], 1)]
        assert _gauge(settings, clock) == 1
        soon = desk.ok(desk.editor, "GET", "/review-due?within_days=30")
        assert [(d["id"], d["days_overdue"]) for d in soon] == [
            (ids[0], 1),
            (ids[1], -9),
            (ids[2], -19),
        ]
        assert (soon[1]["recent_views"], soon[1]["total_views"]) == (400, 900)
        # All three late: the most overdue first, however read (the tie-break on views has its
        # own test below).
        clock.now = T0 + timedelta(days=800)
        late = desk.ok(desk.editor, "GET", "/review-due")
        assert [d["id"] for d in late] == [ids[0], ids[1], ids[2]]
        assert _gauge(settings, clock) == 3
        assert_problem(desk.call(desk.editor, "GET", "/review-due?within_days=-1"), 422)
        # A new approval of a live article renews its review date.
        desk.ok(desk.reviewer, "POST", f"/articles/{ids[0]}/reviews", outcome="approved", version=4)
        assert [d["id"] for d in desk.ok(desk.editor, "GET", "/review-due")] == [ids[1], ids[2]]
        assert _gauge(settings, clock) == 2


def test_review_due_puts_the_most_read_first_among_equally_late_articles(
    settings: ArticlesSettings,
) -> None:
    clock = Clock(T0)
    with client_at(settings, clock) as client:
        desk = Desk(client, settings)
        ids = []
        for n in range(3):  # approved the same day: equally late a year on
            article = create_article(client, desk.editor, slug=f"tie-{n}", category="conditions")
            path = f"/articles/{article['id']}"
            desk.ok(desk.editor, "POST", f"{path}/submit")
            desk.ok(desk.reviewer, "POST", f"{path}/reviews", outcome="approved", version=2)
            desk.ok(desk.editor, "POST", f"{path}/publish")
            ids.append(article["id"])
        db = Database(settings.articles_database_url)
        with db.transaction() as session:
            # Recent views decide, not all-time views, and never the id.
            people_repo.upsert_views(session, ids[0], 9000, 5, T0)
            people_repo.upsert_views(session, ids[2], 100, 400, T0)
        db.dispose()
        clock.now = T0 + timedelta(days=400)
        due = desk.ok(desk.editor, "GET", "/review-due")
        assert len({d["days_overdue"] for d in due}) == 1
        assert [(d["id"], d["recent_views"]) for d in due] == [
            (ids[2], 400),
            (ids[0], 5),
            (ids[1], 0),
        ]
