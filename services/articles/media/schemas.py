"""Request and response models of the media API (separate from the tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from services.articles.fields import NoNul, NotBlank
from shared.media import MediaImage

AltText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul, NotBlank
]

_SHA = "9f2c" + "0" * 60
MEDIA_EXAMPLE: dict[str, JsonValue] = {
    "id": 12,
    "sha256": "9f2c" + "0" * 60,
    "width": 1600,
    "height": 900,
    "alt": "A model of a hip joint",
    "size_bytes": 183422,
    "original_url": "/media/9f2c" + "0" * 60 + ".jpg",
    "renditions": [
        {
            "width": 320,
            "height": 180,
            "webp": "/media/9f2c" + "0" * 60 + "-320.webp",
            "jpeg": "/media/9f2c" + "0" * 60 + "-320.jpg",
        }
    ],
    "markdown": "![A model of a hip joint](media:12)",
    "created_by": "newsroom",
    "created_at": "2026-02-17T09:00:00Z",
}


class RenditionOut(BaseModel):
    width: int
    height: int
    webp: str = Field(description="Path of the WebP file on the public site.")
    jpeg: str = Field(description="Path of the JPEG file on the public site.")


class MediaOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [MEDIA_EXAMPLE]})

    id: int
    sha256: str = Field(description="SHA-256 of the cleaned original: every file's name.")
    width: int
    height: int
    alt: str
    size_bytes: int
    original_url: str = Field(description="The cleaned original (metadata stripped).")
    renditions: list[RenditionOut]
    markdown: str = Field(description="How an article body shows this image.")
    created_by: str
    created_at: datetime


class MediaPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [MEDIA_EXAMPLE], "total": 1, "page": 1, "per_page": 20, "pages": 1}
            ]
        }
    )

    items: list[MediaOut]
    total: int = Field(description="How many images the library holds.")
    page: int
    per_page: int
    pages: int


class MediaQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=100)


PUBLIC_IMAGE_EXAMPLE: dict[str, JsonValue] = {
    "src": f"/media/{_SHA}-1600.jpg",
    "width": 1600,
    "height": 900,
    "alt": "A model of a hip joint",
    "srcset_webp": f"/media/{_SHA}-320.webp 320w, /media/{_SHA}-1600.webp 1600w",
    "srcset_jpeg": f"/media/{_SHA}-320.jpg 320w, /media/{_SHA}-1600.jpg 1600w",
}


class PublicImage(BaseModel):
    """A library image as a headless client needs it: paths on the public site (prefix them
    with the site's URL), intrinsic size for width/height, and both srcsets."""

    model_config = ConfigDict(json_schema_extra={"examples": [PUBLIC_IMAGE_EXAMPLE]})

    src: str = Field(description="The largest JPEG rendition.")
    width: int
    height: int
    alt: str
    srcset_webp: str
    srcset_jpeg: str


def public_image(image: MediaImage) -> PublicImage:
    largest = image.widths[-1]
    return PublicImage(
        src=image.url(largest, "jpg"),
        width=largest,
        height=image.height_at(largest),
        alt=image.alt,
        srcset_webp=image.srcset("webp"),
        srcset_jpeg=image.srcset("jpg"),
    )
