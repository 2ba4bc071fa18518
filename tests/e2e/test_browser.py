"""The sample article in a real headless Chromium, against the whole platform."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.views import buffer
from tests.e2e.stack import Stack, wait_for
from tests.e2e.test_loop import create_and_publish
from tests.views.builders import buffered_views

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
# A second person on the same address (the test's 127.0.0.1), in a phone browser.
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36"
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


@pytest.mark.usefixtures("sample_site")
def test_the_sample_article_in_a_real_browser(stack: Stack, chromium: Any) -> None:
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


@pytest.mark.usefixtures("sample_site")
def test_an_editor_writes_publishes_and_readers_see_the_page(stack: Stack, chromium: Any) -> None:
    """The editor's whole path in a browser: sign in, write a draft (with the preview
    rendered while typing), publish it after the confirmation, and the public site serves
    the page; a POST without the CSRF token is refused; sign out."""
    stack.user("writer@example.org", "editor", "a long enough password")
    title = "Walking again after a hip fracture"
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{stack.articles}/editor/sign-in")
        page.get_by_label("Email").fill("writer@example.org")
        page.get_by_label("Password").fill("a long enough password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{stack.articles}/editor/")
        page.get_by_role("link", name="New article").click()
        page.locator("#title").fill(title)  # the references have titles too
        page.get_by_label("Category").select_option(label="Health")
        page.get_by_label("Summary", exact=True).fill(
            "Why moving early helps, and how to start safely."
        )
        page.get_by_label("Body (Markdown)").fill("## Why moving early matters\n\nMost people ...")
        preview = page.frame_locator("iframe")
        preview.get_by_role("heading", name="Why moving early matters").wait_for(timeout=20_000)
        page.get_by_role("button", name="Create the draft").click()
        page.wait_for_url("**/edit?saved=new")
        article_page = page.url.rsplit("/edit", 1)[0]
        page.goto(article_page)
        page.get_by_role("link", name="Publish", exact=True).click()
        page.get_by_role("button", name="Publish now").click()
        page.wait_for_url(article_page)
        path = page.locator("dd code").inner_text()
        assert path.startswith("/health/"), path
        wait_for(
            "the published page on the public site",
            lambda: httpx.get(stack.pages + path, timeout=5).status_code == 200,
            timeout=20,
        )
        reader = context.new_page()
        reader.goto(stack.pages + path, wait_until="load")
        assert reader.locator("h1").inner_text() == title

        # Signed in, a POST with the session's cookie but without its CSRF token is refused
        # and changes nothing; signed out, the same POST is sent to sign in.
        unpublish = f"{article_page}/unpublish"
        refused = page.request.post(unpublish, form={"version": "3"}, max_redirects=0)
        assert refused.status == 403, refused.status
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/editor/sign-in**")
        after = page.request.post(unpublish, form={"version": "3"}, max_redirects=0)
        assert after.status == 303 and "/editor/sign-in" in after.headers["location"]
        assert httpx.get(stack.pages + path, timeout=5).status_code == 200  # still live
        assert errors == []
    finally:
        context.close()


@pytest.mark.usefixtures("sample_site")
def test_two_loads_with_javascript_and_one_without_count_as_the_definition_says(
    stack: Stack, chromium: Any, editor_token: str
) -> None:
    """docs/views.md: a reader (address + User-Agent) is counted once per article per 30
    minutes, by the script's beacon or, without JavaScript, by the <noscript> pixel.

    So: reader A loads the page twice with JavaScript: two beacons, the first counted, the
    second a duplicate: 1 view; then once more with JavaScript off (same browser, same
    User-Agent): the pixel, a duplicate too. Reader B (another browser on the same address:
    two readers, well under the cap of 8 per address) loads it once without JavaScript: the
    pixel, counted: 2 views. The total is exactly 2, and stays 2; and the views service
    itself says it answered all four requests (one not sent or cut off by the browser would
    leave the total at 2 too), two counted and two duplicates."""
    article = create_and_publish(stack, editor_token, slug="browser-counts")
    path, article_id = str(article["path"]), int(str(article["id"]))
    wait_for("the page", lambda: httpx.get(stack.pages + path, timeout=5).status_code == 200)
    api = f"{stack.views}/api/v1/views/{article_id}"
    assert httpx.get(api, timeout=5).json()["total"] == 0
    beacon, pixel = api, f"{api}/pixel.gif"
    sent: dict[str, list[tuple[str, str]]] = {}  # reader: (method, URL) of its view requests

    def load(reader: str, user_agent: str, javascript: bool, times: int) -> None:
        context = chromium.new_context(user_agent=user_agent, java_script_enabled=javascript)
        page = context.new_page()
        mine = sent.setdefault(reader, [])
        page.on(
            "request",
            lambda r: (
                mine.append((r.method, r.url.split("?")[0]))
                if r.url.split("?")[0] in (beacon, pixel)
                else None
            ),
        )
        try:
            for _ in range(times):
                # Chromium reports a sendBeacon request but never its answer, so the answers
                # are judged by the counts below; the pixel is an image, loaded or failed.
                if javascript:
                    expected = page.expect_request(
                        lambda r: r.method == "POST" and r.url.split("?")[0] == beacon
                    )
                else:
                    expected = page.expect_request_finished(lambda r: r.url == pixel)
                with expected:
                    page.goto(stack.pages + path, wait_until="load")
        finally:
            context.close()

    before = answered(stack)
    load("A", READER_UA, javascript=True, times=2)
    load("A", READER_UA, javascript=False, times=1)
    load("B", PHONE_UA, javascript=False, times=1)

    # What each load sent: A's script sent a beacon per load (and read the count, a GET of
    # the counts API) and never loaded the pixel, which A's load without JavaScript did;
    # B's page loaded the pixel, sent no beacon.
    assert [m for m in sent["A"] if m != ("GET", beacon)] == [("POST", beacon)] * 2 + [
        ("GET", pixel)
    ]
    assert sent["B"] == [("GET", pixel)]
    # Server-side, every one of the four arrived and was judged (the views API process's
    # own count of its answers, by outcome).
    delta = wait_for(
        "the views service to answer all four",
        lambda: sum((d := since(before, answered(stack))).values()) >= 4 and d,
        timeout=20,
    )
    assert delta == {"counted": 2, "duplicate": 2}, delta

    # Counted: A once (the second beacon is a duplicate), B once. Wait until the flusher
    # has applied both, then until no view is left in Redis for any later flush to add.
    counts = wait_for(
        "the total to reach 2", lambda: (c := httpx.get(api, timeout=5).json())["total"] >= 2 and c
    )
    views_redis = stack.redis_client(db=1)
    day = f"{article_id}:{datetime.now(UTC).date().isoformat()}"

    def flushed() -> bool:
        # Buffer first, then batches: the flusher renames the buffer into a batch, applies
        # the batch, then deletes it; in this order a view cannot slip between the checks.
        # Any of the article's count fields today (they carry the referrer and device).
        if day in buffered_views(views_redis):
            return False
        return not list(views_redis.scan_iter(match=buffer.BATCH_PREFIX + "*"))

    try:
        wait_for("the flusher to apply every view", flushed)
    finally:
        views_redis.close()
    counts = httpx.get(api, timeout=5).json()
    assert (counts["total"], counts["today"]) == (2, 2), counts


def answered(stack: Stack) -> dict[str, float]:
    """healthhub_views_beacons{outcome} of the stack's views API process."""
    text = httpx.get(f"{stack.views}/metrics", timeout=5).text
    return {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("healthhub_views_beacons_total{")
    }


def since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}
