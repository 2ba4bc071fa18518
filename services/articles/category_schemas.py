"""Request models of the category endpoints (taxonomy_routes.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.articles.fields import JsonBool, Name, NoNul, Printable, ReviewMonths, SlugIn


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryCreate(Strict):
    slug: SlugIn
    name: Name
    description: Annotated[str, StringConstraints(max_length=2000), NoNul, Printable] = ""
    parent: SlugIn | None = Field(default=None, description="Slug of the parent category.")
    requires_review: JsonBool = Field(
        default=False, description="Publishing needs a medical reviewer's approval."
    )
    review_interval_months: ReviewMonths = Field(
        default=12, description="An article is due for review this long after."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"slug": "bones-and-joints", "name": "Bones and joints", "parent": "health"}
            ]
        },
    )


class CategoryUpdate(Strict):
    """What an admin may change about a category; each field optional (PATCH)."""

    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000), NoNul, Printable] | None = None
    slug: SlugIn | None = Field(
        default=None, description="A new slug: the old URLs (category pages, articles) redirect."
    )
    parent: SlugIn | None = Field(
        default=None, description="Slug of the new parent category; null makes it top-level."
    )
    requires_review: JsonBool | None = Field(
        default=None, description="Publishing needs a medical reviewer's approval."
    )
    review_interval_months: ReviewMonths | None = Field(
        default=None, description="An article is due for review this long after."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Bones, joints and muscles", "slug": "bones-joints-and-muscles"},
                {"description": "Osteoporosis, arthritis and back pain."},
            ]
        },
    )


class CategoryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "bones-and-joints",
                    "name": "Bones and joints",
                    "description": "Osteoporosis, arthritis and back pain.",
                    "parent": "health",
                }
            ]
        }
    )

    slug: str
    name: str
    description: str
    parent: str | None
    requires_review: bool = False
    review_interval_months: int = 12


class TagCount(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"tag": "osteoporosis", "articles": 4}]}
    )

    tag: str
    articles: int


class AuthorCount(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Dr Ann Lee", "articles": 12}]}
    )

    name: str
    articles: int
