"""The editor's history and schedule pages in a real browser, under the editor's CSP: one
articles API process, Debian's Chromium. What only a browser shows: the time-zone field
filled by timezone.js (a schedule typed in New York time is stored in UTC), and forms that
work by keyboard and button without any inline script."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.articles import tokens
from services.articles.commands import MIGRATIONS
from services.articles.editor import users
from services.articles.settings import ArticlesSettings
from services.supervisor import ProcessSpec, Supervisor
from shared.db import Database, migrate
from tests.e2e.browser import chromium
from tests.helpers import seed_categories
from tests.resources import free_port

__all__ = ["chromium"]  # the browser fixture, used by name
pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Api:
    base: str
    token: str

    def article(self, article_id: int) -> dict[str, Any]:
        response = httpx.get(
            f"{self.base}/api/v1/articles/{article_id}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def create(self, title: str, body: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/api/v1/articles",
            json={"title": title, "category": "health", "body": body},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    def edit(self, article_id: int, version: int, **fields: Any) -> None:
        response = httpx.patch(
            f"{self.base}/api/v1/articles/{article_id}",
            json={**fields, "version": version},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    root = Path(tempfile.mkdtemp(prefix="hh-editor-lifecycle-"))
    url = f"sqlite:///{root / 'articles.db'}"
    migrate(url, MIGRATIONS)
    seed_categories(ArticlesSettings(articles_database_url=url, var_dir=root, environment="test"))
    db = Database(url)
    with db.transaction() as session:
        users.create_user(
            session, email="ann@example.org", name="Ann", role="editor", password=PASSWORD,
            now=datetime.now(UTC),
        )  # fmt: skip
        _, secret = tokens.create_token(session, name="e2e", role="editor", now=datetime.now(UTC))
    db.dispose()
    port = free_port()
    logs: list[str] = []
    env = {
        **os.environ,
        "HEALTHHUB_ARTICLES_DATABASE_URL": url,
        "HEALTHHUB_VAR_DIR": str(root),
        "HEALTHHUB_ENVIRONMENT": "test",
    }
    supervisor = Supervisor(log_sink=lambda name, line: logs.append(f"{name}: {line}"), env=env)
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "services.articles.app:create_app",
    ]  # fmt: skip
    supervisor.start(
        ProcessSpec(
            "articles-api",
            command,
            ready_url=f"http://127.0.0.1:{port}/healthz",
            service="articles",
        )
    )
    try:
        supervisor.wait_ready()
        yield Api(f"http://127.0.0.1:{port}", secret)
    except BaseException:
        print("\n".join(logs))
        raise
    finally:
        supervisor.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def page(chromium: Any, api: Api) -> Iterator[Any]:
    """A signed-in page whose browser is in New York; fails the test on any console error
    (a CSP violation is one) or failed request."""
    context = chromium.new_context(timezone_id="America/New_York")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(f"{api.base}/editor/sign-in")
    tab.get_by_label("Email").fill("ann@example.org")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(f"{api.base}/editor/")
    yield tab
    context.close()
    assert errors == [], "\n".join(errors)


def test_restoring_a_revision_from_the_diff(page: Any, api: Api) -> None:
    article = api.create("Sciatica", "First text.\n")
    api.edit(article["id"], 1, body="Second <em>text</em>.\n")
    page.goto(f"{api.base}/editor/articles/{article['id']}")
    page.get_by_role("link", name="History").click()
    page.get_by_label("From revision").select_option("1")
    page.get_by_label("To revision").select_option("2")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/history/diff?from=1&to=2")
    assert page.locator("table.diff ins").inner_text() == "Second <em>text</em>."
    assert page.locator("table.diff del").inner_text() == "First text."
    page.get_by_role("link", name="Restore revision 1").click()
    assert "comes back as a new version, 3" in page.locator("main").inner_text()
    page.get_by_role("button", name="Restore").click()
    page.wait_for_url(f"**/editor/articles/{article['id']}/history")
    stored = api.article(article["id"])
    assert (stored["version"], stored["body"]) == (3, "First text.\n")


def test_scheduling_in_the_browsers_zone_stores_utc(page: Any, api: Api) -> None:
    article = api.create("Hay fever", "Pollen.\n")
    page.goto(f"{api.base}/editor/articles/{article['id']}")
    page.get_by_role("link", name="Schedule").click()
    # timezone.js fills the zone once it has run (a deferred script): wait for it, on a
    # busy machine the first read can come before. Polled from here: wait_for_function
    # evaluates a string in the page, which the editor's CSP refuses.
    deadline = time.monotonic() + 10
    while page.locator("input[name=tz]").input_value() == "UTC":
        assert time.monotonic() < deadline, "timezone.js never filled the zone"
        page.wait_for_timeout(100)
    assert page.locator("input[name=tz]").input_value() == "America/New_York"
    assert "America/New_York" in page.get_by_text("Publish at").inner_text()
    page.get_by_label("Publish at").fill("2027-03-14T09:00")  # EDT from 02:00 that day
    page.get_by_label("Publish at").press("Enter")
    text = page.locator("main").inner_text()
    assert "2027-03-14 09:00 (America/New_York, UTC-04:00), that is 2027-03-14 13:00 UTC" in text
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_url(f"**/editor/articles/{article['id']}")
    assert "Scheduled to go live at 2027-03-14 13:00 UTC" in page.locator("main").inner_text()
    stored = api.article(article["id"])
    assert (stored["status"], stored["scheduled_at"]) == ("scheduled", "2027-03-14T13:00:00Z")
