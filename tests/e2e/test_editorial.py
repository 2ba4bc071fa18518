"""End to end, real processes: the editorial workflow reaches the public site.

Update a published article → its page changes; schedule one → it goes live at its time,
also when the scheduler was restarted in between; unpublish → its page is gone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.supervisor import Running
from tests.e2e.stack import Stack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("show_logs_on_failure")]


CATEGORY = "editorial"


class Editor:
    def __init__(self, stack: Stack, editor_token: str, admin_token: str) -> None:
        self.base = f"{stack.articles}/api/v1"
        self.headers = {"Authorization": f"Bearer {editor_token}"}
        admin = {"Authorization": f"Bearer {admin_token}"}
        made = httpx.post(
            f"{self.base}/categories",
            json={"slug": CATEGORY, "name": "Editorial"},
            headers=admin,
            timeout=10,
        )
        assert made.status_code in (201, 409), made.text  # 409: an earlier test made it

    def call(self, method: str, path: str, **body: Any) -> Any:
        response = httpx.request(
            method, self.base + path, json=body or None, headers=self.headers, timeout=10
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def create(self, slug: str, title: str) -> Any:
        return self.call(
            "POST",
            "/articles",
            title=title,
            slug=slug,
            category=CATEGORY,
            summary="A summary.",
            body="## First section\n\nThe first version of the text.\n",
        )


def page(stack: Stack, path: str) -> httpx.Response:
    return httpx.get(stack.pages + path, timeout=5, follow_redirects=False)


def scheduler(stack: Stack) -> Running:
    return next(r for r in reversed(stack.supervisor.running) if r.spec.name == "scheduler")


def test_an_update_to_a_published_article_shows_on_its_page(
    stack: Stack, editor_token: str, admin_token: str
) -> None:
    editor = Editor(stack, editor_token, admin_token)
    article = editor.create("e2e-updated", "A page that changes")
    editor.call("POST", f"/articles/{article['id']}/publish")
    wait_for("the page", lambda: "The first version" in page(stack, article["path"]).text)
    editor.call(
        "PATCH",
        f"/articles/{article['id']}",
        title="A page that has changed",
        body="## First section\n\nThe second version of the text.\n",
        version=2,
    )
    html = wait_for(
        "the change on the page",
        lambda: (
            (r := page(stack, article["path"])).status_code == 200
            and "The second version" in r.text
            and r.text
        ),
    )
    assert "<h1>A page that has changed</h1>" in html
    assert "The first version" not in html


def test_a_scheduled_article_goes_live_at_its_time_and_unpublish_takes_it_down(
    stack: Stack, editor_token: str, admin_token: str
) -> None:
    editor = Editor(stack, editor_token, admin_token)
    article = editor.create("e2e-scheduled", "Scheduled for later")
    at = datetime.now(UTC) + timedelta(seconds=4)
    scheduled = editor.call("POST", f"/articles/{article['id']}/publish", at=at.isoformat())
    assert scheduled["status"] == "scheduled"
    assert page(stack, article["path"]).status_code == 404  # not before its time
    wait_for("the scheduled page", lambda: page(stack, article["path"]).status_code == 200)
    live = editor.call("GET", f"/articles/{article['id']}")
    assert live["status"] == "published"
    assert datetime.fromisoformat(live["published_at"]) == at
    assert datetime.now(UTC) >= at

    editor.call("POST", f"/articles/{article['id']}/unpublish")
    wait_for("410 Gone", lambda: page(stack, article["path"]).status_code == 410)


def test_a_schedule_survives_a_scheduler_restart(
    stack: Stack, editor_token: str, admin_token: str
) -> None:
    editor = Editor(stack, editor_token, admin_token)
    article = editor.create("e2e-restart", "Scheduled across a restart")
    old = scheduler(stack)
    stack.supervisor.halt(old)
    at = datetime.now(UTC) + timedelta(seconds=2)
    editor.call("POST", f"/articles/{article['id']}/publish", at=at.isoformat(), version=1)
    # Past its time and past the expiry of any tick sent before the scheduler stopped:
    # with no scheduler running, nothing publishes it.
    time.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()) + 6)
    assert editor.call("GET", f"/articles/{article['id']}")["status"] == "scheduled"
    assert page(stack, article["path"]).status_code == 404

    stack.supervisor.resume(old)  # a new scheduler process: it knows only the database
    wait_for("the page after the restart", lambda: page(stack, article["path"]).status_code == 200)
    live = editor.call("GET", f"/articles/{article['id']}")
    assert (live["status"], live["version"]) == ("published", 3)
    revisions = editor.call("GET", f"/articles/{article['id']}/revisions")
    newest = revisions[0]
    assert (newest["version"], newest["status"], newest["created_by"]) == (
        3,
        "published",
        "scheduler",
    )
