"""The OpenAPI document (/docs) describes every endpoint, with examples."""

from __future__ import annotations

import re
from typing import Any

from services.articles.app import create_app
from services.articles.settings import ArticlesSettings
from tests.helpers import articles_client

METHODS = {"get", "post", "put", "patch", "delete"}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(doc, doc["components"]["schemas"][name])
    if schema.get("type") == "array" and "examples" not in schema:
        return _resolve(doc, schema["items"])
    if "anyOf" in schema:  # an optional body: Model | None
        return _resolve(doc, next(s for s in schema["anyOf"] if s.get("type") != "null"))
    return schema


def _has_example(doc: dict[str, Any], content: dict[str, Any]) -> bool:
    for media in content.values():
        if "example" in media or "examples" in media:
            return True
        if "examples" in _resolve(doc, media.get("schema", {})):
            return True
    return False


def test_every_endpoint_has_a_summary_a_description_and_examples(
    articles_settings: ArticlesSettings,
) -> None:
    doc = create_app(articles_settings).openapi()
    operations = [
        (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS and path.startswith("/api/")
    ]
    assert len(operations) >= 22
    missing: list[str] = []
    for method, path, op in operations:
        where = f"{method.upper()} {path}"
        if not op.get("summary") or not op.get("description"):
            missing.append(f"{where}: summary/description")
        body = op.get("requestBody")
        if body is not None and not _has_example(doc, body["content"]):
            missing.append(f"{where}: request example")
        for status, response in op["responses"].items():
            content = response.get("content")
            if content and not _has_example(doc, content):
                missing.append(f"{where}: {status} example")
    assert missing == []


def test_query_parameters_are_documented_with_examples(articles_settings: ArticlesSettings) -> None:
    doc = create_app(articles_settings).openapi()
    params = {p["name"]: p for p in doc["paths"]["/api/v1/content/articles"]["get"]["parameters"]}
    assert {"category", "tag", "author", "q", "updated_since", "page", "per_page", "sort"} <= set(
        params
    )
    assert "examples" in params["q"]["schema"] or "example" in params["q"]


def test_the_docs_page_and_the_document_are_served(articles_settings: ArticlesSettings) -> None:
    with articles_client(articles_settings) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        document = client.get("/openapi.json").json()
        assert "/api/v1/articles/{article_id}/revisions/{version}/restore" in document["paths"]


def _keys(node: object) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in _keys(value)}
    if isinstance(node, list):
        return {k for value in node for k in _keys(value)}
    return set()


def test_every_bound_is_stated_in_json_schema_words(articles_settings: ArticlesSettings) -> None:
    """pydantic writes a bound it could not translate as its own keyword ("ge": 1 instead of
    "minimum": 1); no client reads that, and schemathesis took version -4294967296 for valid
    and reported the 422 as a schema-valid request rejected."""
    doc = create_app(articles_settings).openapi()
    assert not _keys(doc["components"]["schemas"]) & {"ge", "gt", "le", "lt"}
    version = doc["components"]["schemas"]["PublishRequest"]["properties"]["version"]
    assert {"type": "integer", "minimum": 1} in version["anyOf"]


def test_a_review_note_that_must_not_be_blank_says_so_in_the_schema(
    articles_settings: ArticlesSettings,
) -> None:
    """Schemathesis found a schema-valid request refused: a changes-requested note of one tab
    met the document's pattern (printable characters only; the not-blank rule was dropped
    when two patterns met) and was then refused as blank."""
    with articles_client(articles_settings) as client:
        doc = client.get("/openapi.json").json()
    note = doc["components"]["schemas"]["ChangesRequested"]["properties"]["note"]
    ecma = re.compile(note["pattern"])  # ECMA and Python agree on these classes
    for blank in ("\t", " ", "\t \t"):
        assert not ecma.fullmatch(blank), repr(blank)
    assert ecma.fullmatch("Cite the 2024 NICE guideline.\t")
    assert not ecma.fullmatch("Cite\x01")
