"""The sample article in a real headless Chromium, against the whole platform."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.stack import Stack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("show_logs_on_failure")]

CHROMIUM = os.environ.get("HEALTHHUB_CHROMIUM", "/usr/bin/chromium")
SAMPLE = "/health/is-osteoporosis-an-autoimmune-disease"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Headless Chromium announces itself as "HeadlessChrome", which the views service rightly
# drops as a bot; the reader in this test is a person, so it wears a desktop browser's name.
READER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture(scope="module")
def chromium() -> Any:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is needed")
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.skip(
            f"no Chromium at {CHROMIUM} (Debian package chromium; `make test` installs it as root)"
        )
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def test_the_sample_article_in_a_real_browser(stack: Stack, chromium: Any) -> None:
    stack.cli("seed")
    wait_for(
        "the sample article with its imported count",
        lambda: ">4,617</span> views" in httpx.get(stack.pages + SAMPLE, timeout=5).text,
        timeout=60,
    )
    context = chromium.new_context(user_agent=READER_UA, viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    beacons: list[str] = []
    page.on(
        "request",
        lambda r: (
            beacons.append(r.url) if r.method == "POST" and "/api/v1/views/" in r.url else None
        ),
    )
    try:
        page.goto(stack.pages + SAMPLE, wait_until="load")
        crumbs = page.get_by_role("navigation", name="Breadcrumb")
        assert crumbs.is_visible()
        assert crumbs.get_by_role("link").all_inner_texts() == [
            "Home", "Health", "Is osteoporosis an autoimmune disease?",
        ]  # fmt: skip
        h1 = page.locator("h1")
        assert h1.count() == 1 and h1.is_visible()
        assert h1.inner_text() == "Is osteoporosis an autoimmune disease?"
        toc = page.get_by_role("navigation", name="On this page")
        assert toc.is_visible() and toc.get_by_role("link").count() >= 2
        count = page.locator(".views[data-article-id]")
        assert count.is_visible()

        # The beacon went out, the views service counted it, and the page shows it (the
        # page asks for the live count on load; a reload is the same reader, not a new view).
        wait_for("the view beacon", lambda: beacons, timeout=10)
        article_id = count.get_attribute("data-article-id")
        api = f"{stack.views}/api/v1/views/{article_id}"
        wait_for(
            "the count to reach 4,618", lambda: httpx.get(api, timeout=5).json()["total"] >= 4618
        )
        page.reload(wait_until="load")
        page.wait_for_function(
            "() => Number(document.querySelector('.views').dataset.count) >= 4618", timeout=20_000
        )
        assert count.inner_text() == "4,618"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sample-article.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
