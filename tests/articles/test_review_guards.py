"""The guards of the medical review workflow (SQLite and PostgreSQL, real broker): nothing
unreviewed goes live through the scheduler, however the article lost its standing; authors
never approve their own work; the limits of a typo-only edit; what review-due counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update

from services.articles import review_due, scheduling, service
from services.articles.models import Category
from services.articles.schemas import ArticleCreate
from services.articles.settings import ArticlesSettings
from services.articles.worker import create_celery
from shared.db import Database
from tests.articles.test_media import uploaded
from tests.articles.test_review import T0, Clock, Desk, _gauge, client_at
from tests.conftest import RedisDbs
from tests.helpers import assert_problem, create_article, queued_events
from tests.images import jpeg

AT = T0 + timedelta(hours=2)


def _run_scheduler(settings: ArticlesSettings, now: datetime, batch_size: int = 100) -> int:
    db = Database(settings.articles_database_url)
    try:
        return scheduling.publish_due(db, create_celery(settings), now=now, batch_size=batch_size)
    finally:
        db.dispose()


def _events_of(redis_dbs: RedisDbs, article_id: int) -> list[str]:
    events = queued_events(redis_dbs, "render-pages")
    return [e.kind for e in events if e.snapshot.id == article_id]


def _taken_off(desk: Desk, path: str) -> list[str]:
    records = desk.ok(desk.editor, "GET", f"{path}/reviews")
    return [r["note"] for r in records if r["note"].startswith("Taken off the schedule")]


def test_the_scheduler_checks_the_review_rule_itself_and_sends_an_unreviewed_article_to_draft(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        article = create_article(client, desk.editor, category="nutrition")
        path = f"/articles/{article['id']}"
        desk.ok(desk.editor, "POST", f"{path}/publish", at=AT.isoformat())
        # The rule changed behind the API's back (a script, a restore of the categories):
        # only the scheduler's own check stands between the article and the page.
        db = Database(settings.articles_database_url)
        with db.transaction() as session:
            session.execute(
                update(Category).where(Category.slug == "nutrition").values(requires_review=True)
            )
        db.dispose()
        assert _run_scheduler(settings, AT + timedelta(seconds=1)) == 0
        after = desk.ok(desk.editor, "GET", path)
        assert (after["status"], after["scheduled_at"], after["published_at"]) == (
            "draft",
            None,
            None,
        )
        assert _taken_off(desk, path) == [
            "Taken off the schedule: its category requires a medical approval and none is in force."
        ]
    assert _events_of(redis_dbs, article["id"]) == []


def test_a_category_that_starts_to_require_review_takes_its_unreviewed_articles_off_schedule(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        article = create_article(client, desk.editor, category="nutrition")
        path = f"/articles/{article['id']}"
        desk.ok(desk.editor, "POST", f"{path}/publish", at=AT.isoformat())
        desk.ok(desk.admin, "PATCH", "/categories/nutrition", requires_review=True)
        after = desk.ok(desk.editor, "GET", path)
        assert (after["status"], after["scheduled_at"]) == ("draft", None)
        assert _taken_off(desk, path) == [
            "Taken off the schedule: its category 'nutrition' now requires a medical approval."
        ]
        assert _run_scheduler(settings, AT + timedelta(seconds=1)) == 0
    assert _events_of(redis_dbs, article["id"]) == []


def test_a_scheduled_article_moved_into_a_review_category_goes_back_to_draft(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        article = create_article(client, desk.editor, category="nutrition")
        path = f"/articles/{article['id']}"
        desk.ok(desk.editor, "POST", f"{path}/publish", at=AT.isoformat())
        moved = desk.ok(
            desk.editor,
            "PATCH",
            path,
            category="conditions",
            body="New dose: 2 tablets.",
            version=2,
        )
        assert (moved["status"], moved["scheduled_at"]) == ("draft", None)
        assert _run_scheduler(settings, AT + timedelta(seconds=1)) == 0
    assert _events_of(redis_dbs, article["id"]) == []


def test_an_override_covers_only_the_version_it_was_given_for(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        article = create_article(client, desk.editor, category="conditions")
        path = f"/articles/{article['id']}"
        desk.ok(
            desk.admin, "POST", f"{path}/publish", at=AT.isoformat(), override_reason="Outbreak."
        )
        rewritten = desk.ok(desk.editor, "PATCH", path, body="Something else entirely.", version=2)
        assert (rewritten["status"], rewritten["scheduled_at"]) == ("draft", None)
        outcomes = [r["outcome"] for r in desk.ok(desk.editor, "GET", f"{path}/reviews")]
        assert outcomes[:2] == ["override", "withdrawn"]
        assert _run_scheduler(settings, AT + timedelta(seconds=1)) == 0
        # Untouched, the override still takes the article live on time.
        other = create_article(client, desk.editor, slug="other", category="conditions")
        other_path = f"/articles/{other['id']}"
        desk.ok(
            desk.admin, "POST", f"{other_path}/publish", at=AT.isoformat(), override_reason="Now."
        )
        assert _run_scheduler(settings, AT + timedelta(seconds=1)) == 1
        assert desk.ok(desk.editor, "GET", other_path)["status"] == "published"
    assert _events_of(redis_dbs, article["id"]) == []
    assert _events_of(redis_dbs, other["id"]) == ["published"]


def test_an_author_cannot_review_their_own_article(settings: ArticlesSettings) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        for n, authorship in enumerate(
            ({"author_slugs": ["dr-bo-chan"]}, {"authors": ["Dr Bo Chan"]})
        ):
            article = create_article(
                client, desk.editor, slug=f"own-{n}", category="conditions", **authorship
            )
            path = f"/articles/{article['id']}"
            desk.ok(desk.editor, "POST", f"{path}/submit", version=1)
            for outcome in ("approved", "changes_requested"):
                own = desk.call(
                    desk.reviewer, "POST", f"{path}/reviews", outcome=outcome, note="x", version=2
                )
                detail = assert_problem(own, 409)["detail"]
                assert "Dr Bo Chan is an author of this article and cannot review it" in detail
            assert desk.ok(desk.editor, "GET", path)["status"] == "in_review"
            assert desk.ok(desk.editor, "GET", f"{path}/reviews") == []


def test_an_article_taken_off_the_site_goes_back_through_review_after_an_edit(
    settings: ArticlesSettings,
) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        for off in ("unpublish", "archive"):
            article = create_article(client, desk.editor, slug=f"off-{off}", category="conditions")
            path = f"/articles/{article['id']}"
            desk.ok(desk.editor, "POST", f"{path}/submit", version=1)
            desk.ok(desk.reviewer, "POST", f"{path}/reviews", outcome="approved", version=2)
            desk.ok(desk.editor, "POST", f"{path}/publish", version=3)
            status = desk.ok(desk.editor, "POST", f"{path}/{off}", version=4)["status"]
            edited = desk.ok(desk.editor, "PATCH", path, body="A new dose.", version=5)
            assert (edited["status"], edited["approved_version"]) == (status, None)
            assert_problem(desk.call(desk.editor, "POST", f"{path}/publish", version=6), 409)
            submitted = desk.ok(desk.editor, "POST", f"{path}/submit", version=6)
            assert submitted["status"] == "in_review"
            desk.ok(desk.reviewer, "POST", f"{path}/reviews", outcome="approved", version=7)
            again = desk.ok(desk.editor, "POST", f"{path}/publish", version=8)
            assert (again["status"], again["approved_version"]) == ("published", 7)
        # A live article is not submitted: it is re-reviewed where it stands.
        live = desk.call(desk.editor, "POST", f"{path}/submit", version=9)
        assert "only a draft, unpublished or archived one" in assert_problem(live, 409)["detail"]


def test_review_due_and_its_gauge_count_only_categories_that_require_review(
    settings: ArticlesSettings,
) -> None:
    clock = Clock(T0)
    with client_at(settings, clock) as client:
        desk = Desk(client, settings)
        plain = create_article(client, desk.editor, slug="plain", category="nutrition")
        desk.ok(desk.editor, "POST", f"/articles/{plain['id']}/publish")
        clinical = create_article(client, desk.editor, slug="clinical", category="conditions")
        desk.ok(desk.admin, "POST", f"/articles/{clinical['id']}/publish", override_reason="Now.")
        clock.now = T0 + timedelta(days=3)
        due = desk.ok(desk.editor, "GET", "/review-due")
        # Never reviewed (an override approves nothing): due since it was published.
        assert [(d["id"], d["days_overdue"]) for d in due] == [(clinical["id"], 3)]
        assert _gauge(settings, clock) == 1


def test_review_due_asks_the_database_with_a_few_parameters_however_large_the_site(
    settings: ArticlesSettings,
) -> None:
    """An id list in one statement breaks past SQLite's 32,766 variables (psycopg: 65,535
    parameters); the statements' parameters must not grow with the number of articles."""
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        health = session.scalars(select(Category).where(Category.slug == "health")).one()
        health.requires_review = True
        for n in range(60):
            article = service.create(
                session,
                data=ArticleCreate(title=f"Clinical {n}", category="health", body="Text."),
                actor="test",
                now=T0,
                max_body_bytes=1_000_000,
            )
            service.publish(
                session,
                article_id=article.id,
                expected_version=1,
                actor="admin",
                now=T0,
                role="admin",
                override_reason="Imported.",
            )
    sizes: list[int] = []

    def count(_c: Any, _cur: Any, _stmt: str, params: Any, _ctx: Any, _many: bool) -> None:
        sizes.append(len(params))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.transaction() as session:
            due = review_due.due_articles(session, today=(T0 + timedelta(days=1)).date())
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        db.dispose()
    assert len(due) == 60
    assert sizes and max(sizes) < 10, sizes


