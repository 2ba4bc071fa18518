"""People over the API: admins manage them, articles name them, a change reaches render as a
person event (real broker, SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from shared.contracts import RENDER_PERSON_CHANGED_TASK, PersonEvent
from tests.conftest import RedisDbs
from tests.helpers import (
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
    queued_events,
)


def queued_person_events(redis_dbs: RedisDbs) -> list[PersonEvent]:
    client = redis_dbs.client(redis_dbs.broker_db)
    found = []
    for raw in reversed(client.lrange("render-listings", 0, -1)):
        message = json.loads(raw)
        if message["headers"]["task"] != RENDER_PERSON_CHANGED_TASK:
            continue
        args = json.loads(base64.b64decode(message["body"]))[0]
        found.append(PersonEvent.model_validate(args[0]))
    return found


def make_person(client: TestClient, admin: str, **body: Any) -> dict[str, Any]:
    made = client.post("/api/v1/people", json=body, headers=auth(admin))
    assert made.status_code == 201, made.text
    data: dict[str, Any] = made.json()
    return data


def test_admins_create_edit_and_delete_people_and_others_only_read(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    admin, editor = make_token(settings, "admin"), make_token(settings)
    reviewer = make_token(settings, "reviewer")
    with articles_client(settings) as client:
        assert_problem(
            client.post("/api/v1/people", json={"name": "Ann"}, headers=auth(editor)), 403
        )
        ann = make_person(
            client, admin, name="Dr Ann Lee", credentials="MD, FRCP", bio="Rheumatologist."
        )
        assert (ann["slug"], ann["version"], ann["path"]) == ("dr-ann-lee", 1, "/people/dr-ann-lee")
        # A second person of the same name gets a slug of their own.
        assert make_person(client, admin, name="Dr Ann Lee")["slug"] == "dr-ann-lee-2"
        taken = client.post(
            "/api/v1/people", json={"name": "X", "slug": "dr-ann-lee"}, headers=auth(admin)
        )
        assert "already used" in assert_problem(taken, 409)["detail"]
        listed = client.get("/api/v1/people", headers=auth(reviewer))
        assert [p["slug"] for p in listed.json()] == ["dr-ann-lee", "dr-ann-lee-2"]
        assert_problem(client.get("/api/v1/people/nobody", headers=auth(editor)), 404)
        assert_problem(client.get("/api/v1/people", headers={}), 401)

        changed = client.patch(
            "/api/v1/people/dr-ann-lee", json={"credentials": "MD, PhD"}, headers=auth(admin)
        )
        assert (changed.json()["credentials"], changed.json()["version"]) == ("MD, PhD", 2)
        same = client.patch(
            "/api/v1/people/dr-ann-lee", json={"credentials": "MD, PhD"}, headers=auth(admin)
        )
        assert same.json()["version"] == 2  # nothing changed: no new version, no event
        assert_problem(
            client.patch("/api/v1/people/dr-ann-lee", json={"bio": "x"}, headers=auth(editor)),
            403,
        )
        assert client.delete("/api/v1/people/dr-ann-lee-2", headers=auth(admin)).status_code == 204
        assert_problem(client.get("/api/v1/people/dr-ann-lee-2", headers=auth(admin)), 404)
    events = queued_person_events(redis_dbs)
    assert [(e.person.slug, e.person.version, e.deleted) for e in events] == [
        ("dr-ann-lee", 1, False),
        ("dr-ann-lee-2", 1, False),
        ("dr-ann-lee", 2, False),
        ("dr-ann-lee-2", 1, True),
    ]
    assert events[2].person.credentials == "MD, PhD"


def test_articles_name_people_in_order_and_the_string_api_still_works(
    settings: ArticlesSettings, redis_dbs: RedisDbs
) -> None:
    admin, editor = make_token(settings, "admin"), make_token(settings)
    with articles_client(settings) as client:
        make_person(client, admin, name="Bo Chan", credentials="RN")
        make_person(client, admin, name="Ann Lee")
        article = create_article(client, editor, author_slugs=["bo-chan", "ann-lee"])
        assert article["authors"] == ["Bo Chan", "Ann Lee"]
        assert article["author_slugs"] == ["bo-chan", "ann-lee"]
        unknown = client.post(
            "/api/v1/articles",
            json={"title": "T", "category": "health", "author_slugs": ["nobody"]},
            headers=auth(editor),
        )
        assert "No person with slug 'nobody'" in assert_problem(unknown, 422)["detail"]
        # The older API: names. A known name is that person; a new one becomes a person.
        legacy = create_article(client, editor, slug="legacy", authors=["Ann Lee", "Cy Park"])
        assert legacy["author_slugs"] == ["ann-lee", "cy-park"]
        assert client.get("/api/v1/people/cy-park", headers=auth(editor)).status_code == 200
        # A person an article names cannot be deleted.
        in_use = client.delete("/api/v1/people/bo-chan", headers=auth(admin))
        assert "1 article(s)" in assert_problem(in_use, 409)["detail"]

        url = f"/api/v1/articles/{article['id']}"
        client.post(f"{url}/publish", headers=auth(editor))
        client.patch("/api/v1/people/bo-chan", json={"name": "Bo Chan-Li"}, headers=auth(admin))
        after = client.get(url, headers=auth(editor)).json()
        # The names copy follows the rename (author filters find the new name); the article
        # itself did not change, so its version did not either.
        assert after["authors"] == ["Bo Chan-Li", "Ann Lee"]
        assert after["version"] == 2
        found = client.get("/api/v1/articles?author=Bo Chan-Li", headers=auth(editor)).json()
        assert [a["id"] for a in found["items"]] == [article["id"]]
    published = queued_events(redis_dbs, "render-pages")
    assert [p.slug for p in published[0].snapshot.author_people] == ["bo-chan", "ann-lee"]
    assert published[0].snapshot.author_people[0].credentials == "RN"


def test_a_reviewer_token_acts_as_a_person(settings: ArticlesSettings) -> None:
    admin = make_token(settings, "admin")
    with articles_client(settings) as client:
        make_person(client, admin, name="Dr Bo Chan")
        made = client.post(
            "/api/v1/tokens",
            json={"name": "bo", "role": "reviewer", "person": "dr-bo-chan"},
            headers=auth(admin),
        )
        assert made.status_code == 201, made.text
        assert (made.json()["role"], made.json()["person"]) == ("reviewer", "dr-bo-chan")
        nobody = client.post(
            "/api/v1/tokens",
            json={"name": "x", "role": "reviewer", "person": "nobody"},
            headers=auth(admin),
        )
        assert_problem(nobody, 422)
