"""End to end, real processes and Celery workers: the medical review workflow reaches the
public site.

An editor drafts, a reviewer asks for changes, the editor edits, the reviewer approves, an
editor publishes: the page says who reviewed it and links their profile. Renaming the
reviewer's credentials reaches the page through a person event; a later edit of the body
withdraws the approval and the line goes. The review-due list (ranked with view counts the
views service reports through Celery) and the overdue gauge show an article whose review
has lapsed.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.stack import Stack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("show_logs_on_failure")]


class Api:
    def __init__(self, stack: Stack, token: str) -> None:
        self.base = f"{stack.articles}/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"}

    def raw(self, method: str, path: str, **body: Any) -> httpx.Response:
        return httpx.request(
            method, self.base + path, json=body or None, headers=self.headers, timeout=10
        )

    def __call__(self, method: str, path: str, **body: Any) -> Any:
        response = self.raw(method, path, **body)
        assert response.status_code in (200, 201), response.text
        return response.json()


def page(stack: Stack, path: str) -> httpx.Response:
    return httpx.get(stack.pages + path, timeout=5, follow_redirects=False)


def json_ld(html: str) -> Any:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


REVIEW_LINE = re.compile(
    r'Medically reviewed by <a class="reviewer" href="/people/e2e-bo-chan">Dr Bo Chan</a>, '
    r'(?P<credentials>[^<]+), on <time datetime="(?P<date>[0-9-]+)">'
)


def test_draft_review_approve_publish_then_an_edit_withdraws_the_approval(
    stack: Stack, admin_token: str, editor_token: str
) -> None:
    admin = Api(stack, admin_token)
    editor = Api(stack, editor_token)
    admin("POST", "/people", name="Dr Bo Chan", slug="e2e-bo-chan", credentials="MD, FRCP")
    admin("POST", "/people", name="Ann Lee", slug="e2e-ann-lee", credentials="RN")
    reviewer = Api(
        stack,
        stack.cli(
            "token", "create", "--name", "bo", "--role", "reviewer", "--person", "e2e-bo-chan"
        ),
    )
    admin("POST", "/categories", slug="e2e-clinical", name="Clinical", requires_review=True)

    article = editor(
        "POST", "/articles", title="Gout explained", slug="e2e-gout", category="e2e-clinical",
        summary="What gout is.", body="## Causes\n\nUric acid crystals.\n",
        author_slugs=["e2e-ann-lee"],
    )  # fmt: skip
    path, aid = article["path"], article["id"]
    refused = editor.raw("POST", f"/articles/{aid}/publish")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "need a medical reviewer's approval" in refused.json()["detail"]

    editor("POST", f"/articles/{aid}/submit", version=1)
    reviewer(
        "POST", f"/articles/{aid}/reviews",
        outcome="changes_requested", note="Mention diet.", version=2,
    )  # fmt: skip
    assert editor("GET", f"/articles/{aid}")["status"] == "draft"
    editor("PATCH", f"/articles/{aid}", body="## Causes\n\nUric acid; diet matters.\n", version=3)
    editor("POST", f"/articles/{aid}/submit", version=4)
    reviewer("POST", f"/articles/{aid}/reviews", outcome="approved", version=5)
    editor("POST", f"/articles/{aid}/publish", version=6)

    html = wait_for(
        "the reviewed page", lambda: (r := page(stack, path)).status_code == 200 and r.text
    )
    line = REVIEW_LINE.search(html)
    assert line is not None, html
    assert line["credentials"] == "MD, FRCP"
    assert line["date"] == datetime.now(UTC).date().isoformat()
    assert '<a class="author" rel="author" href="/people/e2e-ann-lee">Ann Lee</a>, RN' in html
    ld = json_ld(html)[0]
    assert ld["reviewedBy"]["@type"] == "Person"
    assert ld["reviewedBy"]["url"].endswith("/people/e2e-bo-chan")
    assert ld["lastReviewed"] == line["date"]
    assert [a["@type"] for a in ld["author"]] == ["Person"]

    profile = wait_for(
        "the reviewer's profile",
        lambda: (
            (r := page(stack, "/people/e2e-bo-chan")).status_code == 200
            and path in r.text
            and r.text
        ),
    )
    assert json_ld(profile)["mainEntity"]["@type"] == "Person"

    # New credentials reach the article page through a person event (no article change).
    admin("PATCH", "/people/e2e-bo-chan", credentials="MD, PhD, FRCP")
    wait_for(
        "the new credentials on the page",
        lambda: (
            (m := REVIEW_LINE.search(page(stack, path).text))
            and m["credentials"] == "MD, PhD, FRCP"
        ),
    )
    assert editor("GET", f"/articles/{aid}")["version"] == 7

    # A real edit withdraws the approval: the page no longer claims a review.
    editor("PATCH", f"/articles/{aid}", body="## Causes\n\nA new, unreviewed claim.\n", version=7)
    html = wait_for(
        "the edit on the page", lambda: "unreviewed claim" in (t := page(stack, path).text) and t
    )
    assert "Medically reviewed" not in html
    assert "reviewedBy" not in json_ld(html)[0]
    outcomes = [r["outcome"] for r in editor("GET", f"/articles/{aid}/reviews")]
    assert outcomes == ["changes_requested", "approved", "withdrawn"]


def test_review_due_and_the_gauge_list_an_article_whose_review_lapsed(
    stack: Stack, admin_token: str, editor_token: str
) -> None:
    admin = Api(stack, admin_token)
    editor = Api(stack, editor_token)
    admin("POST", "/categories", slug="e2e-general", name="General", review_interval_months=12)
    # Reviewed (by the older free-text fields) in 2024, on a 12-month interval: lapsed.
    lapsed = editor(
        "POST", "/articles", title="Old advice", slug="e2e-old-advice", category="e2e-general",
        body="Text.\n", reviewed_by="Dr Old", last_reviewed="2024-01-15",
    )  # fmt: skip
    editor("POST", f"/articles/{lapsed['id']}/publish")
    wait_for("its page", lambda: page(stack, lapsed["path"]).status_code == 200)
    # Review-due covers the categories that require review: this one does from now on.
    admin("PATCH", "/categories/e2e-general", requires_review=True)

    # Views counted by the views service reach the articles service's read model.
    beacon = f"{stack.views}/api/v1/views/{lapsed['id']}"
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
    for reader in ("203.0.113.7", "203.0.113.8"):
        sent = httpx.post(beacon, headers={**browser, "X-Forwarded-For": reader}, timeout=5)
        assert sent.status_code == 202

    def listed() -> Any:
        due = {d["id"]: d for d in editor("GET", "/review-due")}
        item = due.get(lapsed["id"])
        return item is not None and item["total_views"] == 2 and item

    item = wait_for("the lapsed article with its views in review-due", listed)
    assert item["last_reviewed"] == "2024-01-15"
    assert item["due"] == "2025-01-15"
    assert item["days_overdue"] == (datetime.now(UTC).date() - datetime(2025, 1, 15).date()).days
    assert item["recent_views"] == 2
    metrics = httpx.get(f"{stack.articles}/metrics", timeout=5).text
    gauge = re.search(r"^healthhub_articles_review_overdue (\S+)$", metrics, re.M)
    assert gauge is not None
    overdue = [d for d in editor("GET", "/review-due?limit=1000") if d["days_overdue"] > 0]
    assert lapsed["id"] in [d["id"] for d in overdue]
    assert float(gauge.group(1)) == len(overdue)


def test_the_sample_site_shows_people_and_reviews(stack: Stack, editor_token: str) -> None:
    stack.cli("seed")
    html = wait_for(
        "a sample article",
        lambda: (
            (r := page(stack, "/health/is-osteoporosis-an-autoimmune-disease")).status_code == 200
            and r.text
        ),
    )
    assert (
        'Medically reviewed by <a class="reviewer" href="/people/amara-lindqvist">'
        "Dr Amara Lindqvist</a>, MD, FRCP, on "
        '<time datetime="2025-02-10">10 February 2025</time>.'
    ) in html
    assert json_ld(html)[0]["author"][0]["url"].endswith("/people/helena-marsh")
    profile = wait_for(
        "the reviewer's profile",
        lambda: (r := page(stack, "/people/amara-lindqvist")).status_code == 200 and r.text,
    )
    assert "/health/is-osteoporosis-an-autoimmune-disease" in profile
    # Review-due lists the clinical categories' articles: "Vitamin D and bone health" (bones
    # and joints) was reviewed in October 2024 on a 12-month interval, so it is due again;
    # the osteoporosis explainer is filed under Health, which requires no review.
    due = [d["slug"] for d in Api(stack, editor_token)("GET", "/review-due?limit=1000")]
    assert "vitamin-d-and-bone-health" in due
    assert "is-osteoporosis-an-autoimmune-disease" not in due
