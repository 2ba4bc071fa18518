"""Request and response models of the articles API (separate from the tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    WithJsonSchema,
)

from services.articles.category_schemas import CategoryOut
from services.articles.fields import (
    Day,
    JsonBool,
    Markdown,
    MediaId,
    Name,
    NoNul,
    NotBlank,
    Printable,
    SlugIn,
    Summary,
    Tag,
    Title,
    UtcTime,
    Version,
)
from services.articles.media.schemas import PUBLIC_IMAGE_EXAMPLE, PublicImage
from services.articles.reference_schemas import ReferenceIn, ReferenceOut, unique_keys
from shared.contracts import ArticleStatus

T = TypeVar("T")
# The deepest result a list may page to (page x per_page).
MAX_RESULTS = 10_000
JsonDict = dict[str, JsonValue]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _retired_hero_url(value: object) -> None:
    if value is not None:
        raise ValueError(
            "external hero image URLs are retired: upload the image to the media library "
            "(POST /api/v1/media) and send its id as hero_media_id; null drops an old one"
        )
    return None


# Only null is taken (it drops an old external hero); the schema says so, so a client, and a
# fuzzer, learn it from the document.
RetiredHeroUrl = Annotated[
    None,
    BeforeValidator(_retired_hero_url),
    WithJsonSchema(
        {
            "type": "null",
            "deprecated": True,
            "description": "Retired. Only null, which drops an old external hero; hero "
            "images come from the media library (hero_media_id).",
        }
    ),
]


class ArticleFields(Strict):
    """Fields an editor may set; every one optional so PATCH can reuse them."""

    summary: Summary | None = None
    body: Markdown | None = Field(default=None, description="Markdown; at most 1 MB.")
    tags: list[Tag] | None = Field(default=None, max_length=30)
    authors: list[Name] | None = Field(
        default=None,
        max_length=10,
        description="Free-text author names (the older API). Prefer `author_slugs`: with it, "
        "`authors` is set to the people's names.",
    )
    author_slugs: list[SlugIn] | None = Field(
        default=None,
        max_length=10,
        description="The authors as people (slugs of /api/v1/people records), in order.",
    )
    hero_image_url: RetiredHeroUrl = None
    hero_image_alt: Annotated[str, StringConstraints(max_length=500), NoNul, Printable] | None = (
        Field(default=None, description="Alt text of the hero; default: the image's own.")
    )
    hero_media_id: MediaId | None = Field(
        default=None,
        description="The hero image: an id from the media library (POST /api/v1/media).",
    )
    reviewed_by: Name | None = None
    last_reviewed: Day | None = None
    references: Annotated[list[ReferenceIn] | None, AfterValidator(unique_keys)] = Field(
        default=None,
        max_length=100,
        description="Cited in the body with footnote markers: [^key], or [^n] for the n-th "
        "reference when it has no key. A marker with no reference is refused (422).",
    )


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
    version: Version | None = Field(
        default=None, description="The version being edited (or send it as If-Match)."
    )
    typo_only: JsonBool = Field(
        default=False,
        description="The edit fixes typos only: a medical approval in force is kept (and the "
        "claim recorded as a review record) instead of withdrawn. Refused (422) when the edit "
        "changes a number, or more than 3 words or 40 characters of a reviewed field.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"title": "A clearer title", "version": 3}]},
    )


class PublishRequest(Strict):
    version: Version | None = None
    at: UtcTime | None = Field(
        default=None,
        description="Publish at this time (with a UTC offset) instead of now. A time in the "
        "future schedules the article; the scheduler publishes it within seconds of it.",
    )
    override_reason: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
            NoNul,
            NotBlank,
        ]
        | None
    ) = Field(
        default=None,
        description="Admins only: publish without the medical approval its category requires; "
        "the reason is stored as a review record.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"version": 3}, {"version": 3, "at": "2026-12-01T07:00:00Z"}]
        },
    )


class VersionRequest(Strict):
    version: Version | None = Field(default=None, description="Or send it as If-Match.")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 4}]})


ARTICLE_EXAMPLE: JsonDict = {
    "id": 42,
    "version": 3,
    "status": "published",
    "slug": "is-osteoporosis-an-autoimmune-disease",
    "title": "Is osteoporosis an autoimmune disease?",
    "summary": "Why bone loss is not an autoimmune disease, and how the two meet.",
    "body": "## What osteoporosis is\n\nBones are living tissue...",
    "category": "bones-and-joints",
    "tags": ["osteoporosis", "autoimmune"],
    "authors": ["Dr Ann Lee"],
    "hero_image_url": None,
    "hero_image_alt": "An X-ray of a hip",
    "hero_media_id": 12,
    "reviewed_by": "Dr Bo Chan",
    "last_reviewed": "2026-02-17",
    "references": [
        {
            "title": "Osteoporosis",
            "publisher": "National Health Service",
            "url": "https://www.nhs.uk/conditions/osteoporosis/",
            "accessed": "2026-02-17",
            "doi": None,
            "key": "nhs-osteoporosis",
        }
    ],
    "path": "/bones-and-joints/is-osteoporosis-an-autoimmune-disease",
    "created_at": "2026-02-10T09:00:00Z",
    "updated_at": "2026-02-17T09:00:00Z",
    "published_at": "2026-02-17T09:00:00Z",
    "scheduled_at": None,
}
SUMMARY_KEYS = (
    "id", "version", "status", "slug", "title", "summary", "category", "tags", "authors",
    "path", "updated_at", "published_at", "scheduled_at",
)  # fmt: skip
PUBLIC_KEYS = (
    "id", "slug", "title", "summary", "category", "tags", "authors", "hero_image_url",
    "hero_image_alt", "path", "published_at", "updated_at",
)  # fmt: skip


def _example(keys: tuple[str, ...], **changes: JsonValue) -> JsonDict:
    return {**{k: ARTICLE_EXAMPLE[k] for k in keys}, **changes}


class ArticleOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ARTICLE_EXAMPLE]})

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
    author_slugs: list[str] = Field(default_factory=list, description="The authors as people.")
    hero_image_url: str | None = Field(description="Retired: an old external hero, if any.")
    hero_image_alt: str | None
    hero_media_id: int | None = Field(description="The hero image, from the media library.")
    reviewed_by: str | None
    last_reviewed: date | None
    reviewer: str | None = Field(
        default=None, description="Slug of the reviewer whose approval is in force."
    )
    approved_version: int | None = Field(
        default=None, description="The version that reviewer approved (approval in force)."
    )
    references: list[ReferenceOut]
    path: str = Field(description="Path of the public page, e.g. /health/some-article.")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    scheduled_at: datetime | None = Field(
        default=None, description="When a scheduled article goes live."
    )


class PublicArticleOut(BaseModel):
    """What readers may see: no status, scheduling or editorial fields."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **{
                        k: v
                        for k, v in ARTICLE_EXAMPLE.items()
                        if k not in ("status", "created_at", "scheduled_at", "hero_media_id")
                    },
                    "hero_image": PUBLIC_IMAGE_EXAMPLE,
                    "category": {
                        "slug": "bones-and-joints",
                        "name": "Bones and joints",
                        "description": "",
                        "parent": "health",
                    },
                }
            ]
        }
    )

    id: int
    version: int
    slug: str
    title: str
    summary: str
    body: str
    category: CategoryOut
    tags: list[str]
    authors: list[str]
    hero_image_url: str | None = Field(description="Retired: an old external hero, if any.")
    hero_image_alt: str | None
    hero_image: PublicImage | None = Field(
        default=None, description="The hero from the media library, ready for srcset."
    )
    reviewed_by: str | None
    last_reviewed: date | None
    references: list[ReferenceOut]
    path: str
    published_at: datetime | None
    updated_at: datetime


