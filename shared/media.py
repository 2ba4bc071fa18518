"""The media library's contract: how an image is named, where its files are served, how a body
refers to one, and what a snapshot carries so render can write ``srcset`` without asking.

The articles service owns the library (uploads, rows, files); the page server and nginx only
serve its files, read-only, under ``/media/``. Every file name starts with the SHA-256 of the
cleaned original, so a name never changes its content: served with a year-long cache.

Files of one image (``<sha>`` = 64 hex digits):
  ``<sha>.<jpg|png>``          the cleaned original (metadata stripped by re-encoding)
  ``<sha>-<width>.webp``       a rendition per width, WebP
  ``<sha>-<width>.jpg``        the same rendition, JPEG (browsers without WebP)
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.markdown import image_urls

MEDIA_URL_PREFIX = "/media/"
# Rendition widths; an image gets those narrower than itself plus its own width (at most the
# last one), so no rendition is ever an upscaled copy.
RENDITION_WIDTHS = (320, 640, 960, 1280, 1920)

SHA_PATTERN = r"^[0-9a-f]{64}$"
MEDIA_FILE_RE = re.compile(r"^[0-9a-f]{64}(?:-[0-9]{1,4})?\.(?:webp|jpg|png)$")
# `![alt text](media:12)` in a body: a library image. Only this form becomes an <img>.
MEDIA_REF_RE = re.compile(r"^media:([1-9][0-9]{0,9})$")

Sha256 = Annotated[str, StringConstraints(pattern=SHA_PATTERN)]


class MediaImage(BaseModel):
    """One library image as an article snapshot carries it (hero or body image)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(ge=1)
    sha256: Sha256
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    alt: str
    original_ext: str = Field(pattern=r"^(jpg|png)$")
    widths: tuple[int, ...] = Field(min_length=1)

    def url(self, width: int, ext: str) -> str:
        return f"{MEDIA_URL_PREFIX}{rendition_name(self.sha256, width, ext)}"

    def srcset(self, ext: str) -> str:
        return ", ".join(f"{self.url(w, ext)} {w}w" for w in self.widths)

    def height_at(self, width: int) -> int:
        return max(1, round(self.height * width / self.width))


def rendition_widths(width: int) -> tuple[int, ...]:
    """The widths made for an image ``width`` pixels wide (always at least one)."""
    largest = min(width, RENDITION_WIDTHS[-1])
    return (*(w for w in RENDITION_WIDTHS if w < largest), largest)


def original_name(sha256: str, ext: str) -> str:
    return f"{sha256}.{ext}"


def rendition_name(sha256: str, width: int, ext: str) -> str:
    return f"{sha256}-{int(width)}.{ext}"


def media_ids_in(body: str) -> list[int]:
    """The library images a Markdown body shows (``![alt](media:12)``, reference-style
    ``![alt][ref]`` with ``[ref]: media:12``, alt text with brackets...), in order, once each.

    The body is parsed with the grammar render uses (shared.markdown), not matched with a
    pattern: a pattern missed images render shows, which then counted as unused (deletable)
    and were dropped from the snapshot. render shows only the images the snapshot carries,
    which are these, so what is counted and what is shown are one set."""
    found = (MEDIA_REF_RE.fullmatch(url.strip()) for url in image_urls(body))
    return list(dict.fromkeys(int(m.group(1)) for m in found if m is not None))
