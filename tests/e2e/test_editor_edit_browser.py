"""The edit screen in a real browser under the editor's CSP: the live preview from a real
render worker, a conflict merged between two browsers, the local autosave across a reload.

One articles API process (uvicorn) and one render-pages worker, on the tests' Redis."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from services.articles import tokens
from services.articles.commands import MIGRATIONS
from services.articles.editor import users
from services.articles.settings import ArticlesSettings
from services.render.commands import MIGRATIONS as RENDER_MIGRATIONS
from services.render.settings import RenderSettings
from services.supervisor import ProcessSpec, Supervisor
from shared.db import Database, migrate
from tests.helpers import seed_categories
from tests.render.workers import render_env
from tests.resources import flush_owned, free_port

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
# Not faults: htmx reports the preview request it aborts when a newer one replaces it
# (hx-sync) or when the page is left.
EXPECTED = ("htmx:afterRequest", "htmx:sendAbort")
CHROMIUM = os.environ.get("HEALTHHUB_CHROMIUM", "/usr/bin/chromium")


@dataclass(frozen=True)
class Site:
    base: str
    token: str
    browser: Any

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.request(method, f"{self.base}{path}", headers=headers, timeout=10, **kwargs)


def _chromium(stack: Any) -> Any:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is needed")
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package chromium)")
    playwright = stack.enter_context(sync_api.sync_playwright())
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


@pytest.fixture(scope="module")
def site(
    redis_url: str, worker_index: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("editor-edit")
    broker_db, views_db, render_db = (3 + 3 * worker_index + i for i in range(3))
    for number in (broker_db, views_db, render_db):
        with redis.Redis.from_url(f"{redis_url}/{number}") as client:
            flush_owned(client)
    url = f"sqlite:///{root / 'articles.db'}"
    migrate(url, MIGRATIONS)
    render_url = f"sqlite:///{root / 'render.db'}"
    migrate(render_url, RENDER_MIGRATIONS)
    seed_categories(ArticlesSettings(articles_database_url=url, var_dir=root, environment="test"))
    db = Database(url)
    with db.transaction() as session:
        users.create_user(
            session, email="ann@example.org", name="Ann", role="editor", password=PASSWORD,
            now=datetime.now(UTC),
        )  # fmt: skip
        _, secret = tokens.create_token(session, name="e2e", role="editor", now=datetime.now(UTC))
    db.dispose()
    redis_env = {
        "HEALTHHUB_REDIS_URL": redis_url,
        "HEALTHHUB_BROKER_DB": str(broker_db),
        "HEALTHHUB_VIEWS_REDIS_DB": str(views_db),
    }
    env = {
        **os.environ, **redis_env, "HEALTHHUB_ARTICLES_DATABASE_URL": url,
        "HEALTHHUB_VAR_DIR": str(root), "HEALTHHUB_ENVIRONMENT": "test",
    }  # fmt: skip
    render = RenderSettings(
        render_database_url=render_url, var_dir=root, page_store_dir=root / "pages",
        environment="test", render_redis_db=render_db, site_url="https://health.example",
        views_url="", redis_url=redis_url, broker_db=broker_db, views_redis_db=views_db,
    )  # fmt: skip
    logs: list[str] = []
    supervisor = Supervisor(log_sink=lambda name, line: logs.append(f"{name}: {line}"), env=env)
    port = free_port()
    api = [
        sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "services.articles.app:create_app",
    ]  # fmt: skip
    worker = [sys.executable, "-m", "services.cli", "worker", "render-pages"]
    with ExitStack() as stack:
        supervisor.start(
            ProcessSpec(
                "articles-api",
                api,
                ready_url=f"http://127.0.0.1:{port}/healthz",
                service="articles",
            )
        )
        supervisor.start(ProcessSpec("render-pages", worker, env=render_env(render)))
        stack.callback(supervisor.stop)
        try:
            supervisor.wait_ready()
            browser = _chromium(stack)
            stack.callback(browser.close)
            yield Site(f"http://127.0.0.1:{port}", secret, browser)
        except BaseException:
            print("\n".join(logs))
            raise
    for number in (broker_db, views_db, render_db):
        with redis.Redis.from_url(f"{redis_url}/{number}") as client:
            flush_owned(client)


class Browser:
    """A signed-in browser context that records console errors (CSP violations among them)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.context = site.browser.new_context()
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(f"{site.base}/editor/sign-in")
        self.page.get_by_label("Email").fill("ann@example.org")
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"{site.base}/editor/")

    def _console(self, message: Any) -> None:
        if message.type == "error" and not message.text.startswith(EXPECTED):
            self.errors.append(message.text)

    def close(self) -> None:
        self.context.close()


def _article(site: Site, title: str) -> dict[str, Any]:
    created = site.api("POST", "/api/v1/articles",
                       json={"title": title, "category": "health", "body": "Base text.\n"})  # fmt: skip
    assert created.status_code == 201, created.text
    data: dict[str, Any] = created.json()
    return data


