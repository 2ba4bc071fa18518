"""Request and response models of the articles API (separate from the tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from shared.contracts import SLUG_PATTERN, ArticleStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
SlugIn = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=120)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferenceIn(Strict):
    title: Name
    url: AnyHttpUrl


class ArticleFields(Strict):
    """Fields an editor may set; every one optional so PATCH can reuse them."""

    summary: Summary | None = None
    body: str | None = Field(default=None, description="Markdown; at most 1 MB.")
    tags: list[Tag] | None = Field(default=None, max_length=30)
    authors: list[Name] | None = Field(default=None, max_length=10)
    hero_image_url: AnyHttpUrl | None = None
    hero_image_alt: Annotated[str, StringConstraints(max_length=500)] | None = None
    reviewed_by: Name | None = None
    last_reviewed: date | None = None
    references: list[ReferenceIn] | None = Field(default=None, max_length=100)


class ArticleCreate(ArticleFields):
    title: Title
    slug: SlugIn | None = Field(default=None, description="Generated from the title when omitted.")
    category: SlugIn = Field(description="Slug of an existing category.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Is osteoporosis an autoimmune disease?",
                    "category": "health",
                    "summary": "Why bone loss is not an autoimmune disease, and how the two meet.",
                    "body": "## What osteoporosis is\n\nBones are living tissue...",
                    "tags": ["osteoporosis", "autoimmune"],
                }
            ]
        },
    )


class ArticleUpdate(ArticleFields):
    title: Title | None = None
    slug: SlugIn | None = None
    category: SlugIn | None = None
    version: int | None = Field(
        default=None, ge=1, description="The version being edited (or send it as If-Match)."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"title": "A clearer title", "version": 3}]},
    )


class PublishRequest(Strict):
    version: int | None = Field(default=None, ge=1)


class CategoryOut(BaseModel):
    slug: str
    name: str
    description: str
    parent: str | None


class ReferenceOut(BaseModel):
    title: str
    url: str


class ArticleOut(BaseModel):
    id: int
    version: int
    status: ArticleStatus
    slug: str
    title: str
    summary: str
    body: str
    category: str
    tags: list[str]
    authors: list[str]
    hero_image_url: str | None
    hero_image_alt: str | None
    reviewed_by: str | None
    last_reviewed: date | None
    references: list[ReferenceOut]
    path: str = Field(description="Path of the public page, e.g. /health/some-article.")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class PublicArticleOut(BaseModel):
    """What readers may see: no status, scheduling or editorial fields."""

    id: int
    version: int
    slug: str
    title: str
    summary: str
    body: str
    category: CategoryOut
    tags: list[str]
    authors: list[str]
    hero_image_url: str | None
    hero_image_alt: str | None
    reviewed_by: str | None
    last_reviewed: date | None
    references: list[ReferenceOut]
    path: str
    published_at: datetime | None
    updated_at: datetime
