"""Property-based fuzzing of every service's OpenAPI document (schemathesis + hypothesis),
against the real running services: no input gives a 5xx, and every 4xx is problem+json."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from tests.e2e.stack import Stack

FUZZ = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def assert_clean(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type") or response.headers.get("Content-Type")
        value = content_type[0] if isinstance(content_type, list) else content_type
        assert value.startswith("application/problem+json"), (response.status_code, value)
        body = response.json()
        assert body["status"] == response.status_code
        assert body["detail"]


def fuzz(base_url: str, headers: dict[str, str]) -> list[str]:
    """Fuzz every operation of the service at base_url; returns the operations exercised."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    exercised = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document has an invalid operation: {result}"
        operation = result.ok()

        @given(case=operation.as_strategy())
        @FUZZ
        def run(case: Any) -> None:
            assert_clean(case.call(base_url=base_url, headers=headers))

        run()
        exercised.append(f"{operation.method.upper()} {operation.path}")
    return exercised


@pytest.fixture(scope="module")
def admin_token(stack: Stack) -> str:
    stack.cli("seed")
    return stack.token("admin")


@pytest.mark.parametrize("with_token", [True, False], ids=["admin-token", "no-token"])
def test_articles_api_never_answers_5xx(stack: Stack, admin_token: str, with_token: bool) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"} if with_token else {}
    exercised = fuzz(stack.articles, headers)
    assert "POST /api/v1/articles" in exercised
    assert "GET /api/v1/content/articles/{slug}" in exercised


def test_views_api_never_answers_5xx(stack: Stack, admin_token: str) -> None:
    exercised = fuzz(stack.views, {"User-Agent": "Mozilla/5.0 Firefox/130.0"})
    assert "POST /api/v1/views/{article_id}" in exercised