def test_typing_shows_the_heading_in_the_preview_and_saves(site: Site) -> None:
    ann = Browser(site)
    page = ann.page
    try:
        page.get_by_role("link", name="New article").click()
        page.wait_for_url(f"{site.base}/editor/articles/new")
        page.locator("#title").fill("Sleep and the heart")
        page.get_by_label("Category").select_option("health")
        page.get_by_label("Body (Markdown)").fill("## A freshly typed heading\n\nSome text.\n")
        frame = page.frame_locator("#preview iframe")
        frame.get_by_role("heading", name="A freshly typed heading").wait_for(timeout=20_000)
        assert frame.get_by_role("heading", level=1).inner_text() == "Sleep and the heart"
        # The site's CSS applies (linked from the editor: the CSP refuses inline <style>):
        # the body's ink is site.css's --ink (#1d2430), not the browser's black.
        deadline = time.monotonic() + 10
        ink = "el => getComputedStyle(el).color"
        while frame.locator("body").evaluate(ink) != "rgb(29, 36, 48)":
            assert time.monotonic() < deadline, "the site's stylesheet never applied"
            page.wait_for_timeout(100)
        assert page.locator("#preview iframe").get_attribute("sandbox") == "allow-same-origin"
        page.get_by_role("button", name="Create the draft").click()
        page.wait_for_url("**/edit?saved=new")
        assert page.get_by_role("status").first.inner_text().startswith("Saved")
    finally:
        ann.close()
    assert ann.errors == [], "\n".join(ann.errors)


def test_a_conflict_between_two_browsers_is_merged_keeping_both_changes(site: Site) -> None:
    article = _article(site, "Before both")
    url = f"{site.base}/editor/articles/{article['id']}/edit"
    ann, bo = Browser(site), Browser(site)
    try:
        ann.page.goto(url)
        bo.page.goto(url)
        ann.page.locator("#title").fill("Ann's title")
        ann.page.get_by_role("button", name="Save", exact=True).click()
        ann.page.wait_for_url("**/edit?saved=1")
        bo.page.get_by_label("Body (Markdown)").fill("Bo's long paragraph.\n")
        bo.page.get_by_role("button", name="Save", exact=True).click()
        bo.page.get_by_role(
            "heading", name="Someone saved this article while you were editing"
        ).wait_for()
        # Bo did not touch the title: Ann's is preselected; Bo's body stays in the form.
        title = bo.page.get_by_role("group", name="Title", exact=True)
        assert title.get_by_label("Keep theirs").is_checked()
        assert bo.page.get_by_label("Body (Markdown)").input_value() == "Bo's long paragraph.\n"
        bo.page.get_by_role("button", name="Save the merge").click()
        bo.page.wait_for_url("**/edit?saved=1")
    finally:
        ann.close()
        bo.close()
    saved = site.api("GET", f"/api/v1/articles/{article['id']}").json()
    assert (saved["title"], saved["body"], saved["version"]) == (
        "Ann's title", "Bo's long paragraph.\n", 3
    )  # fmt: skip
    # The conflict page is a 409 answer, which Chromium logs; nothing else may be.
    unexpected = ann.errors + [e for e in bo.errors if "status of 409 (Conflict)" not in e]
    assert unexpected == [], "\n".join(unexpected)


def test_unsaved_changes_survive_a_reload_and_a_save_clears_them(site: Site) -> None:
    article = _article(site, "Autosaved")
    url = f"{site.base}/editor/articles/{article['id']}/edit"
    ann = Browser(site)
    page = ann.page
    try:
        page.goto(url)
        page.get_by_label("Body (Markdown)").fill("Typed, then the tab was reloaded.\n")
        # Polled from here: wait_for_function evaluates a string, which the CSP refuses.
        kept = "Object.keys(localStorage).some(k => localStorage.getItem(k).includes('reloaded'))"
        deadline = time.monotonic() + 10
        while not page.evaluate(kept):
            assert time.monotonic() < deadline, "the form was never kept in localStorage"
            page.wait_for_timeout(100)
        page.reload()
        assert page.get_by_label("Body (Markdown)").input_value() == "Base text.\n"
        page.get_by_role("button", name="Restore unsaved changes").click()
        body = page.get_by_label("Body (Markdown)")
        assert body.input_value() == "Typed, then the tab was reloaded.\n"
        body.evaluate("el => el.setSelectionRange(0, 5)")
        page.get_by_role("toolbar").get_by_role("button", name="Bold").click()
        assert body.input_value() == "**Typed**, then the tab was reloaded.\n"
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url("**/edit?saved=1")
        assert page.evaluate("Object.keys(localStorage).length") == 0
        page.reload()
        assert page.get_by_role("button", name="Restore unsaved changes").is_hidden()
        # Typed again, not saved, then signed out: the draft does not outlive the session
        # (the next person at a shared computer would find it in the browser's storage).
        page.get_by_label("Body (Markdown)").fill("Not for the next person.\n")
        kept_again = "Object.keys(localStorage).some(k => localStorage.getItem(k).includes('next'))"
        deadline = time.monotonic() + 10
        while not page.evaluate(kept_again):
            assert time.monotonic() < deadline, "the form was never kept in localStorage"
            page.wait_for_timeout(100)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/editor/sign-in**")
        assert page.evaluate("Object.keys(localStorage).length") == 0
    finally:
        ann.close()
    saved = site.api("GET", f"/api/v1/articles/{article['id']}").json()
    assert saved["body"] == "**Typed**, then the tab was reloaded.\n"
    assert ann.errors == [], "\n".join(ann.errors)
