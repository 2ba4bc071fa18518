"""Request and response models of people, medical reviews and the review-due list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from services.articles.fields import MediaId, Name, NoNul, NotBlank, Printable, SlugIn, Version
from services.articles.schemas import JsonDict, Strict

Credentials = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), NoNul, Printable
]
Bio = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul, Printable]


def _retired_photo_url(value: object) -> None:
    if value is not None:
        raise ValueError(
            "external photo URLs are retired (reader privacy): upload the photo to the media "
            "library (POST /api/v1/media) and send its id as photo_media_id; null drops an "
            "old one"
        )
    return None


# Only null is taken (it drops an old external photo), as for heroes (RetiredHeroUrl).
RetiredPhotoUrl = Annotated[
    None,
    BeforeValidator(_retired_photo_url),
    WithJsonSchema(
        {
            "type": "null",
            "deprecated": True,
            "description": "Retired. Only null, which drops an old external photo; photos "
            "come from the media library (photo_media_id).",
        }
    ),
]
PhotoMediaId = Annotated[
    MediaId | None,
    Field(
        description="The photo: an id from the media library (POST /api/v1/media); null "
        "removes it. An id the library does not have is a 422.",
    ),
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), NoNul, Printable]

PERSON_EXAMPLE: JsonDict = {
    "slug": "amara-lindqvist",
    "name": "Dr Amara Lindqvist",
    "credentials": "MD, FRCP",
    "bio": "Consultant rheumatologist.",
    "photo_url": None,
    "photo_media_id": None,
}


class PersonCreate(Strict):
    name: Name
    slug: SlugIn | None = Field(default=None, description="Made from the name when omitted.")
    credentials: Credentials = Field(default="", examples=["MD, FRCP"])
    bio: Bio = ""
    photo_url: RetiredPhotoUrl = None
    photo_media_id: PhotoMediaId = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PERSON_EXAMPLE]})


class PersonUpdate(Strict):
    name: Name | None = None
    slug: SlugIn | None = None
    credentials: Credentials | None = None
    bio: Bio | None = None
    photo_url: RetiredPhotoUrl = None
    photo_media_id: PhotoMediaId = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"credentials": "MD, PhD, FRCP"}]}
    )


class PersonOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 3, "version": 2, **PERSON_EXAMPLE, "path": "/people/amara-lindqvist"}
            ]
        }
    )

    id: int
    version: int
    slug: str
    name: str
    credentials: str
    bio: str
    photo_url: str | None = Field(
        description="Retired: an old external photo, shown until replaced or set to null."
    )
    photo_media_id: int | None
    path: str = Field(description="The public profile page.")


ReviewOutcome = Literal["approved", "changes_requested"]
RecordOutcome = Literal["approved", "changes_requested", "withdrawn", "typo_only", "override"]


class _ReviewOf(Strict):
    version: Version | None = Field(
        default=None, description="The version reviewed (or send it as If-Match)."
    )


class Approval(_ReviewOf):
    outcome: Literal["approved"]
    note: Note = Field(default="", description="Optional.")

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"outcome": "approved", "version": 4}]}
    )


class ChangesRequested(_ReviewOf):
    outcome: Literal["changes_requested"]
    # Not blank: the schema states the rule, so a client (and a fuzzer) learns it there. One
    # pattern both printable and not blank (a second pattern replaces Note's, not adds to it:
    # a schema with only r"\S" lost, and a note of one tab was schema-valid, then refused).
    note: Annotated[Note, StringConstraints(min_length=1), NotBlank] = Field(
        description="What the editor should change (required)."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "changes_requested",
                    "note": "Cite the 2024 NICE guideline.",
                    "version": 4,
                }
            ]
        },
    )


# An approval, or a request for changes, which must say what to change.
ReviewRequest = Annotated[Approval | ChangesRequested, Field(discriminator="outcome")]


class ReviewOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 9,
                    "article_id": 42,
                    "article_version": 4,
                    "outcome": "approved",
                    "reviewer": "amara-lindqvist",
                    "actor": "amara's token",
                    "note": "",
                    "created_at": "2026-02-17T09:00:00Z",
                }
            ]
        }
    )

    id: int
    article_id: int
    article_version: int = Field(description="The version of the article this is about.")
    outcome: RecordOutcome
    reviewer: str | None = Field(description="Slug of the reviewing person, if any.")
    actor: str = Field(description="The token that acted.")
    note: str
    created_at: datetime


class ReviewDueItem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "slug": "is-osteoporosis-an-autoimmune-disease",
                    "title": "Is osteoporosis an autoimmune disease?",
                    "category": "bones-and-joints",
                    "last_reviewed": "2025-02-10",
                    "due": "2026-02-10",
                    "days_overdue": 290,
                    "recent_views": 1200,
                    "total_views": 4617,
                }
            ]
        }
    )

    id: int
    slug: str
    title: str
    category: str
    last_reviewed: date | None = Field(description="None: never reviewed through the workflow.")
    due: date
    days_overdue: int = Field(description="Negative: due in that many days.")
    recent_views: int = Field(description="Views in the last 7 days, as last reported.")
    total_views: int
