"""The create/edit screen: every field of the API, saving through its service functions,
errors next to the fields, conflicts merged without losing text, escaping, roles, odd ids."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.articles import people, preview
from services.articles.models import Article, OutboxMessage, Revision
from services.articles.people_schemas import PersonCreate
from services.articles.settings import ArticlesSettings
from shared.db import Database
from tests.articles.editor.conftest import add_user, client_at, page_token, sign_in
from tests.helpers import auth, create_article, make_token
from tests.images import jpeg

XSS = '<script>alert("x")</script>'


@pytest.fixture
def token(settings: ArticlesSettings) -> str:
    return make_token(settings, "admin")


@pytest.fixture
def editor(settings: ArticlesSettings, client: TestClient) -> str:
    """Ann, an editor, signed in; returns her CSRF token."""
    add_user(settings)
    sign_in(client)
    return page_token(client)


def add_person(settings: ArticlesSettings, name: str, slug: str) -> None:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        people.create(session, data=PersonCreate(name=name, slug=slug), now=datetime.now(UTC))
    db.dispose()


def count(settings: ArticlesSettings, model: type[Any]) -> int:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        found = session.scalar(select(func.count()).select_from(model)) or 0
    db.dispose()
    return found


def form(csrf: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "title": "Vitamin D and bones",
        "slug": "",
        "category": "health",
        "summary": "Why sunlight matters.",
        "body": "## Sunlight\n\nSkin makes vitamin D.\n",
        "tags": "vitamins, bones",
    }
    data.update(fields)
    return data


def read(client: TestClient, token: str, article_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/articles/{article_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def saved_id(response: Any) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(
        r"/editor/articles/(\d+)/edit\?saved=(new|1)", response.headers["location"]
    )
    assert found, response.headers["location"]
    return int(found[1])


def test_an_editor_creates_an_article_with_every_field_of_the_api(
    settings: ArticlesSettings, client: TestClient, editor: str, token: str
) -> None:
    add_person(settings, "Dr Ann Lee", "ann-lee")
    add_person(settings, "Bo Chan", "bo-chan")
    image = client.post(
        "/api/v1/media", files={"file": ("a.jpg", jpeg(400, 300), "image/jpeg")},
        data={"alt": "A hip X-ray"}, headers=auth(token),
    )  # fmt: skip
    assert image.status_code == 201, image.text
    page = client.get("/editor/articles/new")
    assert page.status_code == 200
    assert ">Dr Ann Lee</option>" in page.text and "#1: A hip X-ray" in page.text
    created = client.post(
        "/editor/articles/new",
        data=form(
            editor, slug="vitamin-d", category="nutrition", author_slugs=["bo-chan", "ann-lee"],
            hero_media_id=str(image.json()["id"]), hero_image_alt="Bones in sunlight",
            reviewed_by="Dr Cy Dee", last_reviewed="2026-11-01",
            body="## Sunlight\n\nSkin makes vitamin D.[^nhs]\n",
            ref_title=["Vitamin D", ""], ref_publisher=["NHS", ""],
            ref_url=["https://www.nhs.uk/vitamin-d/", ""], ref_accessed=["2026-11-20", ""],
            ref_doi=["doi:10.1000/xyz123", ""], ref_key=["nhs", ""],
        ),
    )  # fmt: skip
    article = read(client, token, saved_id(created))
    assert article["title"] == "Vitamin D and bones"
    assert (article["slug"], article["category"], article["status"]) == (
        "vitamin-d",
        "nutrition",
        "draft",
    )
    assert article["summary"] == "Why sunlight matters."
    assert article["body"] == "## Sunlight\n\nSkin makes vitamin D.[^nhs]\n"
    assert article["tags"] == ["vitamins", "bones"]
    assert article["author_slugs"] == ["bo-chan", "ann-lee"]
    assert article["authors"] == ["Bo Chan", "Dr Ann Lee"]
    assert article["hero_media_id"] == image.json()["id"]
    assert article["hero_image_alt"] == "Bones in sunlight"
    assert (article["reviewed_by"], article["last_reviewed"]) == ("Dr Cy Dee", "2026-11-01")
    assert article["references"] == [
        {"title": "Vitamin D", "publisher": "NHS", "url": "https://www.nhs.uk/vitamin-d/",
         "accessed": "2026-11-20", "doi": "10.1000/xyz123", "key": "nhs"}
    ]  # fmt: skip
    # The revision names the signed-in user, as the API names a token.
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        assert session.scalars(select(Revision.created_by)).all() == ["ann@example.org"]
    db.dispose()
    # The saved page clears the local copy and shows the form as saved.
    again = client.get(created.headers["location"])
    assert 'data-saved="new"' in again.text and "Saved: version 1." in again.text
    assert 'value="Bones in sunlight"' in again.text
    assert '<option value="bo-chan" selected>' in again.text


def test_free_text_authors_become_people_and_both_kinds_at_once_are_refused(
    settings: ArticlesSettings, client: TestClient, editor: str, token: str
) -> None:
    add_person(settings, "Bo Chan", "bo-chan")
    both = client.post(
        "/editor/articles/new", data=form(editor, author_slugs=["bo-chan"], authors="Cy Dee")
    )
    assert both.status_code == 422
    assert "not both" in both.text
    named = client.post("/editor/articles/new", data=form(editor, authors="Cy Dee\nDi Eve\n"))
    assert read(client, token, saved_id(named))["authors"] == ["Cy Dee", "Di Eve"]


def test_an_edit_saves_the_changed_fields_at_the_version_it_was_loaded_at(
    client: TestClient, editor: str, token: str
) -> None:
    article = create_article(client, token, title="Old <b>title</b>")
    page = client.get(f"/editor/articles/{article['id']}/edit")
    assert page.status_code == 200
    assert 'value="Old &lt;b&gt;title&lt;/b&gt;"' in page.text
    assert 'name="version" value="1"' in page.text
    assert f'data-autosave-key="1:{article["id"]}:1"' in page.text
    fields = form(editor, title="New title", category="health", version="1",
                  summary=article["summary"], body=article["body"], tags="osteoporosis, autoimmune")  # fmt: skip
    saved = client.post(f"/editor/articles/{article['id']}/edit", data=fields)
    assert saved_id(saved) == article["id"]
    after = read(client, token, article["id"])
    assert (after["title"], after["version"], after["body"]) == ("New title", 2, article["body"])
    assert after["tags"] == ["osteoporosis", "autoimmune"]
    assert (
        f'href="/editor/articles/{article["id"]}/edit">Edit</a>'
        in client.get(f"/editor/articles/{article['id']}").text
    )
    assert 'href="/editor/articles/new">New article</a>' in client.get("/editor/").text


def test_errors_come_back_next_to_their_fields_with_the_input_kept(
    settings: ArticlesSettings, client: TestClient, editor: str
) -> None:
    refused = client.post(
        "/editor/articles/new",
        data=form(
            editor, title="   ", slug="Not A Slug", category="no-such-category",
            body="Kept text [^missing]", hero_media_id="99999999999999999999999",
            last_reviewed="yesterday", ref_title=["A source"], ref_publisher=[""],
            ref_url=["javascript:alert(1)"], ref_accessed=["2026-01-01"], ref_doi=[""],
            ref_key=[""],
        ),
    )  # fmt: skip
    assert refused.status_code == 422
    html = refused.text
    assert 'id="title" name="title" value="   "' in html
    assert 'aria-invalid="true" aria-describedby="err-title"' in html
    assert 'aria-invalid="true" aria-describedby="slug-hint err-slug"' in html
    assert not re.search(r"<[^>]*aria-describedby=[^>]*aria-describedby=", html)  # one each
    assert 'id="err-slug"' in html and 'id="err-last_reviewed"' in html
    assert 'id="err-hero_media_id"' in html and 'id="err-references-0"' in html
    assert ">Kept text [^missing]</textarea>" in html
    assert 'value="javascript:alert(1)"' in html  # kept as typed, in a value, refused
    assert count(settings, Article) == 0
    # The service's own refusals too: an unknown category, a citation with no reference.
    service_refused = client.post(
        "/editor/articles/new", data=form(editor, category="no-such", body="See [^x].")
    )
    assert service_refused.status_code == 422
    assert "No category with slug &#39;no-such&#39;." in service_refused.text
    cited = client.post("/editor/articles/new", data=form(editor, body="See [^x]."))
    assert cited.status_code == 422
    assert 'id="err-body"' in cited.text and "[^x]" in cited.text
    image = client.post("/editor/articles/new", data=form(editor, body="![x](media:999)"))
    assert image.status_code == 422
    assert 'id="err-form"' in image.text and "No media 999 in the library" in image.text
    assert count(settings, Article) == 0


def test_a_refused_edit_stores_nothing_of_itself(
    client: TestClient, editor: str, token: str
) -> None:
    """The service sets the title before it finds the slug taken: the savepoint undoes it."""
    create_article(client, token, title="Taken", slug="taken")
    article = create_article(client, token, title="Mine", slug="mine")
    refused = client.post(
        f"/editor/articles/{article['id']}/edit",
        data=form(editor, title="Changed", slug="taken", version="1", body=article["body"]),
    )
    assert refused.status_code == 422
    assert "already used by another article" in refused.text
    after = read(client, token, article["id"])
    assert (after["title"], after["slug"], after["version"]) == ("Mine", "mine", 1)


def test_a_conflict_shows_both_versions_and_the_merge_keeps_my_text(
    client: TestClient, editor: str, token: str
) -> None:
    article = create_article(client, token, title="First title", body="Base text.\n")
    url = f"/editor/articles/{article['id']}/edit"
    assert 'name="version" value="1"' in client.get(url).text
    # Someone else changes the title and the body in between (version 2).
    theirs = client.patch(
        f"/api/v1/articles/{article['id']}",
        json={"title": "Their title", "body": "Their <b>text</b>.\n", "version": 1},
        headers=auth(token),
    )
    assert theirs.status_code == 200, theirs.text
    mine = form(editor, title="First title", version="1", summary=article["summary"],
                body="My long text.\n", tags="osteoporosis, autoimmune")  # fmt: skip
    conflict = client.post(url, data=mine)
    assert conflict.status_code == 409
    html = conflict.text
    assert "Someone saved this article while you were editing" in html
    assert 'name="version" value="2"' in html
    assert ">Their &lt;b&gt;text&lt;/b&gt;.\n</pre>" in html and ">My long text.\n</pre>" in html
    assert ">My long text.\n</textarea>" in html  # the form holds my text
    # I did not touch the title, they did: theirs is preselected; the body: mine.
    assert '<input type="radio" name="take_title" value="theirs" checked>' in html
    assert '<input type="radio" name="take_body" value="yours" checked>' in html
    assert "take_summary" not in html  # only the fields that differ
    merged = client.post(url, data={**mine, "version": "2", "take_title": "theirs",
                                     "take_body": "yours"})  # fmt: skip
    assert saved_id(merged) == article["id"]
    after = read(client, token, article["id"])
    assert (after["title"], after["body"], after["version"]) == (
        "Their title", "My long text.\n", 3
    )  # fmt: skip


def test_a_merge_may_keep_my_value_and_a_second_conflict_is_shown_again(
    client: TestClient, editor: str, token: str
) -> None:
    article = create_article(client, token, title="First")
    url = f"/editor/articles/{article['id']}/edit"
    client.patch(f"/api/v1/articles/{article['id']}", json={"title": "Second", "version": 1},
                 headers=auth(token))  # fmt: skip
    mine = form(editor, title="Mine", version="1", summary=article["summary"],
                body=article["body"], tags="osteoporosis, autoimmune")  # fmt: skip
    assert client.post(url, data=mine).status_code == 409
    client.patch(f"/api/v1/articles/{article['id']}", json={"title": "Third", "version": 2},
                 headers=auth(token))  # fmt: skip
    # The merge was made against version 2; the article moved on to 3: shown again.
    again = client.post(url, data={**mine, "version": "2", "take_title": "yours"})
    assert again.status_code == 409
    assert 'name="version" value="3"' in again.text and ">Third</pre>" in again.text
    kept = client.post(url, data={**mine, "version": "3", "take_title": "yours"})
    assert saved_id(kept) == article["id"]
    assert read(client, token, article["id"])["title"] == "Mine"


def test_a_post_without_the_csrf_token_is_refused(
    settings: ArticlesSettings, client: TestClient, editor: str, token: str
) -> None:
    article = create_article(client, token)
    for path in ("/editor/articles/new", f"/editor/articles/{article['id']}/edit",
                 f"/editor/articles/{article['id']}/preview"):  # fmt: skip
        refused = client.post(path, data=form("", version="1", title="Sneaky"))
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html")
        forged = client.post(path, data=form("forged", version="1", title="Sneaky"))
        assert forged.status_code == 403, path
    assert count(settings, Article) == 1
    assert read(client, token, article["id"])["version"] == 1


def test_script_in_every_field_comes_back_as_text(
    settings: ArticlesSettings, client: TestClient, editor: str, token: str
) -> None:
    add_person(settings, XSS, "evil")
    fields = form(
        editor, title=XSS, summary=XSS, body=f"{XSS}\n", tags=XSS, author_slugs=["evil"],
        hero_image_alt=XSS, reviewed_by=XSS, ref_title=[XSS], ref_publisher=[XSS],
        ref_url=["https://example.org/"], ref_accessed=["2026-01-01"], ref_doi=[""],
        ref_key=[""],
    )  # fmt: skip
    page = client.get(
        created := client.post("/editor/articles/new", data=fields).headers["location"]
    )
    assert page.status_code == 200, created
    assert "<script>alert" not in page.text
    assert page.text.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 8
    # Reflected input (a refused form) and the conflict view escape it as well.
    refused = client.post("/editor/articles/new", data={**fields, "slug": XSS})
    assert refused.status_code == 422 and "<script>alert" not in refused.text
    article_id = saved_id(client.post("/editor/articles/new", data={**fields, "slug": "two"}))
    client.patch(f"/api/v1/articles/{article_id}", json={"summary": "x", "version": 1},
                 headers=auth(token))  # fmt: skip
    conflict = client.post(f"/editor/articles/{article_id}/edit",
                           data={**fields, "slug": "two", "version": "1", "body": XSS})  # fmt: skip
    assert conflict.status_code == 409 and "<script>alert" not in conflict.text


@pytest.mark.parametrize(
    "article_id", ["abc", "0", "-1", "999", "2147483648", "9" * 5000, "1.5", "%20"]
)
def test_odd_ids_are_a_404_page(client: TestClient, editor: str, article_id: str) -> None:
    for response in (
        client.get(f"/editor/articles/{article_id}/edit"),
        client.post(f"/editor/articles/{article_id}/edit", data=form(editor, version="1")),
        client.post(f"/editor/articles/{article_id}/preview", data=form(editor)),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>No such article</h1>" in response.text


def test_odd_versions_and_missing_fields_are_a_4xx_form_not_a_500(
    client: TestClient, editor: str, token: str
) -> None:
    article = create_article(client, token)
    url = f"/editor/articles/{article['id']}/edit"
    for version in ("", "abc", "0", "9" * 5000, "99999999999"):
        response = client.post(url, data=form(editor, version=version))
        assert response.status_code in (409, 422), (version, response.status_code)
        assert response.headers["content-type"].startswith("text/html")
    bare = client.post("/editor/articles/new", data={"csrf_token": editor})
    assert bare.status_code == 422
    assert 'id="err-title"' in bare.text and 'id="err-category"' in bare.text
    assert read(client, token, article["id"])["version"] == 1


@pytest.mark.parametrize("role", ["reviewer"])
def test_only_roles_that_may_edit_through_the_api_may_edit_here(
    settings: ArticlesSettings, client: TestClient, token: str, role: str
) -> None:
    article = create_article(client, token)
    add_user(settings, role=role)
    sign_in(client)
    csrf = page_token(client)
    assert 'href="/editor/articles/new"' not in client.get("/editor/").text
    assert (
        f"/editor/articles/{article['id']}/edit"
        not in client.get(f"/editor/articles/{article['id']}").text
    )
    for response in (
        client.get("/editor/articles/new"),
        client.get(f"/editor/articles/{article['id']}/edit"),
        client.post("/editor/articles/new", data=form(csrf)),
        client.post(f"/editor/articles/{article['id']}/edit", data=form(csrf, version="1")),
        client.post(f"/editor/articles/{article['id']}/preview", data=form(csrf)),
    ):
        assert response.status_code == 403
        assert "needs the editor role" in response.text
    assert count(settings, Article) == 1


def test_an_admin_may_edit_and_a_stranger_is_sent_to_sign_in(
    settings: ArticlesSettings, client: TestClient, token: str
) -> None:
    article = create_article(client, token)
    assert client.get("/editor/articles/new").status_code == 303
    assert client.get(f"/editor/articles/{article['id']}/edit").status_code == 303
    add_user(settings, "root@example.org", role="admin", name="Root")
    sign_in(client, "root@example.org")
    assert client.get(f"/editor/articles/{article['id']}/edit").status_code == 200


def test_without_a_render_worker_the_preview_says_so_and_stores_nothing(
    settings: ArticlesSettings, client: TestClient, editor: str, token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(preview, "PREVIEW_TIMEOUT_SECONDS", 1)
    article = create_article(client, token)
    client.post(f"/api/v1/articles/{article['id']}/publish", json={"version": 1},
                headers=auth(token))  # fmt: skip
    outbox_before = count(settings, OutboxMessage)
    response = client.post(
        f"/editor/articles/{article['id']}/preview",
        data=form("", title="Changed", version="2"), headers={"X-CSRF-Token": editor},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Preview unavailable" in response.text and "<iframe" not in response.text
    after = read(client, token, article["id"])
    assert (after["title"], after["version"]) == (article["title"], 2)
    assert count(settings, OutboxMessage) == outbox_before  # the previewed edit sent nothing
    assert count(settings, Revision) == 2  # created, published: no preview revision
    new = client.post("/editor/articles/new/preview", data=form(editor))
    assert new.status_code == 200 and "Preview unavailable" in new.text
    assert count(settings, Article) == 1


def test_a_preview_of_a_form_that_cannot_be_saved_says_why(client: TestClient, editor: str) -> None:
    response = client.post("/editor/articles/new/preview", data=form(editor, category=""))
    assert response.status_code == 200
    assert "The preview shows once the form can be saved" in response.text


def test_a_browsers_crlf_line_endings_are_stored_as_the_api_would_store_them(
    client: TestClient, editor: str, token: str
) -> None:
    created = client.post(
        "/editor/articles/new", data=form(editor, body="## One\r\n\r\nTwo.\r\n", authors="A\r\nB")
    )
    article = read(client, token, saved_id(created))
    assert (article["body"], article["authors"]) == ("## One\n\nTwo.\n", ["A", "B"])


def test_an_old_external_hero_is_shown_and_can_be_dropped(
    settings: ArticlesSettings, client: TestClient, editor: str, token: str
) -> None:
    article = create_article(client, token)
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        row = session.get(Article, article["id"])
        assert row is not None
        row.hero_image_url = 'https://old.example/"><script>x</script>.jpg'
    db.dispose()
    url = f"/editor/articles/{article['id']}/edit"
    page = client.get(url)
    assert (
        "<code>https://old.example/&#34;&gt;&lt;script&gt;x&lt;/script&gt;.jpg</code>" in page.text
    )
    fields = form(editor, title=article["title"], version="1", summary=article["summary"],
                  body=article["body"], tags="osteoporosis, autoimmune")  # fmt: skip
    kept = client.post(url, data=fields)
    assert saved_id(kept) == article["id"]
    assert read(client, token, article["id"])["hero_image_url"] is not None  # untouched
    dropped = client.post(url, data={**fields, "version": "2", "drop_hero_image_url": "on"})
    assert saved_id(dropped) == article["id"]
    assert read(client, token, article["id"])["hero_image_url"] is None


def test_more_references_than_the_api_takes_is_a_form_error(
    client: TestClient, editor: str
) -> None:
    rows = 101
    refused = client.post(
        "/editor/articles/new",
        data=form(
            editor, ref_title=[f"T{i}" for i in range(rows)], ref_publisher=["P"] * rows,
            ref_url=["https://example.org/"] * rows, ref_accessed=["2026-01-01"] * rows,
            ref_doi=[""] * rows, ref_key=[""] * rows,
        ),
    )  # fmt: skip
    assert refused.status_code == 422
    assert 'id="err-references"' in refused.text


@pytest.mark.parametrize(
    "name", ["abc", "0" * 64, "0" * 64 + ".css", "..%2F..%2Fsecret.css", "A" * 64 + ".css"]
)
def test_an_unknown_preview_stylesheet_is_404(client: TestClient, name: str) -> None:
    response = client.get(f"/editor/preview-styles/{name}")
    assert response.status_code == 404
    assert "text/css" not in response.headers["content-type"]


def test_a_preview_waiting_for_a_render_worker_holds_no_writer_back(
    settings: ArticlesSettings, client: TestClient, editor: str, token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """On SQLite a request's transaction holds the write lock: the preview ends it before it
    waits, so an edit saved meanwhile does not wait for the preview's timeout."""
    monkeypatch.setattr(preview, "PREVIEW_TIMEOUT_SECONDS", 3)
    article = create_article(client, token)
    other = client_at(client, "10.0.0.2")
    waiting = threading.Thread(
        target=lambda: client.post(f"/editor/articles/{article['id']}/preview", data=form(editor))
    )
    waiting.start()
    time.sleep(0.5)  # the preview is now waiting on the reply list
    started = time.monotonic()
    edited = other.patch(
        f"/api/v1/articles/{article['id']}", json={"title": "Meanwhile", "version": 1},
        headers=auth(token),
    )  # fmt: skip
    took = time.monotonic() - started
    waiting.join()
    assert edited.status_code == 200, edited.text
    assert took < 1.5, f"the edit waited {took:.1f} s behind the preview"
