"""Property-based fuzzing of every service's OpenAPI document (schemathesis + hypothesis),
against the real running services: no input gives a 5xx, and every 4xx is problem+json; and
`st run --checks all` (every conformance check schemathesis has) against both APIs."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from services.seed import read_people
from services.views.auth import token_digest
from tests.e2e.stack import Stack, start_stack
from tests.reliability.seeded_slugs import with_seeded_slugs, with_valid_citations

# The views service trusts tokens by their digest (HEALTHHUB_EDITOR_TOKEN_HASHES), so the
# analytics endpoints are fuzzed with a valid editor token too.
VIEWS_EDITOR = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(
        tmp_path_factory.mktemp("stack"),
        HEALTHHUB_EDITOR_TOKEN_HASHES=json.dumps([token_digest(VIEWS_EDITOR)]),
    )
    yield running
    running.stop()


FUZZ = settings(
    max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
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


# --- st run --checks all -------------------------------------------------------------------

# Nothing is muted. Things the OpenAPI language cannot state are given to the run as
# configuration, each beside its reason: the seeded category slugs (st_hooks.py: a
# generated slug is almost never one that exists, and an unknown one is a 422), references
# valid beyond their schema (st_hooks.py: dates accessed not after today, keys used once,
# no footnote marker without its reference), and 428 as
# an expected answer of the two edit operations that take their version as If-Match OR a
# body field (schemathesis.toml).
HERE = Path(__file__).parent
SECTION = re.compile(r"^_{3,} (.+?) _{3,}$")
FAILURE = re.compile(r"^- (ST\d+) ")
MAX_EXAMPLES = 20


def st_run(
    workdir: Path,
    schema_url: str,
    categories: list[str],
    *args: str,
    media: list[int] | None = None,
    people: tuple[str, ...] | list[str] = (),
) -> tuple[int, str, set[tuple[str, str]]]:
    """One `st run --checks all` with a bounded number of examples, in ``workdir`` (where
    schemathesis keeps its cache of failing cases, never the checkout); (exit code, output,
    the failures as (operation, check code) pairs)."""
    st = Path(sys.executable).with_name("st")
    command = [
        str(st), "--config-file", str(HERE / "schemathesis.toml"), "run", schema_url,
        "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--generation-database",
        "none", "--no-color", "--request-timeout", "20", *args,
    ]  # fmt: skip
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HERE / "st_hooks.py"),  # loaded in st's process only
        "PYTHONPATH": str(HERE.parent.parent),  # st_hooks imports tests.reliability
        "HEALTHHUB_ST_CATEGORIES": ",".join(categories),
        "HEALTHHUB_ST_MEDIA": ",".join(str(i) for i in media or []),
        "HEALTHHUB_ST_PEOPLE": ",".join(people),
    }
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=420, check=False, cwd=workdir, env=env
    )
    output = done.stdout + done.stderr
    failures: set[tuple[str, str]] = set()
    operation = ""
    for line in output.splitlines():
        if section := SECTION.match(line):
            operation = section.group(1)
        elif (failure := FAILURE.match(line)) and operation:
            failures.add((operation, failure.group(1)))
    return done.returncode, output, failures


def assert_passes(code: int, output: str, failures: set[tuple[str, str]]) -> None:
    assert "Test cases:" in output, output[-3000:]  # it ran, and said what it generated
    assert "Authentication failed" not in output, output[-3000:]  # the tokens worked
    assert failures == set(), output[-6000:]
    assert code == 0, output[-3000:]


def seeded_categories(stack: Stack, token: str) -> list[str]:
    """The slugs of categories some article is filed under. Only those: an article is never
    removed (a delete leaves a tombstone), so DELETE /categories/{slug} answers 409 for them
    all run long. A category with no article (the fuzzing above creates many) may be deleted
    by the run itself, and a later schema-valid request naming it gets a 422."""
    slugs: set[str] = set()
    for page in range(1, 51):
        response = httpx.get(
            f"{stack.articles}/api/v1/articles",
            params={"page": page, "per_page": 100},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        slugs.update(item["category"] for item in items)
        if len(items) < 100:
            break
    assert slugs, "the stack has no article filed under a category"
    return sorted(slugs)


def seeded_media_ids(stack: Stack, token: str) -> list[int]:
    response = httpx.get(
        f"{stack.articles}/api/v1/media", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    ids = [m["id"] for m in response.json()["items"]]
    assert ids, "the stack seeded no image"
    return ids


def seeded_people(stack: Stack, token: str) -> tuple[str, ...]:
    """The slugs of the sample people: each is named by a sample article or review record,
    so a fuzzed DELETE /people/{slug} answers 409 for them all run long."""
    response = httpx.get(
        f"{stack.articles}/api/v1/people", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    sample = {p["slug"] for p in read_people()}
    seeded = tuple(sorted(p["slug"] for p in response.json() if p["slug"] in sample))
    assert seeded, "the stack has no sample people"
    return seeded


@pytest.mark.timeout(900)
def test_the_articles_api_passes_every_schemathesis_check(
    stack: Stack, admin_token: str, tmp_path: Path
) -> None:
    # A token of its own: the fuzzing above may have revoked the module's. It acts as a
    # person, as a reviewer token does, so that reviews are recorded in someone's name.
    people = seeded_people(stack, stack.token("admin"))
    own = stack.cli("token", "create", "--name", "st", "--role", "admin", "--person", people[0])
    token = f"Authorization: Bearer {own}"
    schema = f"{stack.articles}/openapi.json"
    slugs = seeded_categories(stack, own)
    media = seeded_media_ids(stack, own)
    # The reference data the hook names (categories, people, images) must outlive the main
    # run: operations that re-slug or delete it run afterwards, each set on its own, and
    # revoking tokens last (a fuzzed DELETE may revoke the very token the run uses).
    run = (tmp_path, schema, slugs, "-H", token)
    later = [r"(categories|people)/\{slug\}", r"media/\{media_id\}", r"tokens/\{token_id\}"]
    everything_later = "^/api/v1/(" + "|".join(later) + ")$"
    exclude = ("--exclude-path-regex", everything_later)
    assert_passes(*st_run(*run, *exclude, media=media, people=people))
    for paths in later:
        include = ("--include-path-regex", f"^/api/v1/{paths}$")
        assert_passes(*st_run(*run, *include, media=media, people=people))


@pytest.mark.timeout(900)
def test_the_views_api_passes_every_schemathesis_check(stack: Stack, tmp_path: Path) -> None:
    assert_passes(
        *st_run(
            tmp_path,
            f"{stack.views}/openapi.json",
            ["unused"],
            "-H", "User-Agent: Mozilla/5.0 Firefox/130.0",
            "-H", f"Authorization: Bearer {VIEWS_EDITOR}",
        )
    )  # fmt: skip


def test_the_hook_gives_positive_cases_seeded_slugs_and_leaves_the_rest() -> None:
    body = {"category": "zz-unknown", "parent": None, "title": "x"}
    assert with_seeded_slugs(body, ["health", "nutrition"])["category"] in {"health", "nutrition"}
    assert with_seeded_slugs(body, ["health"]) == {
        "category": "health",
        "parent": None,
        "title": "x",
    }
    assert with_seeded_slugs({"parent": 3}, ["health"]) == {"parent": 3}


def test_the_hook_gives_positive_cases_valid_citations_and_leaves_the_rest() -> None:
    ref = {"title": "t", "publisher": "p", "url": "https://x.example/", "key": "a"}
    body = {
        "body": "See [^a] and [^b]: here",
        "references": [
            {**ref, "accessed": "9999-01-01"},
            {**ref, "accessed": "2020-01-01"},
            {**ref, "key": "b", "accessed": "2026-11-27"},
        ],
        "title": "x",
    }
    fixed = with_valid_citations(body, date(2026, 11, 27))
    assert fixed["body"] == "See [\\^a] and [\\^b]: here"
    assert [r.get("accessed") for r in fixed["references"]] == [
        "2026-11-27",
        "2020-01-01",
        "2026-11-27",
    ]
    assert [r.get("key") for r in fixed["references"]] == ["a", None, "b"]
    assert fixed["title"] == "x"
    assert with_valid_citations({"references": 3}, date(2026, 1, 1)) == {"references": 3}


def test_the_hook_gives_positive_cases_seeded_images() -> None:
    assert with_seeded_slugs({"hero_media_id": 7}, ["health"], [3, 4]) == {"hero_media_id": 4}
    assert with_seeded_slugs({"hero_media_id": 7.0}, ["health"], [3, 4]) == {"hero_media_id": 4}
    assert with_seeded_slugs({"hero_media_id": 7.5}, ["health"], [3]) == {"hero_media_id": 7.5}
    assert with_seeded_slugs({"hero_media_id": None}, ["health"], [3]) == {"hero_media_id": None}
    assert with_seeded_slugs({"hero_media_id": 7}, ["health"]) == {"hero_media_id": 7}
