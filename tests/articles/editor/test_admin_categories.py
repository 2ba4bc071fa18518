"""Admin screens of categories: list, create, edit (rename, new slug, review rules), through
the functions /api/v1/categories uses. The tests' categories: health, bones-and-joints
(under health) and nutrition."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from tests.articles.editor.admin_helpers import api_get, assert_html, sign_in_admin
from tests.helpers import auth, create_article, make_token

GOOD = {
    "name": "Skin",
    "slug": "skin",
    "description": "",
    "parent": "",
    "review_interval_months": "12",
}


@pytest.fixture
def token(settings: ArticlesSettings) -> str:
    return make_token(settings, "admin")


def _categories(client: TestClient, token: str) -> dict[str, Any]:
    return {c["slug"]: c for c in api_get(client, token, "/api/v1/categories")}


def _error(html: str, field: str) -> str:
    assert f'id="{field}-error">' in html, f"no error beside {field}"
    return html.split(f'id="{field}-error">')[1].split("</p>")[0]


def test_the_list_shows_parents_and_review_rules(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    sign_in_admin(settings, client)
    client.patch(
        "/api/v1/categories/nutrition",
        json={"requires_review": True, "review_interval_months": 6},
        headers=auth(token),
    )
    html = assert_html(client.get("/editor/admin/categories"), 200)
    row = html.split('href="/editor/admin/categories/nutrition/edit"')[1].split("</tr>")[0]
    assert "<td>Yes</td>" in row and "<td>6 months</td>" in row
    bones = html.split('href="/editor/admin/categories/bones-and-joints/edit"')[1].split("</tr>")[0]
    assert "<td>health</td>" in bones and "<td>No</td>" in bones and "<td>12 months</td>" in bones


def test_a_category_created_on_the_screen_is_what_the_api_sees(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    form = assert_html(client.get("/editor/admin/categories/new"), 200)
    assert '<option value="health">Health</option>' in form
    made = client.post(
        "/editor/admin/categories/new",
        data={**GOOD, "parent": "health", "requires_review": "on",
              "review_interval_months": "18", "description": "Eczema and more.",
              "csrf_token": csrf},
    )  # fmt: skip
    assert made.status_code == 303 and made.headers["location"] == "/editor/admin/categories"
    assert _categories(client, token)["skin"] == {
        "slug": "skin", "name": "Skin", "description": "Eczema and more.", "parent": "health",
        "requires_review": True, "review_interval_months": 18,
    }  # fmt: skip


def test_category_form_errors_are_422_beside_the_field_and_a_taken_slug_409(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    before = _categories(client, token)
    for change, field, message in (
        ({"name": ""}, "name", "This field is needed."),
        ({"slug": "Skin Care"}, "slug", "lower-case letters"),
        ({"review_interval_months": "0"}, "review_interval_months", "greater than or equal to 1"),
        ({"review_interval_months": "121"}, "review_interval_months", "less than or equal to 120"),
        ({"review_interval_months": "twelve"}, "review_interval_months", "whole number"),
        ({"review_interval_months": ""}, "review_interval_months", "needed"),
        ({"parent": "nowhere"}, "parent", "No category with slug"),
    ):
        sent = {**GOOD, **change, "csrf_token": csrf}
        html = assert_html(client.post("/editor/admin/categories/new", data=sent), 422)
        assert message in _error(html, field), change
    taken = client.post(
        "/editor/admin/categories/new", data={**GOOD, "slug": "nutrition", "csrf_token": csrf}
    )
    html = assert_html(taken, 409)
    assert "already used by another category" in _error(html, "slug")
    assert 'value="Skin"' in html  # the input is kept
    assert _categories(client, token) == before


def test_editing_renames_moves_and_re_slugs_and_the_form_says_the_old_slug_redirects(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    article = create_article(client, token, category="bones-and-joints")
    client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
    form = assert_html(client.get("/editor/admin/categories/bones-and-joints/edit"), 200)
    assert "old addresses keep redirecting (301)" in form
    assert '<option value="health" selected>' in form
    assert '<option value="bones-and-joints"' not in form  # not its own parent
    saved = client.post(
        "/editor/admin/categories/bones-and-joints/edit",
        data={"name": "Bones, joints and muscles", "slug": "bones-joints-muscles",
              "description": "", "parent": "", "requires_review": "on",
              "review_interval_months": "24", "csrf_token": csrf},
    )  # fmt: skip
    assert saved.status_code == 303
    found = _categories(client, token)
    assert "bones-and-joints" not in found
    assert found["bones-joints-muscles"] == {
        "slug": "bones-joints-muscles", "name": "Bones, joints and muscles", "description": "",
        "parent": None, "requires_review": True, "review_interval_months": 24,
    }  # fmt: skip
    # The published article was sent again with its category's new name (a new version).
    now = client.get(f"/api/v1/articles/{article['id']}", headers=auth(token)).json()
    assert now["version"] == 3 and now["category"] == "bones-joints-muscles"
    # Unticking the box turns the rule off again.
    client.post(
        "/editor/admin/categories/bones-joints-muscles/edit",
        data={"name": "Bones", "slug": "bones-joints-muscles", "parent": "",
              "review_interval_months": "24", "csrf_token": csrf},
    )  # fmt: skip
    assert _categories(client, token)["bones-joints-muscles"]["requires_review"] is False


def test_a_refused_edit_changes_nothing_though_the_service_had_begun(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    """update_category renames before it finds the new slug taken: the page must undo it."""
    csrf = sign_in_admin(settings, client)
    before = _categories(client, token)
    taken = client.post(
        "/editor/admin/categories/nutrition/edit",
        data={"name": "Food", "slug": "health", "parent": "", "review_interval_months": "3",
              "csrf_token": csrf},
    )  # fmt: skip
    html = assert_html(taken, 409)
    assert "already used by another category" in _error(html, "slug")
    assert 'value="Food"' in html
    cycle = client.post(
        "/editor/admin/categories/health/edit",
        data={"name": "Wellbeing", "slug": "health", "parent": "bones-and-joints",
              "review_interval_months": "12", "csrf_token": csrf},
    )  # fmt: skip
    assert "cannot be its parent" in _error(assert_html(cycle, 422), "parent")
    assert _categories(client, token) == before


def test_category_names_are_escaped(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    xss = "<img src=x onerror=alert(1)>"
    client.post(
        "/editor/admin/categories/new",
        data={**GOOD, "name": xss, "description": xss, "csrf_token": csrf},
    )
    assert _categories(client, token)["skin"]["name"] == xss
    for path in ("/editor/admin/categories", "/editor/admin/categories/skin/edit",
                 "/editor/admin/categories/new"):  # fmt: skip
        html = assert_html(client.get(path), 200)
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("odd", ["nowhere", "Health", "x" * 500, "%00", "health.", "1" * 5000])
def test_odd_category_addresses_are_404_pages(
    settings: ArticlesSettings, client: TestClient, token: str, odd: str
) -> None:
    csrf = sign_in_admin(settings, client)
    before = _categories(client, token)
    assert_html(client.get(f"/editor/admin/categories/{odd}/edit"), 404)
    posted = client.post(
        f"/editor/admin/categories/{odd}/edit",
        data={**GOOD, "slug": "hacked", "csrf_token": csrf},
    )
    assert_html(posted, 404)
    assert _categories(client, token) == before
