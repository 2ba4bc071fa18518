"""One-line builders for tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from services.articles import tokens
from services.articles.app import create_app as create_articles_app
from services.articles.categories import create_category
from services.articles.settings import ArticlesSettings
from shared.contracts import ArticleEvent
from shared.db import Database
from tests.conftest import RedisDbs

PROBLEM = "application/problem+json"


def seed_categories(settings: ArticlesSettings) -> None:
    db = Database(settings.articles_database_url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        create_category(session, slug="health", name="Health", now=now)
        create_category(
            session, slug="bones-and-joints", name="Bones and joints", parent="health", now=now
        )
        create_category(session, slug="nutrition", name="Nutrition", now=now)
    db.dispose()


def make_token(settings: ArticlesSettings, role: tokens.Role = "editor", name: str = "test") -> str:
    db = Database(settings.articles_database_url)
    with db.transaction() as session:
        _, secret = tokens.create_token(session, name=name, role=role, now=datetime.now(UTC))
    db.dispose()
    return secret


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def articles_client(settings: ArticlesSettings) -> Iterator[TestClient]:
    with TestClient(create_articles_app(settings), raise_server_exceptions=False) as client:
        yield client


def article_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Is osteoporosis an autoimmune disease?",
        "category": "health",
        "summary": "How bone loss and autoimmunity meet.",
        "body": "## What osteoporosis is\n\nBones thin over time.\n\n## Autoimmunity\n\nA different process.\n",
        "tags": ["osteoporosis", "autoimmune"],
    }
    body.update(overrides)
    return body


def create_article(client: TestClient, token: str, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/articles", json=article_body(**overrides), headers=auth(token))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    data: dict[str, Any] = response.json()
    assert data["status"] == status
    assert data["title"]
    assert data["detail"]
    return data


def queued_events(redis_dbs: RedisDbs, queue: str) -> list[ArticleEvent]:
    """The article events waiting in a Celery queue on the real broker, oldest first
    (kombu LPUSHes and BRPOPs, so the list's tail is the oldest)."""
    client = redis_dbs.client(redis_dbs.broker_db)
    events = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        args = body[0]
        events.append(ArticleEvent.model_validate(args[0]))
    return events