def _approved_and_published(desk: Desk, client: Any, slug: str, body: str) -> str:
    article = create_article(client, desk.editor, slug=slug, category="conditions", body=body)
    path = f"/articles/{article['id']}"
    desk.ok(desk.editor, "POST", f"{path}/submit", version=1)
    desk.ok(desk.reviewer, "POST", f"{path}/reviews", outcome="approved", version=2)
    desk.ok(desk.editor, "POST", f"{path}/publish", version=3)
    return path


def test_a_typo_only_edit_may_not_change_a_number_or_more_than_a_few_words(
    settings: ArticlesSettings,
) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        body = "Take 1 tablet a day with water, after a meal, for a week at most."
        path = _approved_and_published(desk, client, "dose", body)
        refused = {
            "Take 40 tablets a day with water, after a meal, for a week at most.": "a number",
            "Take 1 tablet a day with milk and honey and lemon, for a week at most.": "3 words",
            "Take 1 tablet a day with water, after a meal, for a fortnight-and-a-half-or-so "
            "and-then-some-more at most.": "40 characters",
        }
        for new_body, why in refused.items():
            answer = desk.call(desk.editor, "PATCH", path, body=new_body, typo_only=True, version=4)
            detail = assert_problem(answer, 422)["detail"]
            assert "not typo-only" in detail and why in detail and "'body'" in detail
        kept = desk.ok(
            desk.editor,
            "PATCH",
            path,
            body="Take 1 tablet a day with water, after a meal, for a week at most!",
            typo_only=True,
            version=4,
        )
        assert kept["approved_version"] == 2
        records = desk.ok(desk.editor, "GET", f"{path}/reviews")
        assert [r["outcome"] for r in records] == ["approved", "typo_only"]


