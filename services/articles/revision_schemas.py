"""Response models of the revision endpoints (revision_routes.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

JsonDict = dict[str, JsonValue]

REVISION_EXAMPLE: JsonDict = {
    "version": 3,
    "title": "Is osteoporosis an autoimmune disease?",
    "status": "published",
    "created_by": "newsroom",
    "created_at": "2026-02-17T09:00:00Z",
}


class RevisionSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [REVISION_EXAMPLE]})

    version: int
    title: str
    status: str
    created_by: str
    created_at: datetime


class RevisionOut(RevisionSummary):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **REVISION_EXAMPLE,
                    "data": {
                        "title": "Is osteoporosis an autoimmune disease?",
                        "slug": "is-osteoporosis-an-autoimmune-disease",
                        "category": "bones-and-joints",
                        "body": "## What osteoporosis is\n\n...",
                        "tags": ["osteoporosis"],
                        "status": "published",
                    },
                }
            ]
        }
    )

    data: JsonDict = Field(description="The article's editable state at this version.")
