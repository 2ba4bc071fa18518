"""Structured references and citation markers through the articles API (SQLite and
PostgreSQL): what is accepted, what is refused with a 422 problem, what old data becomes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from services.articles.citations import check_citations
from services.articles.commands import MIGRATIONS
from services.articles.errors import UnknownCitation
from services.articles.schemas import ArticleCreate
from services.articles.settings import ArticlesSettings
from services.seed import read_sample
from shared.contracts import DOI_PATTERN, citation_label
from shared.db import Database, migrate
from tests.helpers import (
    article_body,
    articles_client,
    assert_problem,
    auth,
    create_article,
    make_token,
)

NHS = {
    "key": "nhs",
    "title": "Osteoporosis",
    "publisher": "NHS",
    "url": "https://www.nhs.uk/conditions/osteoporosis/",
    "accessed": "2026-10-01",
}
TRIAL = {
    "title": "Bone density after steroids",
    "publisher": "A Journal",
    "url": "https://journal.example/trial",
    "accessed": "2026-09-02",
    "doi": "https://doi.org/10.1234/bone.2020",
}


def test_structured_references_are_stored_and_cited_by_key_or_position(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(
            client, token, body="Bones thin.[^nhs] Steroids.[^2]\n", references=[NHS, TRIAL]
        )
        assert article["references"] == [
            {**NHS, "doi": None},
            {**TRIAL, "doi": "10.1234/bone.2020", "key": None},  # the bare DOI is stored
        ]


def test_a_marker_citing_no_reference_is_a_422_problem_naming_it(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        response = client.post(
            "/api/v1/articles",
            json=article_body(body="Cited.[^nhs] Lost.[^who] And.[^3]\n", references=[NHS]),
            headers=auth(token),
        )
        problem = assert_problem(response, 422)
        assert problem["missing"] == ["who", "3"]
        assert "[^who]" in problem["detail"] and "[^nhs]" in problem["detail"]
        listed = client.get("/api/v1/articles", headers=auth(token)).json()
        assert listed["total"] == 0  # nothing was saved


def test_an_edit_that_drops_a_cited_reference_is_refused_and_changes_nothing(
    settings: ArticlesSettings,
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(client, token, body="Cited.[^nhs]\n", references=[NHS])
        url = f"/api/v1/articles/{article['id']}"
        dropped = client.patch(
            url, json={"references": [], "version": article["version"]}, headers=auth(token)
        )
        assert_problem(dropped, 422)
        bad_body = client.patch(
            url, json={"body": "Now [^gone].\n", "version": article["version"]}, headers=auth(token)
        )
        assert assert_problem(bad_body, 422)["missing"] == ["gone"]
        again = client.get(url, headers=auth(token)).json()
        assert again["version"] == article["version"]
        assert again["references"] == article["references"]


def test_a_marker_shown_as_code_cites_nothing_and_is_accepted(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        article = create_article(
            client, token, body="Write `[^key]` to cite.\n\n    [^indented]\n", references=[]
        )
        assert article["body"].startswith("Write `[^key]`")


def test_a_footnote_definition_in_the_body_is_refused(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        response = client.post(
            "/api/v1/articles",
            json=article_body(body="Cited.[^nhs]\n\n[^nhs]: my own text\n", references=[NHS]),
            headers=auth(token),
        )
        assert "references" in assert_problem(response, 422)["detail"]


FUTURE = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    "change",
    [
        {"url": "ftp://files.example/paper.pdf"},
        {"url": "javascript:alert(1)"},
        {"doi": "not-a-doi"},
        {"doi": "10.12/too-short-prefix"},
        # Spaces to Python's \s but not to JSON Schema's: the pattern spells ASCII out.
        {"doi": "10.1234/bone\x85x"},
        {"doi": "10.1234/bone\x1cx"},
        {"doi": "10.1234/bone x"},
        {"accessed": FUTURE},
        {"accessed": "01/10/2026"},
        {"key": "1st"},  # would read as a position
        {"key": "Has Spaces"},
        {"publisher": ""},
        {"publisher": None},
    ],
)
def test_bad_references_are_refused_with_a_422_problem(
    settings: ArticlesSettings, change: dict[str, Any]
) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        response = client.post(
            "/api/v1/articles",
            json=article_body(references=[{**NHS, **change}]),
            headers=auth(token),
        )
        assert_problem(response, 422)


def test_reference_keys_must_be_unique(settings: ArticlesSettings) -> None:
    token = make_token(settings)
    with articles_client(settings) as client:
        response = client.post(
            "/api/v1/articles",
            json=article_body(references=[NHS, {**TRIAL, "key": "nhs"}]),
            headers=auth(token),
        )
        errors = assert_problem(response, 422)["errors"]
        assert any("repeated: nhs" in e["msg"] for e in errors)


def test_every_sample_article_has_structured_references_and_valid_markers() -> None:
    _, articles = read_sample()
    citing = 0
    for sample in articles:
        fm = sample.front
        data = ArticleCreate(
            title=fm["title"],
            category=fm["category"],
            body=sample.body,
            references=fm.get("references", []),
        )
        refs = data.references or []
        assert refs and all(r.publisher and r.accessed for r in refs), sample.slug
        labels = [citation_label(i, r.key) for i, r in enumerate(refs, 1)]
        check_citations(sample.body, labels)
        citing += "[^" in sample.body
    assert citing >= 3
    assert any(
        r.doi
        for s in articles
        for r in ArticleCreate(
            title="t", category="c", references=s.front.get("references", [])
        ).references
        or []
    )


def test_check_citations_parses_only_when_the_cheap_check_is_unsure() -> None:
    check_citations("Plain [^a] text.\n", ["a"])
    with pytest.raises(UnknownCitation):
        check_citations("> quoted [^b]\n", ["a"])


def test_migration_0005_gives_old_references_the_structured_shape(
    database_url: Any, backend: str, tmp_path: Path
) -> None:
    """Old {title, url} references, in articles and revisions, get a publisher (the host
    name) and a date accessed (the day of the save), so every stored article and revision
    validates as an edit again: restoring an old revision works."""
    url = database_url("articles")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    command.downgrade(cfg, "0002")
    old = '[{"title": "NHS", "url": "https://www.nhs.uk/x"}]'
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO categories (id, slug, name, description, created_at) "
                "VALUES (1, 'health', 'Health', '', '2026-01-01 00:00:00+00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO articles (id, slug, title, summary, body, category_id, tags, "
                'authors, "references", status, version, created_at, updated_at) VALUES '
                "(7, 'old', 'Old', '', 'Body', 1, '[]', '[]', :refs, 'draft', 2, "
                "'2026-03-01 00:00:00+00:00', '2026-03-05 00:00:00+00:00')"
            ),
            {"refs": old},
        )
        conn.execute(
            text(
                "INSERT INTO revisions (article_id, version, data, created_by, created_at) "
                "VALUES (7, 1, :data, 'x', '2026-03-01 00:00:00+00:00')"
            ),
            {
                "data": '{"title": "Old", "slug": "old", "body": "Body", "references": '
                + old
                + ', "status": "draft", "category": "health"}'
            },
        )
    db.dispose()
    migrate(url, MIGRATIONS)
    settings = ArticlesSettings(
        articles_database_url=url, var_dir=tmp_path, environment="test", relay_grace_seconds=0
    )
    token = make_token(settings)
    expected = {
        "title": "NHS",
        "publisher": "nhs.uk",
        "url": "https://www.nhs.uk/x",
        "doi": None,
        "key": None,
    }
    with articles_client(settings) as client:
        article = client.get("/api/v1/articles/7", headers=auth(token)).json()
        assert article["references"] == [{**expected, "accessed": "2026-03-05"}]
        revision = client.get("/api/v1/articles/7/revisions/1", headers=auth(token)).json()
        assert revision["data"]["references"] == [{**expected, "accessed": "2026-03-01"}]
        restored = client.post(
            "/api/v1/articles/7/revisions/1/restore", json={"version": 2}, headers=auth(token)
        )
        assert restored.status_code == 200, restored.text
        assert restored.json()["references"] == [{**expected, "accessed": "2026-03-01"}]


def test_the_doi_pattern_means_the_same_to_python_and_to_json_schema() -> None:
    """The OpenAPI document carries DOI_PATTERN for clients (ECMAScript regexes); the API
    checks it with Python's. Shorthand classes such as \\s differ between the two, so the
    pattern accepts printable ASCII only, spelled out, which both read alike."""
    accepted = {chr(c) for c in range(0x110000) if re.fullmatch(DOI_PATTERN, f"10.1234/{chr(c)}")}
    assert accepted == {chr(c) for c in range(0x21, 0x7F)} - set('"<>')