def test_swapping_the_hero_image_or_its_alt_text_withdraws_the_approval(
    settings: ArticlesSettings,
) -> None:
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        rash, other = (
            uploaded(client, desk.editor, jpeg(800 + n, 600), alt="A rash") for n in (0, 1)
        )
        for n, change in enumerate(({"hero_media_id": other["id"]}, {"hero_image_alt": "A mole"})):
            article = create_article(
                client, desk.editor, slug=f"hero-{n}", category="conditions",
                hero_media_id=rash["id"], hero_image_alt="A rash on an arm",
            )  # fmt: skip
            path = f"/articles/{article['id']}"
            desk.ok(desk.editor, "POST", f"{path}/submit", version=1)
            desk.ok(desk.reviewer, "POST", f"{path}/reviews", outcome="approved", version=2)
            desk.ok(desk.editor, "POST", f"{path}/publish", version=3)
            after = desk.ok(desk.editor, "PATCH", path, version=4, **change)
            assert (after["status"], after["approved_version"]) == ("published", None), change
            outcomes = [r["outcome"] for r in desk.ok(desk.editor, "GET", f"{path}/reviews")]
            assert outcomes == ["approved", "withdrawn"]


def test_articles_sent_back_to_draft_do_not_end_a_scheduler_run_early(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    """The scheduler goes on while a batch is full: articles it sent back to draft fill a
    batch as much as those it published."""
    with client_at(settings, Clock(T0)) as client:
        desk = Desk(client, settings)
        first = create_article(client, desk.editor, slug="first", category="nutrition")
        second = create_article(client, desk.editor, slug="second", category="health")
        for article, at in ((first, AT), (second, AT + timedelta(minutes=1))):
            desk.ok(desk.editor, "POST", f"/articles/{article['id']}/publish", at=at.isoformat())
        db = Database(settings.articles_database_url)
        with db.transaction() as session:
            session.execute(
                update(Category).where(Category.slug == "nutrition").values(requires_review=True)
            )
        db.dispose()
        assert _run_scheduler(settings, AT + timedelta(hours=1), batch_size=1) == 1
        assert desk.ok(desk.editor, "GET", f"/articles/{first['id']}")["status"] == "draft"
        assert desk.ok(desk.editor, "GET", f"/articles/{second['id']}")["status"] == "published"
    assert _events_of(redis_dbs, second["id"]) == ["published"]
