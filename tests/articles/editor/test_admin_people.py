"""Admin screens of people: list, create, edit, through the functions /api/v1/people uses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from tests.articles.editor.admin_helpers import api_get, assert_html, sign_in_admin
from tests.helpers import auth, make_token
from tests.images import jpeg

XSS = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


@pytest.fixture
def token(settings: ArticlesSettings) -> str:
    return make_token(settings, "admin")


def _photo(client: TestClient, token: str) -> int:
    uploaded = client.post(
        "/api/v1/media",
        files={"file": ("portrait.jpg", jpeg(400, 300), "image/jpeg")},
        data={"alt": "A portrait"},
        headers=auth(token),
    )
    assert uploaded.status_code == 201, uploaded.text
    media_id: int = uploaded.json()["id"]
    return media_id


def test_a_person_created_on_the_screen_is_what_the_api_sees(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    photo = _photo(client, token)
    form = client.get("/editor/admin/people/new").text
    assert f'<option value="{photo}">#{photo}: A portrait (400 by 300 px)</option>' in form
    made = client.post(
        "/editor/admin/people/new",
        data={
            "name": " Dr Amara Lindqvist ", "slug": "", "credentials": "MD, FRCP",
            "bio": "Consultant rheumatologist.", "photo_media_id": str(photo),
            "csrf_token": csrf,
        },
    )  # fmt: skip
    assert made.status_code == 303 and made.headers["location"] == "/editor/admin/people"
    person = api_get(client, token, "/api/v1/people/dr-amara-lindqvist")
    assert person["name"] == "Dr Amara Lindqvist"  # stripped, as the API strips it
    assert (person["credentials"], person["bio"]) == ("MD, FRCP", "Consultant rheumatologist.")
    assert person["photo_media_id"] == photo
    listed = assert_html(client.get("/editor/admin/people"), 200)
    assert '<a href="/editor/admin/people/dr-amara-lindqvist/edit">Dr Amara Lindqvist</a>' in listed


def test_editing_a_person_changes_the_api_and_a_new_slug_is_announced(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    photo = _photo(client, token)
    client.post(
        "/api/v1/people",
        json={"name": "Ann Lee", "credentials": "MD", "photo_media_id": photo},
        headers=auth(token),
    )
    form = assert_html(client.get("/editor/admin/people/ann-lee/edit"), 200)
    assert 'value="Ann Lee"' in form and 'value="MD"' in form
    assert f'<option value="{photo}" selected>' in form
    assert "old address keeps redirecting" in form
    saved = client.post(
        "/editor/admin/people/ann-lee/edit",
        data={"name": "Ann Lee-Smith", "slug": "ann-lee-smith", "credentials": "MD, PhD",
              "bio": "Endocrinologist.", "photo_media_id": "", "csrf_token": csrf},
    )  # fmt: skip
    assert saved.status_code == 303
    person = api_get(client, token, "/api/v1/people/ann-lee-smith")
    assert (person["name"], person["credentials"], person["bio"]) == (
        "Ann Lee-Smith", "MD, PhD", "Endocrinologist."
    )  # fmt: skip
    assert person["photo_media_id"] is None  # "No photo" removed it
    assert person["version"] == 2
    assert client.get("/api/v1/people/ann-lee", headers=auth(token)).status_code == 404


def test_person_form_errors_are_422_beside_the_field_with_the_input_kept(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    good = {"name": "Bo Chan", "credentials": "RN", "bio": "Nurse.", "photo_media_id": ""}
    for change, field, message in (
        ({"name": "   "}, "name", "This field is needed."),
        ({"slug": "Bad Slug!"}, "slug", "lower-case letters"),
        ({"photo_media_id": "abc"}, "photo_media_id", "whole number"),
        ({"photo_media_id": "9" * 400}, "photo_media_id", "whole number"),
        ({"photo_media_id": "4242"}, "photo_media_id", "No media 4242"),
        ({"credentials": "x" * 201}, "credentials", "at most 200"),
        ({"bio": "a\x01b"}, "bio", "control characters"),
    ):
        sent = {**good, **change, "csrf_token": csrf}
        html = assert_html(client.post("/editor/admin/people/new", data=sent), 422)
        assert f'<p class="error" id="{field}-error">' in html, change
        assert message in html.split(f'id="{field}-error">')[1].split("</p>")[0], change
        assert 'value="RN"' in html or field == "credentials"  # the input is kept
    assert api_get(client, token, "/api/v1/people") == []


def test_a_taken_slug_is_a_409_and_changes_nothing(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    for name in ("Ann Lee", "Bo Chan"):
        client.post("/api/v1/people", json={"name": name}, headers=auth(token))
    created = client.post(
        "/editor/admin/people/new",
        data={"name": "Another Ann", "slug": "ann-lee", "csrf_token": csrf},
    )
    assert "already used by another person" in assert_html(created, 409)
    edited = client.post(
        "/editor/admin/people/bo-chan/edit",
        data={"name": "Bo Renamed", "slug": "ann-lee", "csrf_token": csrf},
    )
    html = assert_html(edited, 409)
    assert 'id="slug-error"' in html and 'value="Bo Renamed"' in html
    names = sorted(p["name"] for p in api_get(client, token, "/api/v1/people"))
    assert names == ["Ann Lee", "Bo Chan"]


def test_names_are_escaped_on_every_people_page(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    csrf = sign_in_admin(settings, client)
    made = client.post(
        "/editor/admin/people/new",
        data={"name": XSS, "slug": "eve", "credentials": XSS, "bio": XSS, "csrf_token": csrf},
    )
    assert made.status_code == 303
    assert api_get(client, token, "/api/v1/people/eve")["name"] == XSS  # stored as typed
    for path in ("/editor/admin/people", "/editor/admin/people/eve/edit", "/editor/admin/users"):
        html = client.get(path).text
        assert "<script>alert" not in html, path
    assert ESCAPED in client.get("/editor/admin/people/eve/edit").text
    refused = client.post(
        "/editor/admin/people/new", data={"name": XSS, "slug": "Bad", "csrf_token": csrf}
    )
    assert "<script>alert" not in assert_html(refused, 422)


@pytest.mark.parametrize(
    "odd", ["nobody", "Bad_Slug", "x" * 500, "%00", "ann-lee.", "-", "1" * 5000]
)
def test_odd_people_addresses_are_404_pages(
    settings: ArticlesSettings, client: TestClient, token: str, odd: str
) -> None:
    csrf = sign_in_admin(settings, client)
    client.post("/api/v1/people", json={"name": "Ann Lee"}, headers=auth(token))
    assert_html(client.get(f"/editor/admin/people/{odd}/edit"), 404)
    posted = client.post(
        f"/editor/admin/people/{odd}/edit", data={"name": "Hacked", "slug": "x", "csrf_token": csrf}
    )
    assert_html(posted, 404)
    assert [p["name"] for p in api_get(client, token, "/api/v1/people")] == ["Ann Lee"]
