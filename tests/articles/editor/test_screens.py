"""The editor's screens: roles, the articles list (filters, search, paging), the article page,
escaping, security headers and static files."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from services.articles.editor.lists import PER_PAGE
from services.articles.schemas import MAX_RESULTS
from services.articles.settings import ArticlesSettings
from tests.articles.editor.conftest import add_user, is_disabled, page_token, sign_in
from tests.helpers import auth, create_article, make_token

_TITLES = re.compile(r'<a href="/editor/articles/\d+">([^<]*)</a>')


def titles(html: str) -> list[str]:
    return _TITLES.findall(html)


@pytest.fixture
def token(settings: ArticlesSettings) -> str:
    return make_token(settings, "admin")


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_the_admin_screen_is_403_for_editors_and_reviewers(
    settings: ArticlesSettings, client: TestClient, role: str
) -> None:
    add_user(settings, role=role)
    sign_in(client)
    assert client.get("/editor/").status_code == 200  # both may see the articles
    refused = client.get("/editor/admin/users")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "needs the admin role" in refused.text
    assert 'href="/editor/admin/users"' not in client.get("/editor/").text


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_editors_and_reviewers_cannot_disable_users_even_with_a_valid_token(
    settings: ArticlesSettings, client: TestClient, role: str
) -> None:
    add_user(settings, role=role)
    add_user(settings, "bo@example.org", role="editor", name="Bo")
    sign_in(client)
    token = page_token(client)
    refused = client.post(
        "/editor/admin/users/disable", data={"email": "bo@example.org", "csrf_token": token}
    )
    assert refused.status_code == 403
    assert "needs the admin role" in refused.text
    assert not is_disabled(settings, "bo@example.org")
    assert sign_in(client, "bo@example.org").status_code == 303  # Bo can still sign in


def test_an_admin_sees_the_users(settings: ArticlesSettings, client: TestClient) -> None:
    add_user(settings, "root@example.org", role="admin", name="Root")
    add_user(settings, "bo@example.org", role="reviewer", name="Bo <b>Chan</b>")
    sign_in(client, "root@example.org")
    page = client.get("/editor/admin/users")
    assert page.status_code == 200
    assert "bo@example.org" in page.text
    assert "Bo &lt;b&gt;Chan&lt;/b&gt;" in page.text
    assert "argon2" not in page.text
    assert 'href="/editor/admin/users"' in client.get("/editor/").text  # the nav offers it


def test_unauthenticated_requests_are_sent_to_sign_in(client: TestClient) -> None:
    for path in ("/editor/", "/editor/admin/users", "/editor/articles/1"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/editor/sign-in")
    assert client.get("/editor").headers["location"] == "/editor/"


def test_the_list_filters_by_status_searches_and_pages(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    kidney = create_article(client, token, title="Kidney stones explained", body="Renal pain.")
    client.post(f"/api/v1/articles/{kidney['id']}/publish", headers=auth(token))
    old = create_article(client, token, title="An archived piece", body="Old news.")
    client.post(f"/api/v1/articles/{old['id']}/archive", headers=auth(token))
    for n in range(21):
        create_article(client, token, title=f"Draft number {n:02d}", body="Nothing yet.")
    add_user(settings)
    sign_in(client)

    first = client.get("/editor/")
    assert "23 articles" in first.text
    assert len(titles(first.text)) == 20
    assert 'href="/editor/?page=2"' in first.text
    second = client.get("/editor/?page=2")
    assert len(titles(second.text)) == 3
    assert set(titles(first.text)).isdisjoint(titles(second.text))

    assert titles(client.get("/editor/?status=published").text) == ["Kidney stones explained"]
    assert titles(client.get("/editor/?status=archived").text) == ["An archived piece"]
    drafts = client.get("/editor/?status=draft")
    assert "21 articles" in drafts.text
    assert 'href="/editor/?status=draft&amp;page=2"' in drafts.text
    assert titles(client.get("/editor/?q=kidney").text) == ["Kidney stones explained"]
    assert titles(client.get("/editor/?q=kidney&status=draft").text) == []


def test_articles_in_review_are_listed_and_can_be_filtered(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    """Every status but deleted is listed: an article handed to the reviewers is not lost
    from the list while it waits (in_review), nor once approved."""
    waiting = create_article(client, token, title="Waiting for a reviewer")
    submitted = client.post(f"/api/v1/articles/{waiting['id']}/submit", headers=auth(token))
    assert submitted.status_code == 200, submitted.text
    create_article(client, token, title="A plain draft")
    add_user(settings)
    sign_in(client)
    assert sorted(titles(client.get("/editor/").text)) == [
        "A plain draft",
        "Waiting for a reviewer",
    ]
    in_review = client.get("/editor/?status=in_review")
    assert in_review.status_code == 200
    assert titles(in_review.text) == ["Waiting for a reviewer"]
    assert 'value="approved"' in in_review.text  # offered in the status filter


def test_bad_filters_re_render_the_list_with_422_and_a_far_page_is_404(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    sign_in(client)
    queries = ("status=bogus", "page=abc", "page=0", "page=" + "1" * 5000, "q=" + "x" * 201)
    for query in queries:
        response = client.get(f"/editor/?{query}")
        assert response.status_code == 422, query
        assert 'id="status"' in response.text and "not valid" in response.text
    too_far = MAX_RESULTS // PER_PAGE + 1  # a valid page number past the results served
    assert client.get(f"/editor/?page={too_far}").status_code == 404


def test_deleted_articles_are_never_listed_and_cannot_be_asked_for(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    gone = create_article(client, token, title="A deleted piece")
    assert client.delete(f"/api/v1/articles/{gone['id']}", headers=auth(token)).status_code == 204
    create_article(client, token, title="A draft")
    add_user(settings)
    sign_in(client)
    listed = client.get("/editor/")
    assert titles(listed.text) == ["A draft"]
    assert 'value="deleted"' not in listed.text  # not offered in the status filter
    asked = client.get("/editor/?status=deleted")
    assert asked.status_code == 422
    assert "A deleted piece" not in asked.text and "not valid" in asked.text


def test_an_admin_cannot_disable_themself(settings: ArticlesSettings, client: TestClient) -> None:
    add_user(settings, "root@example.org", role="admin", name="Root")
    sign_in(client, "root@example.org")
    token = page_token(client, "/editor/admin/users")
    refused = client.post(
        "/editor/admin/users/disable", data={"email": " ROOT@example.org", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert "cannot disable your own account" in refused.text
    assert not is_disabled(settings, "root@example.org")
    assert client.get("/editor/admin/users").status_code == 200  # still signed in


def test_titles_are_escaped_on_the_list_and_the_article_page(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="<script>alert(1)</script>")
    add_user(settings)
    sign_in(client)
    for path in ("/editor/", f"/editor/articles/{article['id']}"):
        html = client.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html


def test_the_article_page_shows_its_facts_and_a_missing_one_is_404(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token, title="Vitamin D and bones", category="nutrition")
    client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
    add_user(settings, role="reviewer")
    sign_in(client)
    page = client.get(f"/editor/articles/{article['id']}")
    assert page.status_code == 200
    assert "Vitamin D and bones" in page.text
    assert "<dd>published</dd>" in page.text
    assert "<dd>2</dd>" in page.text  # publishing made version 2
    assert "<dd>Nutrition</dd>" in page.text
    assert f"<code>/nutrition/{article['slug']}</code>" in page.text
    for missing_id in ("999", "abc", "0", "99999999999", "1" * 5000, "0" * 12 + "9" * 12, "%C2%B2"):
        missing = client.get(f"/editor/articles/{missing_id}")
        assert missing.status_code == 404, missing_id
        assert missing.headers["content-type"].startswith("text/html")


def test_editor_pages_carry_a_csp_without_inline_script(
    settings: ArticlesSettings, client: TestClient
) -> None:
    add_user(settings)
    for response in (client.get("/editor/sign-in"), client.get("/editor/"), sign_in(client)):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    page = client.get("/editor/").text
    assert re.search(r"<script(?![^>]*\bsrc=\"/editor/static/)", page) is None  # no inline
    # The API keeps its own headers: the editor's policy is for /editor only.
    assert "content-security-policy" not in client.get("/api/v1/content/articles").headers


def test_static_files_have_hashed_names_and_a_long_cache(
    settings: ArticlesSettings, client: TestClient
) -> None:
    page = client.get("/editor/sign-in").text
    script, signout = re.findall(r'<script src="(/editor/static/[^"]+)"', page)
    assert re.fullmatch(r"/editor/static/signout\.[0-9a-f]{10}\.js", signout)
    [style] = re.findall(r'<link rel="stylesheet" href="(/editor/static/[^"]+)"', page)
    assert re.fullmatch(r"/editor/static/htmx-2\.0\.4\.min\.[0-9a-f]{10}\.js", script)
    js = client.get(script)
    assert js.status_code == 200
    assert js.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert js.headers["content-type"].startswith("text/javascript")
    assert "htmx 2.0.4" in js.text[:200] and "0BSD" in js.text[:400]
    assert client.get(style).status_code == 200
    assert client.get("/editor/static/htmx-2.0.4.min.js").status_code == 404  # unhashed
    # Files are looked up by name in a table, never on disk: this guards a future change
    # to a file-system-backed static route, where ``..%2F`` would reach the source.
    assert client.get("/editor/static/..%2Fapp.py").status_code == 404


def test_an_unknown_editor_address_is_a_404_page(client: TestClient) -> None:
    missing = client.get("/editor/no/such/page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in missing.headers


def test_errors_made_by_the_api_machinery_are_html_pages_under_the_editor(
    client: TestClient,
) -> None:
    form = client.get("/editor/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    answers = {
        "HEAD": (client.head("/editor/"), 405),
        "POST": (client.post("/editor/"), 405),
        "too large": (client.post("/editor/sign-in", content=b"x" * 5_000_000,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}),
                      413),
        "a file for the email": (client.post("/editor/sign-in",
                                             data={"csrf_token": token[1], "password": "p"},
                                             files={"email": ("a.txt", b"ann")}), 422),
    }  # fmt: skip
    for name, (response, status) in answers.items():
        assert response.status_code == status, name
        assert response.headers["content-type"].startswith("text/html"), name
        assert "content-security-policy" in response.headers, name
        if name != "HEAD":
            assert "<html" in response.text.lower() and '"status"' not in response.text, name
    assert "GET" in answers["POST"][0].headers["allow"]
    # The API keeps problem+json for the same errors.
    api = client.post("/api/v1/content/articles")
    assert api.status_code == 405
    assert api.headers["content-type"].startswith("application/problem+json")
