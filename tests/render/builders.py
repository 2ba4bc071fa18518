"""Snapshots in one line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.contracts import ArticleEvent, ArticleSnapshot, CategoryCrumb, CategoryRef

WHEN = datetime(2025, 2, 17, 9, 0, tzinfo=UTC)


def snapshot(**overrides: Any) -> ArticleSnapshot:
    data: dict[str, Any] = {
        "id": 1,
        "version": 2,
        "slug": "is-osteoporosis-an-autoimmune-disease",
        "category": CategoryRef(slug="health", name="Health"),
        "title": "Is osteoporosis an autoimmune disease?",
        "summary": "How bone loss and autoimmunity meet.",
        "body": "## What osteoporosis is\n\nBones thin.\n\n### Who is at risk\n\nMany.\n\n## Autoimmunity\n\nDifferent.\n",
        "tags": ("osteoporosis", "autoimmune"),
        "authors": ("Helena Marsh",),
        "status": "published",
        "reviewed_by": "Dr. Amara Lindqvist, MD",
        "created_at": WHEN,
        "updated_at": WHEN,
        "published_at": WHEN,
    }
    data.update(overrides)
    return ArticleSnapshot(**data)


def bones() -> CategoryRef:
    return CategoryRef(
        slug="bones-and-joints",
        name="Bones and joints",
        parents=(CategoryCrumb(slug="health", name="Health"),),
    )


def event(snap: ArticleSnapshot, kind: str = "published") -> dict[str, Any]:
    return ArticleEvent(kind=kind, occurred_at=snap.updated_at, snapshot=snap).model_dump(
        mode="json"
    )
