"""The medical review in a real browser, two people at once: a writer submits, a reviewer asks
for changes, the writer reads the note and submits again, the reviewer approves. Under the
editor's CSP (no inline script or style): the browser must report no violation."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.articles import people, tokens
from services.articles.app import create_app
from services.articles.commands import MIGRATIONS
from services.articles.editor import users
from services.articles.people_schemas import PersonCreate
from services.articles.settings import ArticlesSettings
from shared.db import Database, migrate
from tests.e2e.browser import chromium
from tests.helpers import article_body, auth, seed_categories
from tests.serving import serve

__all__ = ["chromium"]  # the browser fixture, used by name
pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
NOTE = "Name the 2024 guideline you rely on."


@pytest.fixture(scope="module")
def editor_site() -> Iterator[tuple[str, int]]:
    """The articles API (editor included) on a free port; a writer, a reviewer, a draft."""
    root = Path(tempfile.mkdtemp(prefix="hh-editor-review-"))
    url = f"sqlite:///{root / 'articles.db'}"
    migrate(url, MIGRATIONS)
    # No views service: the numbers box must say so, not break the page.
    settings = ArticlesSettings(
        articles_database_url=url, var_dir=root, environment="test", views_api_url=""
    )
    seed_categories(settings)
    db = Database(url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        people.create(session, data=PersonCreate(name="Dr Bo Chan"), now=now)
        users.create_user(
            session, email="ann@example.org", name="Ann", role="editor", password=PASSWORD, now=now
        )
        users.create_user(
            session, email="bo@example.org", name="Dr Bo Chan", role="reviewer",
            password=PASSWORD, now=now, person="dr-bo-chan",
        )  # fmt: skip
        _, secret = tokens.create_token(session, name="e2e", role="editor", now=now)
    db.dispose()
    try:
        with serve(create_app(settings)) as base:
            made = httpx.post(
                f"{base}/api/v1/articles",
                json=article_body(title="Gout and diet"),
                headers=auth(secret),
                timeout=10,
            )
            assert made.status_code == 201, made.text
            yield base, int(made.json()["id"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _sign_in(context: Any, base: str, email: str, errors: list[str]) -> Any:
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/editor/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/editor/")
    return page


def test_a_writer_and_a_reviewer_take_an_article_through_review(
    editor_site: tuple[str, int], chromium: Any
) -> None:
    base, article_id = editor_site
    article = f"{base}/editor/articles/{article_id}"
    errors: list[str] = []
    writer_context, reviewer_context = chromium.new_context(), chromium.new_context()
    try:
        writer = _sign_in(writer_context, base, "ann@example.org", errors)
        reviewer = _sign_in(reviewer_context, base, "bo@example.org", errors)

        writer.goto(article)
        # The numbers box is loaded into the page by htmx (no views service here: it says so).
        writer.get_by_text("Numbers unavailable").wait_for()
        writer.get_by_role("button", name="Submit version 1 for review").click()
        writer.wait_for_url(article)
        assert writer.locator(".facts dd").first.inner_text() == "in review"

        reviewer.get_by_role("link", name="Review queue").click()
        reviewer.get_by_role("link", name="Gout and diet").click()
        reviewer.get_by_label("What should the writer change? (required)").fill(NOTE)
        reviewer.get_by_role("button", name="Request changes").click()
        reviewer.wait_for_url(f"{base}/editor/review")
        reviewer.get_by_text("Nothing is waiting for review.").wait_for()

        writer.reload()
        assert writer.locator(".facts dd").first.inner_text() == "draft"
        writer.get_by_role("link", name="The review record and the reviewers' notes").click()
        writer.get_by_role("cell", name=NOTE).wait_for()
        writer.go_back()
        writer.get_by_role("button", name="Submit version 3 for review").click()
        writer.wait_for_url(article)

        reviewer.reload()
        reviewer.get_by_role("link", name="Gout and diet").click()
        reviewer.get_by_role("button", name="Approve version 4").click()
        reviewer.wait_for_url(f"{base}/editor/review")
        reviewer.get_by_text("Nothing is waiting for review.").wait_for()

        writer.reload()
        assert writer.locator(".facts dd").first.inner_text() == "approved"
    finally:
        writer_context.close()
        reviewer_context.close()
    assert errors == [], "\n".join(errors)