EditorSort = Literal[
    "updated_at", "-updated_at", "published_at", "-published_at",
    "created_at", "-created_at", "title", "-title",
]  # fmt: skip
PublicSort = Literal[
    "published_at", "-published_at", "updated_at", "-updated_at", "title", "-title"
]


class PublicArticleQuery(Strict):
    """Filters of the public list; several filters narrow the list together (AND)."""

    category: SlugIn | None = Field(default=None, description="Includes its sub-categories.")
    tag: Tag | None = Field(default=None, examples=["osteoporosis"])
    author: Name | None = Field(default=None, examples=["Dr Ann Lee"])
    q: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul, Printable]
        | None
    ) = Field(
        default=None,
        description="Full-text search over title, summary and body.",
        examples=["vitamin d bones"],
    )
    updated_since: UtcTime | None = Field(default=None, examples=["2026-02-01T00:00:00Z"])
    page: int = Field(
        default=1,
        ge=1,
        le=MAX_RESULTS,
        description=f"page x per_page reaches at most result {MAX_RESULTS:,}; past it: 404.",
    )
    per_page: int = Field(default=20, ge=1, le=100)
    sort: PublicSort = "-published_at"


class ArticleQuery(PublicArticleQuery):
    status: ArticleStatus | None = None
    sort: EditorSort = "-updated_at"  # type: ignore[assignment]


class ArticleSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_example(SUMMARY_KEYS)]})

    id: int
    version: int
    status: ArticleStatus
    slug: str
    title: str
    summary: str
    category: str
    tags: list[str]
    authors: list[str]
    path: str
    updated_at: datetime
    published_at: datetime | None
    scheduled_at: datetime | None


class PublicArticleSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_example(PUBLIC_KEYS)]})

    id: int
    slug: str
    title: str
    summary: str
    category: str
    tags: list[str]
    authors: list[str]
    hero_image_url: str | None
    hero_image_alt: str | None
    path: str
    published_at: datetime | None
    updated_at: datetime


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_example(PUBLIC_KEYS)],
                    "total": 41,
                    "page": 1,
                    "per_page": 20,
                    "pages": 3,
                }
            ]
        }
    )

    items: list[T]
    total: int = Field(description="How many articles match, over all pages.")
    page: int
    per_page: int
    pages: int
