"""Every editor screen in Chromium under its CSP: axe-core finds no serious or critical
violation, every screen is used with the keyboard alone (a visible focus on each control),
and, when HEALTHHUB_SCREENSHOTS names a folder, each screen is saved there as a PNG (the
README's screenshots come from this test: `make screenshots`)."""

from __future__ import annotations

import os
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
from tests.e2e.browser import chromium, watch_errors
from tests.helpers import article_body, auth, seed_categories
from tests.serving import serve

__all__ = ["chromium"]  # the fixture, used by name
pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
SHOTS = os.environ.get("HEALTHHUB_SCREENSHOTS", "")
# axe-core's impact levels; "serious" and "critical" fail the test.
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, int]]:
    """The articles API (editor included) on a free port: an admin who is also a person, a
    reviewer, and one article with history."""
    root = Path(tempfile.mkdtemp(prefix="hh-editor-a11y-"))
    url = f"sqlite:///{root / 'articles.db'}"
    migrate(url, MIGRATIONS)
    settings = ArticlesSettings(
        articles_database_url=url, var_dir=root, environment="test", views_api_url=""
    )
    seed_categories(settings)
    db = Database(url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        people.create(session, data=PersonCreate(name="Dr Ada Moss"), now=now)
        users.create_user(
            session, email="ada@example.org", name="Dr Ada Moss", role="admin",
            password=PASSWORD, now=now, person="dr-ada-moss",
        )  # fmt: skip
        _, secret = tokens.create_token(session, name="a11y", role="editor", now=now)
    db.dispose()
    try:
        with serve(create_app(settings)) as base:
            made = httpx.post(
                f"{base}/api/v1/articles", json=article_body(), headers=auth(secret), timeout=10
            )
            assert made.status_code == 201, made.text
            article_id = int(made.json()["id"])
            changed = httpx.patch(
                f"{base}/api/v1/articles/{article_id}",
                json={"summary": "What bone loss is, and what it is not.", "version": 1},
                headers=auth(secret),
                timeout=10,
            )
            assert changed.status_code == 200, changed.text
            yield base, article_id
    finally:
        shutil.rmtree(root, ignore_errors=True)


def screens(article_id: int) -> dict[str, str]:
    """Name → path of every screen a signed-in admin reaches (sign-in is checked apart)."""
    a = f"/editor/articles/{article_id}"
    return {
        "articles": "/editor/",
        "article": a,
        "new": "/editor/articles/new",
        "edit": f"{a}/edit",
        "history": f"{a}/history",
        "diff": f"{a}/history/diff?from=1&to=2",
        "publish": f"{a}/publish",
        "schedule": f"{a}/schedule",
        "numbers": f"{a}/numbers",
        "review-queue": "/editor/review",
        "review": f"/editor/review/{article_id}",
        "review-due": "/editor/review-due",
        "dashboard": "/editor/dashboard",
        "people": "/editor/admin/people",
        "person-new": "/editor/admin/people/new",
        "categories": "/editor/admin/categories",
        "category-new": "/editor/admin/categories/new",
        "users": "/editor/admin/users",
        "tokens": "/editor/admin/tokens",
    }


def serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def shoot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"editor-{name}.png"), full_page=False)


def sign_in_by_keyboard(page: Any, base: str) -> None:
    """Tab to each field, type, Enter: no mouse. Each focused control shows a focus ring."""
    page.goto(f"{base}/editor/sign-in")
    for text in ("ada@example.org", PASSWORD):
        page.keyboard.press("Tab")
        while page.evaluate("document.activeElement.tagName") != "INPUT":
            page.keyboard.press("Tab")
        assert visible_focus(page), page.evaluate("document.activeElement.outerHTML")
        page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/editor/")


# Counts the htmx requests in flight. Loaded into every page before its own scripts (a
# Playwright init script, which the CSP does not govern), so a request made at load is seen.
HTMX_IN_FLIGHT = """
window.__htmxInFlight = 0;
document.addEventListener('htmx:beforeRequest', () => { window.__htmxInFlight += 1; });
document.addEventListener('htmx:afterRequest', () => { window.__htmxInFlight -= 1; });
"""
# A screen is complete when it has loaded and what htmx fetches after the load (the numbers
# panel, the edit preview) has arrived and settled. The editor's scripts make no other
# requests (htmx is their only client), so this is what networkidle waited for, without its
# 500 ms of silence on each of the 20 screens.
SETTLED = """() => document.readyState === 'complete' && window.__htmxInFlight === 0
    && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"""


def visible_focus(page: Any) -> bool:
    """The focused element draws an outline (or a box shadow) of its own."""
    return bool(
        page.evaluate(
            """() => { const s = getComputedStyle(document.activeElement);
            return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                   || s.boxShadow !== 'none'; }"""
        )
    )


def test_every_screen_passes_axe_and_works_by_keyboard(
    site: tuple[str, int], chromium: Any
) -> None:
    base, article_id = site
    errors: list[str] = []
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    try:
        context.add_init_script(HTMX_IN_FLIGHT)
        page = watch_errors(context.new_page(), errors)
        page.goto(f"{base}/editor/sign-in")
        found = {"sign-in": serious(page)}
        shoot(page, "sign-in")
        sign_in_by_keyboard(page, base)
        for name, path in screens(article_id).items():
            response = page.goto(base + path)
            assert response is not None and response.status == 200, (name, path)
            page.wait_for_function(SETTLED)
            found[name] = serious(page)
            shoot(page, name)
            # Keyboard: the first Tab lands on the skip link, and every control is reachable
            # with a visible focus (20 Tabs walk the navigation into the screen).
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip", name
            for _ in range(20):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement === document.body"):
                    break
                assert visible_focus(page), (
                    name,
                    page.evaluate("document.activeElement.outerHTML"),
                )
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}
    assert errors == []


def test_the_check_finds_what_it_looks_for(site: tuple[str, int], chromium: Any) -> None:
    """A control without a label, added to a real screen, is reported: the check can fail."""
    base, _ = site
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{base}/editor/sign-in")
        assert serious(page) == []
        page.evaluate(
            "document.querySelector('main').appendChild(document.createElement('select'))"
        )
        assert any(v.startswith("select-name (critical)") for v in serious(page))
    finally:
        context.close()
