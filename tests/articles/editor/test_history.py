"""An article's history in the editor: the revisions, a readable diff of any two (escaped),
and restoring one through the API's restore."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.articles.editor import history
from services.articles.settings import ArticlesSettings
from tests.articles.editor.conftest import add_user, page_token, sign_in
from tests.helpers import auth, create_article, make_token

XSS = '<script>alert("x")</script>'


@pytest.fixture
def token(settings: ArticlesSettings) -> str:
    return make_token(settings, "admin")


def edit(client: TestClient, token: str, article: dict[str, Any], **fields: Any) -> dict[str, Any]:
    current = client.get(f"/api/v1/articles/{article['id']}", headers=auth(token)).json()
    response = client.patch(
        f"/api/v1/articles/{article['id']}",
        json={**fields, "version": current["version"]},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def revisions(client: TestClient, token: str, article_id: int) -> list[dict[str, Any]]:
    found = client.get(f"/api/v1/articles/{article_id}/revisions", headers=auth(token))
    assert found.status_code == 200
    data: list[dict[str, Any]] = found.json()
    return data


def signed_in_as(settings: ArticlesSettings, client: TestClient, role: str = "editor") -> None:
    add_user(settings, f"{role}@example.org", role=role, name=role.title())
    assert sign_in(client, f"{role}@example.org").status_code == 303


@pytest.fixture
def edited(settings: ArticlesSettings, client: TestClient, token: str) -> dict[str, Any]:
    """An article at version 3: a title change, then a body line replaced by script."""
    body = "Line one.\nLine two.\nLine three.\n"
    article = create_article(client, token, title="Shingles", body=body)
    edit(client, token, article, title="Shingles <b>explained</b>")
    edit(client, token, article, body=body.replace("Line two.", f"Line two {XSS}."))
    return article


def test_the_history_lists_revisions_newest_first_with_a_compare_form(
    settings: ArticlesSettings, client: TestClient, edited: dict[str, Any]
) -> None:
    signed_in_as(settings, client)
    page = client.get(f"/editor/articles/{edited['id']}/history")
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>", page.text)
    assert rows == ["3", "2", "1"]
    assert '<label for="from">From revision</label>' in page.text
    assert '<option value="2" selected>' in page.text and '<option value="3" selected>' in page.text
    assert "Shingles &lt;b&gt;explained&lt;/b&gt;" in page.text
    assert "<b>explained" not in page.text
    assert page.text.count("<td>test</td>") == 3  # who saved each: the API token's name
    restore_links = re.findall(r"/revisions/(\d+)/restore", page.text)
    assert restore_links == ["2", "1"]  # not the current one


def test_the_diff_shows_changed_lines_escaped_with_text_markers(
    settings: ArticlesSettings, client: TestClient, edited: dict[str, Any]
) -> None:
    signed_in_as(settings, client)
    page = client.get(f"/editor/articles/{edited['id']}/history/diff?from=1&to=3")
    assert page.status_code == 200
    html = page.text
    assert "<h2>Title</h2>" in html and "<h2>Body</h2>" in html
    assert "<h2>Tags</h2>" not in html  # unchanged fields are not listed
    escaped = "Line two &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;."
    assert f"<td>+ added</td><td><ins>{escaped}</ins></td>" in html
    assert "<td>− removed</td><td><del>Line two.</del></td>" in html
    assert "<td>1</td><td>1</td><td></td><td>Line one.</td>" in html  # context, unchanged
    assert "<ins>Shingles &lt;b&gt;explained&lt;/b&gt;</ins>" in html
    assert "<script>alert" not in html and "<b>explained" not in html
    assert re.findall(r"/revisions/(\d+)/restore", html) == ["1"]  # 3 is the current one
    # Any two, either way round: from 3 to 1 the script line is the removed one.
    back = client.get(f"/editor/articles/{edited['id']}/history/diff?from=3&to=1").text
    assert f"<del>{escaped}</del>" in back and "<ins>Line two.</ins>" in back
    same = client.get(f"/editor/articles/{edited['id']}/history/diff?from=2&to=2").text
    assert "That is the same revision twice." in same


def test_restore_brings_back_the_content_as_a_new_revision(
    settings: ArticlesSettings, client: TestClient, token: str, edited: dict[str, Any]
) -> None:
    client.post(f"/api/v1/articles/{edited['id']}/publish", headers=auth(token))  # version 4
    signed_in_as(settings, client)
    path = f"/editor/articles/{edited['id']}/revisions/1/restore"
    page = client.get(path)
    assert page.status_code == 200
    assert "comes back as a new version, 5" in page.text
    assert "The status stays published" in page.text
    assert f"The page /health/{edited['slug']} is updated on the site at once." in page.text
    assert 'href="/editor/articles/{}/history/diff?from=4&amp;to=1"'.format(edited["id"]) in (
        page.text
    )
    done = client.post(path, data={"csrf_token": page_token(client, path), "version": "4"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/editor/articles/{edited['id']}/history"
    article = client.get(f"/api/v1/articles/{edited['id']}", headers=auth(token)).json()
    assert (article["version"], article["status"]) == (5, "published")
    assert (article["title"], article["body"]) == (
        "Shingles",
        "Line one.\nLine two.\nLine three.\n",
    )
    newest = revisions(client, token, edited["id"])[0]
    assert (newest["version"], newest["created_by"]) == (5, "editor@example.org")
    listed = client.get(f"/editor/articles/{edited['id']}/history").text
    assert re.findall(r"<tr>\s*<td>(\d+)</td>", listed) == ["5", "4", "3", "2", "1"]


def test_a_stale_or_csrf_less_restore_is_refused_and_changes_nothing(
    settings: ArticlesSettings, client: TestClient, token: str, edited: dict[str, Any]
) -> None:
    signed_in_as(settings, client)
    path = f"/editor/articles/{edited['id']}/revisions/1/restore"
    stale = client.post(path, data={"csrf_token": page_token(client), "version": "2"})
    assert stale.status_code == 409 and "now at version 3" in stale.text
    assert stale.headers["content-type"].startswith("text/html")
    no_csrf = client.post(path, data={"version": "3"})
    assert no_csrf.status_code == 403
    assert len(revisions(client, token, edited["id"])) == 3


@pytest.mark.parametrize("raw", ["0", "4", "abc", "-1", "99999999999", "1" * 5000, "%C2%B2"])
def test_odd_revision_numbers_are_404_pages(
    settings: ArticlesSettings, client: TestClient, edited: dict[str, Any], raw: str
) -> None:
    signed_in_as(settings, client)
    base = f"/editor/articles/{edited['id']}"
    for path in (
        f"{base}/history/diff?from={raw}&to=1",
        f"{base}/history/diff?from=1&to={raw}",
        f"{base}/revisions/{raw}/restore",
        f"/editor/articles/{raw}/history",
    ):
        found = client.get(path)
        assert found.status_code == 404, path
        assert found.headers["content-type"].startswith("text/html")
    posted = client.post(f"{base}/revisions/{raw}/restore", data={"csrf_token": page_token(client)})
    assert posted.status_code == 404


def test_a_diff_without_two_revisions_is_a_422_page_and_reviewers_get_403(
    settings: ArticlesSettings, client: TestClient, edited: dict[str, Any]
) -> None:
    signed_in_as(settings, client, "reviewer")  # the API: revisions are the editor role's
    assert client.get(f"/editor/articles/{edited['id']}/history").status_code == 403
    client.cookies.clear()
    signed_in_as(settings, client)
    missing = client.get(f"/editor/articles/{edited['id']}/history/diff?from=1")
    assert missing.status_code == 422 and "Pick the two revisions" in missing.text


def test_line_diff_keeps_context_and_marks_left_out_lines() -> None:
    old = [f"line {n}" for n in range(1, 21)]
    new = [*old[:9], "changed", *old[10:]]
    lines = history.line_diff(old, new)
    kinds = [line.kind for line in lines]
    assert kinds == [
        "gap",
        "same",
        "same",
        "same",
        "removed",
        "added",
        "same",
        "same",
        "same",
        "gap",
    ]
    assert (lines[4].old, lines[4].text, lines[5].new) == (10, "line 10", 10)
    assert history.compare({"tags": ["a", "b"]}, {"tags": ["a", "c"]})[0].lines == [
        history.Line("same", 1, 1, "a"),
        history.Line("removed", 2, None, "b"),
        history.Line("added", None, 2, "c"),
    ]
    assert history.compare({"category_id": 1}, {"category_id": 2}) == []  # ids: slugs say it
